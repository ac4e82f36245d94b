/**
 * @file
 * Item pointers and packet headers: encoding, and decoding of untrusted bytes.
 *
 * Decoding never throws and never reads outside the bytes it is given: a
 * malformed packet is an expected event on a network, so it is reported as
 * a @c packet_status value for the caller to count.
 */
#ifndef LIGHTSPEAD_PROTOCOL_PACKET_H
#define LIGHTSPEAD_PROTOCOL_PACKET_H

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <lightspead/protocol/defines.h>

namespace lightspead
{

/// Bytes of the fixed packet header (magic, version, widths, item count).
inline constexpr std::size_t packet_header_size = 8;
/// Header plus the four special item pointers every sent packet starts with.
inline constexpr std::size_t packet_prefix_size = packet_header_size + 4 * sizeof(item_pointer_t);

/// Read an unsigned big-endian number of @a len bytes (0 <= len <= 8).
inline item_pointer_t load_be(const std::uint8_t *ptr, std::size_t len) noexcept
{
    item_pointer_t value = 0;
    for (std::size_t i = 0; i < len; i++)
        value = (value << 8) | ptr[i];
    return value;
}

/// Read a big-endian 64-bit word.
inline item_pointer_t load_be64(const std::uint8_t *ptr) noexcept
{
    item_pointer_t value;
    std::memcpy(&value, ptr, sizeof(value));
    return __builtin_bswap64(value);
}

/// Write @a value as a big-endian 64-bit word.
inline void store_be64(std::uint8_t *ptr, item_pointer_t value) noexcept
{
    value = __builtin_bswap64(value);
    std::memcpy(ptr, &value, sizeof(value));
}

/**
 * Write the low @a len bytes of @a value big-endian (0 <= len <= 8). The
 * caller guarantees that @a value fits.
 */
inline void store_be(std::uint8_t *ptr, std::size_t len, item_pointer_t value) noexcept
{
    for (std::size_t i = len; i > 0; i--)
    {
        ptr[i - 1] = std::uint8_t(value);
        value >>= 8;
    }
}

/**
 * Builds and takes apart 64-bit item pointers for one heap address width.
 * Values are in host byte order; use @ref store_be64 / @ref load_be64 for
 * the wire.
 */
class pointer_codec
{
private:
    int heap_address_bits;
    item_pointer_t value_mask;

public:
    /// @pre @a heap_address_bits is a multiple of 8 in (0, 64) (see @ref flavour).
    explicit constexpr pointer_codec(int heap_address_bits) noexcept
        : heap_address_bits(heap_address_bits), value_mask((item_pointer_t(1) << heap_address_bits) - 1)
    {
    }

    /// Immediate pointer; @a value is truncated to A bits (the caller checks range).
    constexpr item_pointer_t encode_immediate(item_pointer_t id, item_pointer_t value) const noexcept
    {
        return (item_pointer_t(1) << 63) | (id << heap_address_bits) | (value & value_mask);
    }

    /// Addressed pointer: @a address is a byte offset in the heap payload.
    constexpr item_pointer_t encode_address(item_pointer_t id, item_pointer_t address) const noexcept
    {
        return (id << heap_address_bits) | (address & value_mask);
    }

    /// Whether @a pointer is an immediate (its top bit).
    static constexpr bool is_immediate(item_pointer_t pointer) noexcept { return pointer >> 63; }

    /// The item ID in @a pointer.
    constexpr item_pointer_t get_id(item_pointer_t pointer) const noexcept
    {
        return (pointer & ~(item_pointer_t(1) << 63)) >> heap_address_bits;
    }

