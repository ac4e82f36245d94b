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
 * Never throws.
 */
stream_frame next_stream_frame(const std::uint8_t *data, std::size_t available, std::size_t max_size,
                               bool more_may_follow) noexcept;

}  // namespace lightspead

#endif  // LIGHTSPEAD_PROTOCOL_STREAM_FRAMING_H
