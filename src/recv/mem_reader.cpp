#include <limits>
#include <lightspead/protocol/stream_framing.h>
#include <lightspead/recv/mem_reader.h>

namespace lightspead::recv
{

mem_reader::mem_reader(stream &owner, const std::uint8_t *ptr, std::size_t length)
    : yielding_reader(owner), ptr(ptr), length(length), framer(std::numeric_limits<std::size_t>::max())
{
}

bool mem_reader::next_packet(stream::batch &batch)
{
    if (position == length)
        return false;
    // All of the input is here: nothing is waited for, and any packet size goes.
    const stream_frame f = framer.next(ptr + position, length - position, false);
    if (f.kind == stream_frame_kind::packet)
        batch.add_packet(f.packet);
    else
        batch.discard(stat_packets_malformed);  // resynchronising past garbage
    position += f.size;
    return true;
}

}  // namespace lightspead::recv