    /// The immediate value or the address, whichever the pointer holds.
    constexpr item_pointer_t get_value(item_pointer_t pointer) const noexcept { return pointer & value_mask; }
};

/**
 * Write the 8-byte packet header for SPEAD-64-@a heap_address_bits with
 * @a n_items item pointers (the special ones included).
 */
inline void encode_packet_header(std::uint8_t *out, int heap_address_bits, std::size_t n_items) noexcept
{
    store_be64(out,
               (item_pointer_t(magic_version) << 48) | (item_pointer_t(8 - heap_address_bits / 8) << 40)
                   | (item_pointer_t(heap_address_bits / 8) << 32) | item_pointer_t(n_items & 0xffff));
}

/// Why a packet was rejected (or @c ok).
enum class packet_status
{
    ok,
    too_short,               ///< fewer than 8 bytes
    bad_magic,               ///< byte 0 is not 0x53
    bad_version,             ///< byte 1 is not 4
    bad_widths,              ///< item-ID and address widths do not make a supported SPEAD-64-A
    truncated_pointers,      ///< 8 + 8N exceeds the bytes available
    missing_heap_cnt,        ///< no immediate heap counter
    missing_payload_offset,  ///< no immediate payload offset
    missing_payload_length,  ///< no immediate payload length
    truncated_payload,       ///< 8 + 8N + payload length exceeds the bytes available
    payload_beyond_heap      ///< payload offset + length exceeds the declared heap length
};

/// A short English description of @a status, for logs and exceptions.
const char *to_string(packet_status status) noexcept;

/**
 * A decoded, validated packet. It points into the caller's bytes and is
 * valid only as long as they are.
 */
struct packet_view
{
    s_item_pointer_t heap_cnt = -1;          ///< heap counter
    s_item_pointer_t heap_length = -1;       ///< total heap payload, or -1 when the packet does not say
    s_item_pointer_t payload_offset = 0;     ///< where this packet's payload goes in the heap
    s_item_pointer_t payload_length = 0;     ///< bytes of payload in this packet
    int heap_address_bits = 40;              ///< A, from the packet's own header
    std::size_t n_items = 0;                 ///< item pointers, special ones included
    const std::uint8_t *pointers = nullptr;  ///< the raw (big-endian) item pointers
    const std::uint8_t *payload = nullptr;   ///< the payload bytes
    std::size_t size = 0;                    ///< 8 + 8N + payload_length: the packet's own idea of its size

    /// Item pointer @a i in host byte order (@a i < n_items).
    item_pointer_t pointer(std::size_t i) const noexcept { return load_be64(pointers + i * sizeof(item_pointer_t)); }
};

/**
 * The result of @c decode_packet: a view when @c status is @c ok. For
 * @c truncated_pointers and @c truncated_payload, @c packet.n_items and
 * @c packet.payload_length are filled in, so a stream reader can tell how
 * many bytes the packet needs.
 */
struct packet_decode_result
{
    packet_status status = packet_status::too_short;  ///< @c ok, or why the bytes are not a packet
    packet_view packet;                               ///< the packet (in part, as described above, on failure)

    /// Whether the bytes are a valid packet.
    explicit operator bool() const noexcept { return status == packet_status::ok; }
};

/**
 * Decode the packet at the start of @a data.
 *
 * The packet may be shorter than @a size (over TCP packets follow each
 * other); compare @c packet.size with the datagram length where one packet
 * per datagram is expected. If a special item appears twice, the last one
 * wins. Special items that are not immediate are ignored.
 *
 * Never throws; reads only bytes in [data, data + size).
 */
packet_decode_result decode_packet(const std::uint8_t *data, std::size_t size) noexcept;

/**
 * As above, writing the view into @a out (a reader's own object, so that
 * decoding a packet copies nothing) and returning the status. On failure
 * @a out holds what the result's @c packet would.
 */
packet_status decode_packet(const std::uint8_t *data, std::size_t size, packet_view &out) noexcept;

/**
 * Decode a packet whose header and item pointers (@a header_size bytes) and
 * payload (@a payload_size bytes) lie apart in memory, as after a scatter
 * read. Succeeds only if the split is exact: the header region holds
 * exactly 8 + 8N bytes and the payload region exactly the payload length
 * (otherwise @c truncated_payload). The view's @c payload points at
 * @a payload.
 */
packet_decode_result decode_packet(const std::uint8_t *header, std::size_t header_size, const std::uint8_t *payload,
                                   std::size_t payload_size) noexcept;

/**
 * Where a packet could start after bad bytes at the start of @a data: the
 * first offset >= 1 holding the magic and version bytes (or the magic as
 * the very last byte, when more may follow). Returns @a size if there is
 * none. Used by readers of byte streams to resynchronise.
 */
std::size_t next_packet_candidate(const std::uint8_t *data, std::size_t size) noexcept;

}  // namespace lightspead

#endif  // LIGHTSPEAD_PROTOCOL_PACKET_H
