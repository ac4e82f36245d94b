/**
 * @file
 * Gathering the packets of one transmit call: the send stream's writer
 * cuts heaps into packets here, and a transport sends the batch in one go.
 */
#ifndef LIGHTSPEAD_SEND_BATCH_BUILDER_H
#define LIGHTSPEAD_SEND_BATCH_BUILDER_H

#include <cstddef>
#include <cstdint>
#include <vector>
#include <lightspead/send/packet_generator.h>
#include <lightspead/send/transport.h>

namespace lightspead::send
{

/**
 * Builds a @ref packet_batch from packet generators, with the packets'
 * headers in an arena of its own, up to three limits: a number of packets,
 * the arena's size, and (when rate limiting) a burst of bytes.
 *
 * The batch and its headers stay valid until @ref clear. Not thread-safe:
 * the stream's writer is its only user.
 */
class batch_builder
{
private:
    std::size_t max_packets;
    std::size_t burst_bytes;
    std::vector<std::uint8_t> own_arena;  // empty when the arena is the caller's
    std::uint8_t *arena;
    std::size_t arena_size;
    std::size_t header_used = 0;
    packet_batch batch;

public:
    /**
     * @param max_packets   packets per batch (at least 1)
     * @param arena_size    bytes for headers per batch
     * @param burst_bytes   end the batch once it holds this many bytes (0: no such limit)
     */
    batch_builder(std::size_t max_packets, std::size_t arena_size, std::size_t burst_bytes);

    /**
     * As above, with the headers in the caller's @a arena of @a arena_size
     * bytes (for example on huge pages, for packets the kernel sends
     * without copying), which must outlive the builder.
     */
    batch_builder(std::size_t max_packets, std::uint8_t *arena, std::size_t arena_size, std::size_t burst_bytes);

    batch_builder(const batch_builder &) = delete;
    batch_builder &operator=(const batch_builder &) = delete;

    /// Start a new, empty batch (what the last one pointed to may be reused).
    void clear() noexcept;

    /// Change the burst limit from the next packet on (0: no such limit).
    void set_burst_bytes(std::size_t bytes) noexcept { burst_bytes = bytes; }

    /// Whether the batch has reached its packet count or its burst of bytes.
    bool is_full() const noexcept;

    /**
     * Append the next packet of @a gen, for @a substream, belonging to the
     * heap at queue position @a heap, marked @a zerocopy (see
     * @ref packet_batch::packet). Returns false, appending nothing, if its
     * header does not fit in what is left of the arena.
     *
     * @pre @c gen.has_next_packet()
     */
    bool add_packet(packet_generator &gen, std::size_t substream, std::size_t heap, bool zerocopy = false);

    ///@{

    /// The batch built so far.
    packet_batch &get_batch() noexcept { return batch; }
    const packet_batch &get_batch() const noexcept { return batch; }
    ///@}
};

// Inline: the writer calls these per packet.
inline bool batch_builder::is_full() const noexcept
{
    return batch.packets.size() >= max_packets || (burst_bytes > 0 && batch.bytes >= burst_bytes);
}

inline bool batch_builder::add_packet(packet_generator &gen, std::size_t substream, std::size_t heap, bool zerocopy)
{
    const std::size_t header_size = gen.next_header_size();
    if (header_used + header_size > arena_size)
        return false;
    auto &p = batch.packets.emplace_back();
    p.iov_first = batch.iov.size();
    p.size = gen.next_packet(arena + header_used, batch.iov);
    p.iov_count = batch.iov.size() - p.iov_first;
    p.substream = substream;
    p.heap = heap;
    p.zerocopy = zerocopy;
    header_used += header_size;
    batch.bytes += p.size;
    return true;
}

}  // namespace lightspead::send

#endif  // LIGHTSPEAD_SEND_BATCH_BUILDER_H
