#include <lightspead/protocol/stream_framing.h>

namespace lightspead
{

stream_frame next_stream_frame(const std::uint8_t *data, std::size_t available, std::size_t max_size,
                               bool more_may_follow) noexcept
{
    stream_frame f;
    if (available == 0)
        return f;  // incomplete, nothing to consume
    const auto r = decode_packet(data, available);
    if (r)
    {
        f.kind = r.packet.size > max_size ? stream_frame_kind::oversized : stream_frame_kind::packet;
        f.size = r.packet.size;
        f.packet = r.packet;
        return f;
    }
    if (more_may_follow)
    {
        // A partial packet that is plausible so far: how many bytes would
        // decide it? Only worth waiting for if a packet that size is allowed.
        std::size_t needed = 0;
        if (r.status == packet_status::too_short)
        {
            // Too short to decode, but the first two bytes may already
            // rule a packet out; waiting on them would make the result
            // depend on how the bytes arrive.
            const bool plausible = data[0] == (magic_version >> 8)
                && (available < 2 || data[1] == (magic_version & 0xff));
            needed = plausible ? packet_header_size : 0;
        }
        else if (r.status == packet_status::truncated_pointers)
            needed = packet_header_size + sizeof(item_pointer_t) * r.packet.n_items;
        else if (r.status == packet_status::truncated_payload)
            needed = packet_header_size + sizeof(item_pointer_t) * r.packet.n_items
                + std::size_t(r.packet.payload_length);
        if (needed > available && needed <= max_size)
            return f;  // incomplete
    }
    f.kind = stream_frame_kind::garbage;
    f.size = next_packet_candidate(data, available);
    return f;
}

}  // namespace lightspead
