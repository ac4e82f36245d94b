/**
 * @file
 * Splitting a byte stream of back-to-back SPEAD packets (a TCP connection,
 * a buffer written by @ref send::streambuf_stream) into packets. The bytes
 * are untrusted: the splitter says how many to consume and why, and never
 * reads past what it is given.
 */
#ifndef LIGHTSPEAD_PROTOCOL_STREAM_FRAMING_H
#define LIGHTSPEAD_PROTOCOL_STREAM_FRAMING_H

#include <cstddef>
#include <cstdint>
#include <lightspead/protocol/packet.h>

namespace lightspead
{

/// What the bytes at the front of a packet byte stream hold.
enum class stream_frame_kind
{
    packet,      ///< a valid packet of @c size bytes, in @c packet
    oversized,   ///< a valid packet of @c size bytes, larger than the reader allows: skip it
    incomplete,  ///< the start of a plausible packet: wait for more bytes (@c size is 0)
    garbage      ///< no packet starts here: skip @c size bytes to where one could
};

/// The result of @ref next_stream_frame.
struct stream_frame
{
    stream_frame_kind kind = stream_frame_kind::incomplete;
    std::size_t size = 0;  ///< bytes to consume from the front
    packet_view packet;    ///< the decoded packet (for @c packet and @c oversized)
};

namespace detail
{
/// The bytes at @a data hold no valid packet (@a status says why, @a f holds what was decoded): set
/// @a f to incomplete or garbage.
void classify_partial_frame(const std::uint8_t *data, std::size_t available, std::size_t max_size, bool more_may_follow,
                            packet_status status, stream_frame &f) noexcept;
}  // namespace detail

/**
 * Classify the bytes at the front of a packet byte stream.
 *
 * @param data, available  the unconsumed bytes (only these are read)
 * @param max_size         the largest packet accepted; a bigger valid one
 *                         is @c oversized, and a partial one that would
 *                         be bigger is @c garbage rather than waited for
 * @param more_may_follow  whether more bytes can arrive after @a available
 *                         (a live connection); if false a partial packet
 *                         is @c garbage, so the caller never waits
 *
 * Packets no larger than @a max_size are found from a prefix of the bytes
 * alone: feeding the same stream in any pieces, consuming as told and
 * appending the next piece on @c incomplete, yields the same packets as
 * feeding it whole (garbage may be skipped in more, smaller steps). A
 * packet larger than @a max_size is @c oversized only if all of it is in
 * @a available; a partial one is @c garbage. @c garbage skips at least one
 * byte; only @c incomplete consumes none. With @a available 0 the result
 * is @c incomplete.
 *
 * Never throws. Inline: a reader calls it per packet, and a valid packet
 * (the common case) is decoded straight into the returned frame.
 */
inline stream_frame next_stream_frame(const std::uint8_t *data, std::size_t available, std::size_t max_size,
                                      bool more_may_follow) noexcept
{
    stream_frame f;
    if (available == 0)
        return f;  // incomplete, nothing to consume
    const packet_status status = decode_packet(data, available, f.packet);
    // One object returned on every path, so the caller's frame is this one.
    if (status != packet_status::ok)
        detail::classify_partial_frame(data, available, max_size, more_may_follow, status, f);
    else
    {
        f.kind = f.packet.size > max_size ? stream_frame_kind::oversized : stream_frame_kind::packet;
        f.size = f.packet.size;
    }
    return f;
}

}  // namespace lightspead

#endif  // LIGHTSPEAD_PROTOCOL_STREAM_FRAMING_H
