/**
 * @file
 * Splitting a byte stream of back-to-back SPEAD packets (a TCP connection,
 * a buffer written by @c send::streambuf_stream) into packets. The bytes
 * are untrusted: the splitter says how many to consume and why, and never
 * reads past what it is given.
 */
#ifndef LIGHTSPEAD_PROTOCOL_STREAM_FRAMING_H
#define LIGHTSPEAD_PROTOCOL_STREAM_FRAMING_H

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>
#include <lightspead/protocol/packet.h>

namespace lightspead
{

/// What the bytes at the front of a packet byte stream hold.
enum class stream_frame_kind
{
    packet,      ///< a valid packet of @c size bytes, in @c packet
    oversized,   ///< a packet of @c size bytes, larger than the reader allows: skip it (perhaps more than available)
    incomplete,  ///< the start of a plausible packet: wait for more bytes (@c size is 0)
    garbage      ///< no packet starts here: skip @c size bytes to where one could
};

/// The result of @ref next_stream_frame.
struct stream_frame
{
    stream_frame_kind kind = stream_frame_kind::incomplete;  ///< what is at the front of the bytes
    std::size_t size = 0;                                    ///< bytes to consume from the front
    packet_view packet;  ///< the decoded packet (for @c packet, and @c oversized if all of it is available)
};

namespace detail
{
/// The bytes at @a data hold no valid packet (@a status says why, @a f holds what was decoded): set
/// @a f to incomplete or garbage.
void classify_partial_frame(const std::uint8_t *data, std::size_t available, std::size_t max_size, bool more_may_follow,
                            packet_status status, stream_frame &f) noexcept;
/// @a f holds a decoded packet larger than @a max_size: set it to oversized, or garbage if its
/// item pointers alone exceed @a max_size.
void classify_oversized_frame(const std::uint8_t *data, std::size_t available, std::size_t max_size,
                              stream_frame &f) noexcept;
}  // namespace detail

/**
 * Classify the bytes at the front of a packet byte stream.
 *
 * @param data, available  the unconsumed bytes (only these are read)
 * @param max_size         the largest packet accepted; a bigger one is
 *                         @c oversized (its payload is not waited for)
 * @param more_may_follow  whether more bytes can arrive after @a available
 *                         (a live connection); if false a partial packet
 *                         is @c garbage, so the caller never waits
 *
 * Packets are found from a prefix of the bytes alone: feeding the same
 * stream in any pieces, consuming as told (skipping the rest of an
 * oversized packet as it arrives) and appending the next piece on
 * @c incomplete, yields the same packets and oversized packets as feeding
 * it whole (garbage may be skipped in more, smaller steps). A packet is
 * @c oversized once its header and item pointers are in @a available and
 * valid, they fit in @a max_size and the whole packet does not: @c size is
 * then the whole packet's, which exceeds @a available while its payload
 * has not all arrived (only with @a more_may_follow; @c packet is then not
 * filled in). Item pointers that alone exceed @a max_size make
 * @c garbage. @c garbage skips at least one byte and no more than
 * @a available; only @c incomplete consumes none. With @a available 0 the
 * result is @c incomplete.
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
    else if (f.packet.size <= max_size)
    {
        f.kind = stream_frame_kind::packet;
        f.size = f.packet.size;
    }
    else
        detail::classify_oversized_frame(data, available, max_size, f);
    return f;
}

/**
 * Splits one packet byte stream (a TCP connection, a memory buffer) into
 * frames as @ref next_stream_frame does, remembering between calls what it
 * needs to keep resynchronisation cheap and safe:
 *
 * - Cost linear in the bytes. A candidate packet is decoded by reading all
 *   its item pointers (up to 65535), and garbage may hold a candidate every
 *   few bytes whose pointers overlap the next ones': decoded one by one,
 *   8 MiB of such junk took 20 s. The framer indexes the special item
 *   pointers (heap counter, heap length, payload offset and length) it has
 *   read, per byte offset modulo 8 and pointer width, so that every byte
 *   is read a bounded number of times; a candidate is decoded in full only
 *   when it is a packet (or a packet's start), and then its bytes are
 *   consumed.
 * - While resynchronising (after garbage, until the next packet), an
 *   oversized packet is garbage: the header of a real packet too large for
 *   the reader comes straight after the packet before it, but a "packet"
 *   found inside garbage with a huge payload is most likely more garbage,
 *   and skipping it whole would throw away the good packets after it.
 *
 * Frames are otherwise exactly those of @ref next_stream_frame. The caller
 * consumes every frame it is given in full (an oversized one beyond the
 * bytes available as they arrive) and passes the bytes that follow.
 */
class stream_framer
{
private:
    // Candidates with at most this many item pointers are decoded directly.
    static constexpr std::size_t direct_pointers = 16;
    static constexpr int n_widths = 7;   // heap address widths of 1 to 7 bytes
    static constexpr int n_special = 4;  // item IDs 1 to 4

    // The special immediate pointers found among the 8-byte words at one
    // byte offset modulo 8, read as pointers of one width: their stream
    // offsets, ascending, per ID, from index first[] on.
    struct lane
    {
        std::uint64_t scanned_to = 0;  // words before this offset have been read
        std::array<std::vector<std::uint64_t>, n_special> found;
        std::array<std::size_t, n_special> first{};
    };

    std::size_t max_size;
    std::uint64_t offset = 0;  // stream offset of the next frame
    bool resyncing = false;
    std::vector<lane> lanes;

    // Decide a candidate of more than direct_pointers pointers from the
    // index; false if it must be decoded in full.
    bool classify_indexed(const std::uint8_t *data, std::size_t available, bool more_may_follow, stream_frame &f);

public:
    /// Split a stream whose packets may be up to @a max_size bytes (larger: oversized).
    explicit stream_framer(std::size_t max_size);

    /**
     * The frame at the front of @a data, the @a available bytes that follow
     * those consumed so far (see @ref next_stream_frame for
     * @a more_may_follow). Never throws.
     */
    stream_frame next(const std::uint8_t *data, std::size_t available, bool more_may_follow) noexcept;

    /// Whether the last frame was garbage (or followed garbage without a packet since).
    bool is_resynchronising() const noexcept { return resyncing; }
};

}  // namespace lightspead

#endif  // LIGHTSPEAD_PROTOCOL_STREAM_FRAMING_H
