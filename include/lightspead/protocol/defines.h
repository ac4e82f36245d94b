/**
 * @file
 * Protocol constants shared by every layer: item pointer types, the reserved
 * item IDs, stream-control values and the PySPEAD compatibility bits.
 *
 * The values are fixed by the SPEAD specification (and, for the
 * compatibility bits, by the behaviour of deployed senders); changing one
 * breaks the wire format.
 */
#ifndef LIGHTSPEAD_PROTOCOL_DEFINES_H
#define LIGHTSPEAD_PROTOCOL_DEFINES_H

#include <cstdint>

namespace lightspead
{

/// An item pointer as it travels on the wire (always 64 bits in SPEAD-64-*).
using item_pointer_t = std::uint64_t;
/// Signed counterpart of @ref item_pointer_t, used where -1 means "not given".
using s_item_pointer_t = std::int64_t;
/// Bit mask of the PySPEAD compatibility flags (@ref BUG_COMPAT_DESCRIPTOR_WIDTHS etc.).
using bug_compat_mask = std::uint32_t;

/// Reserved item IDs (SPEAD specification, section 3).
enum item_id : unsigned int
{
    NULL_ID = 0x00,            ///< Padding; an addressed null marks where real payload ends
    HEAP_CNT_ID = 0x01,        ///< Heap counter (immediate, required in every packet)
    HEAP_LENGTH_ID = 0x02,     ///< Total heap payload length (immediate)
    PAYLOAD_OFFSET_ID = 0x03,  ///< Offset of this packet's payload in the heap (immediate, required)
    PAYLOAD_LENGTH_ID = 0x04,  ///< Length of this packet's payload (immediate, required)
    DESCRIPTOR_ID = 0x05,      ///< Item descriptor: the value is a whole SPEAD packet
    STREAM_CTRL_ID = 0x06,     ///< Stream control (see @ref ctrl_mode)

    DESCRIPTOR_NAME_ID = 0x10,         ///< Descriptor field: item name
    DESCRIPTOR_DESCRIPTION_ID = 0x11,  ///< Descriptor field: item description
    DESCRIPTOR_SHAPE_ID = 0x12,        ///< Descriptor field: shape
    DESCRIPTOR_FORMAT_ID = 0x13,       ///< Descriptor field: format list
    DESCRIPTOR_ID_ID = 0x14,           ///< Descriptor field: described item ID (immediate)
    DESCRIPTOR_DTYPE_ID = 0x15         ///< Descriptor field: numpy header
};

/// Values of the stream control item (@c STREAM_CTRL_ID).
enum ctrl_mode : unsigned int
{
    CTRL_STREAM_START = 0,
    CTRL_DESCRIPTOR_REISSUE = 1,
    CTRL_STREAM_STOP = 2,
    CTRL_DESCRIPTOR_UPDATE = 3
};

/// Descriptor format entries are 4 bytes and shape entries 8 bytes in every flavour.
inline constexpr bug_compat_mask BUG_COMPAT_DESCRIPTOR_WIDTHS = 1;
/// Variable-length dimensions are flagged with 2 instead of 1.
inline constexpr bug_compat_mask BUG_COMPAT_SHAPE_BIT_1 = 2;
/// Arrays described by a numpy header travel in the opposite byte order to the one stated.
inline constexpr bug_compat_mask BUG_COMPAT_SWAP_ENDIAN = 4;
/// Everything PySPEAD 0.5.2 got wrong.
inline constexpr bug_compat_mask BUG_COMPAT_PYSPEAD_0_5_2 = 7;
/// Every defined compatibility bit; any other bit is rejected.
inline constexpr bug_compat_mask BUG_COMPAT_ALL = 7;

/// Byte 0 and 1 of every packet: magic 0x53, protocol version 4.
inline constexpr std::uint16_t magic_version = 0x5304;

}  // namespace lightspead

#endif  // LIGHTSPEAD_PROTOCOL_DEFINES_H
