/**
 * @file
 * Finding the UDP payload in a captured link-layer frame (a pcap record):
 * Ethernet with or without VLAN tags, Linux "cooked" captures and raw IP;
 * IPv4 or IPv6. A capture file is untrusted input: every length is checked
 * against the bytes captured, and nothing outside them is read.
 */
#ifndef LIGHTSPEAD_PROTOCOL_CAPTURED_FRAME_H
#define LIGHTSPEAD_PROTOCOL_CAPTURED_FRAME_H

#include <cstddef>
#include <cstdint>

namespace lightspead
{

/**
 * Link-layer header types, numbered as libpcap reports them on Linux
 * (@c pcap_datalink: @c DLT_EN10MB, @c DLT_RAW, @c DLT_LINUX_SLL).
 */
enum class link_type : int
{
    ethernet = 1,
    raw_ip = 12,
    linux_cooked = 113
};

/// Why a frame holds no usable UDP payload (or @c ok).
enum class frame_status
{
    ok,
    unsupported_link_type,  ///< not one of @ref link_type
    truncated,              ///< shorter than its own headers say (snap length, or broken)
    not_ip,                 ///< neither IPv4 nor IPv6
    not_udp,                ///< IP, but not UDP (IPv6 extension headers are not followed)
    fragment,               ///< an IPv4 fragment (not reassembled)
    bad_ip_header,          ///< an IPv4 header length below 20 bytes
    bad_udp_length          ///< a UDP length below the 8-byte UDP header
};

/// A short English description of @a status, for logs.
const char *to_string(frame_status status) noexcept;

/// The result of @ref decode_captured_frame.
struct captured_udp
{
    frame_status status = frame_status::truncated;  ///< @c ok, or why the frame is not a UDP datagram
    const std::uint8_t *payload = nullptr;          ///< inside the frame when @c ok
    std::size_t payload_size = 0;                   ///< as the UDP header says (all captured)

    /// Whether the frame held a UDP datagram.
    explicit operator bool() const noexcept { return status == frame_status::ok; }
};

/**
 * Locate the UDP payload of the @a captured bytes of a frame of
 * @a link_type (a raw number from the capture, which may be anything).
 *
 * Never throws; reads only bytes in [frame, frame + captured).
 */
captured_udp decode_captured_frame(int link_type, const std::uint8_t *frame, std::size_t captured) noexcept;

}  // namespace lightspead

#endif  // LIGHTSPEAD_PROTOCOL_CAPTURED_FRAME_H
