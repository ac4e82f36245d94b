#include <stdexcept>
#include <lightspead/send/batch_builder.h>

namespace lightspead::send
{

batch_builder::batch_builder(std::size_t max_packets, std::size_t arena_size, std::size_t burst_bytes)
    : batch_builder(max_packets, nullptr, arena_size, burst_bytes)
{
}

batch_builder::batch_builder(std::size_t max_packets, std::uint8_t *arena, std::size_t arena_size,
                             std::size_t burst_bytes)
    : max_packets(max_packets), burst_bytes(burst_bytes), arena(arena), arena_size(arena_size)
{
    if (max_packets == 0)
        throw std::invalid_argument("batch_builder needs room for at least one packet");
    if (!arena)
    {
        own_arena.resize(arena_size);
        this->arena = own_arena.data();
    }
}

void batch_builder::clear() noexcept
{
    batch.clear();
    header_used = 0;
}

}  // namespace lightspead::send
