#include <stdexcept>
#include <lightspead/send/batch_builder.h>

namespace lightspead::send
{

batch_builder::batch_builder(std::size_t max_packets, std::size_t arena_size, std::size_t burst_bytes)
    : max_packets(max_packets), burst_bytes(burst_bytes), header_arena(arena_size)
{
    if (max_packets == 0)
        throw std::invalid_argument("batch_builder needs room for at least one packet");
}

void batch_builder::clear() noexcept
{
    batch.clear();
    header_used = 0;
}

bool batch_builder::is_full() const noexcept
{
    return batch.packets.size() >= max_packets || (burst_bytes > 0 && batch.bytes >= burst_bytes);
}

bool batch_builder::add_packet(packet_generator &gen, std::size_t substream, std::size_t heap)
{
    const std::size_t header_size = gen.next_header_size();
    if (header_used + header_size > header_arena.size())
        return false;
    auto &p = batch.packets.emplace_back();
    p.iov_first = batch.iov.size();
    p.size = gen.next_packet(header_arena.data() + header_used, batch.iov);
    p.iov_count = batch.iov.size() - p.iov_first;
    p.substream = substream;
    p.heap = heap;
    header_used += header_size;
    batch.bytes += p.size;
    return true;
}

}  // namespace lightspead::send
