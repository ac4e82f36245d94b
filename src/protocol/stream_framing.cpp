#include <lightspead/protocol/stream_framing.h>

namespace lightspead
{

namespace detail
{

void classify_partial_frame(const std::uint8_t *data, std::size_t available, std::size_t max_size, bool more_may_follow,
                            packet_status status, stream_frame &f) noexcept
{
    f.kind = stream_frame_kind::incomplete;
    f.size = 0;
    if (more_may_follow)
    {
        // A partial packet that is plausible so far: how many bytes would
        // decide it? Only worth waiting for if a packet that size is allowed.
        std::size_t needed = 0;
        if (status == packet_status::too_short)
        {
            // Too short to decode, but the first two bytes may already
            // rule a packet out; waiting on them would make the result
            // depend on how the bytes arrive.
            const bool plausible = data[0] == (magic_version >> 8)
                && (available < 2 || data[1] == (magic_version & 0xff));
            needed = plausible ? packet_header_size : 0;
        }
        else if (status == packet_status::truncated_pointers)
            needed = packet_header_size + sizeof(item_pointer_t) * f.packet.n_items;
        else if (status == packet_status::truncated_payload)
        {
            needed = packet_header_size + sizeof(item_pointer_t) * f.packet.n_items
                + std::size_t(f.packet.payload_length);
            const bool beyond_heap = f.packet.heap_length >= 0
                && f.packet.payload_offset + f.packet.payload_length > f.packet.heap_length;
            if (needed > max_size && !beyond_heap)
            {
                // Its payload would be refused anyway: do not wait for it,
                // skip it as it arrives (as when it is all here).
                f.packet.size = needed;
                f.packet.payload = nullptr;
                classify_oversized_frame(data, available, max_size, f);
                return;
            }
        }
        if (needed > available && needed <= max_size)
            return;  // incomplete
    }
    f.kind = stream_frame_kind::garbage;
    f.size = next_packet_candidate(data, available);
}

void classify_oversized_frame(const std::uint8_t *data, std::size_t available, std::size_t max_size,
                              stream_frame &f) noexcept
{
    // Pointers too many to fit are never waited for (see classify_partial_frame), so
    // they are garbage here too, however many bytes have arrived.
    if (packet_header_size + sizeof(item_pointer_t) * f.packet.n_items > max_size)
    {
        f.kind = stream_frame_kind::garbage;
        f.size = next_packet_candidate(data, available);
        return;
    }
    f.kind = stream_frame_kind::oversized;
    f.size = f.packet.size;
}

}  // namespace detail

}  // namespace lightspead
