#include <algorithm>
#include <new>
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

stream_framer::stream_framer(std::size_t max_size) : max_size(max_size), lanes(8 * n_widths)
{
}

bool stream_framer::classify_indexed(const std::uint8_t *data, std::size_t available, bool more_may_follow,
                                     stream_frame &f)
{
    // The header alone, as decode_packet reads it
    const item_pointer_t header = load_be64(data);
    if ((header >> 48) != magic_version)
        return false;
    const int id_bytes = (header >> 40) & 0xff;
    const int address_bytes = (header >> 32) & 0xff;
    if (id_bytes + address_bytes != 8 || address_bytes == 0 || id_bytes == 0)
        return false;
    const std::size_t n_items = header & 0xffff;
    const std::size_t pointer_end = packet_header_size + n_items * sizeof(item_pointer_t);
    if (n_items <= direct_pointers || pointer_end > available)
        return false;  // cheap to decode (truncated pointers are not read)

    // The candidate's pointers are the words at stream offsets [a, b).
    const std::uint64_t a = offset + packet_header_size, b = offset + pointer_end;
    lane &l = lanes[(a % 8) * n_widths + (address_bytes - 1)];
    if (l.scanned_to < a)
    {
        // Nothing read in this lane is still ahead: start it afresh here
        for (int k = 0; k < n_special; k++)
        {
            l.found[k].clear();
            l.first[k] = 0;
        }
        l.scanned_to = a;
    }
    const pointer_codec codec(address_bytes * 8);
    for (std::uint64_t q = l.scanned_to; q < b; q += sizeof(item_pointer_t))
    {
        const item_pointer_t pointer = load_be64(data + (q - offset));
        if (!pointer_codec::is_immediate(pointer))
            continue;
        const item_pointer_t id = codec.get_id(pointer);
        if (id >= 1 && id <= n_special)
            l.found[id - 1].push_back(q);
    }
    l.scanned_to = std::max(l.scanned_to, b);

    // The last of each special pointer in [a, b), as decode_packet takes it
    std::array<const std::uint8_t *, n_special> last{};
    for (int k = 0; k < n_special; k++)
    {
        auto &found = l.found[k];
        std::size_t &first = l.first[k];
        // Offsets before a are behind every later candidate of the lane
        first = std::lower_bound(found.begin() + first, found.end(), a) - found.begin();
        if (first > 4096 && first > found.size() / 2)
        {
            found.erase(found.begin(), found.begin() + first);
            first = 0;
        }
        const auto end = std::lower_bound(found.begin() + first, found.end(), b);
        if (end != found.begin() + first)
            last[k] = data + (*(end - 1) - offset);
    }
    packet_status status = packet_status::ok;
    f.packet = packet_view();
    f.packet.heap_address_bits = address_bytes * 8;
    f.packet.n_items = n_items;
    const auto value = [&](int k) { return s_item_pointer_t(codec.get_value(load_be64(last[k]))); };
    if (!last[HEAP_CNT_ID - 1])
        status = packet_status::missing_heap_cnt;
    else if (!last[PAYLOAD_OFFSET_ID - 1])
        status = packet_status::missing_payload_offset;
    else if (!last[PAYLOAD_LENGTH_ID - 1])
        status = packet_status::missing_payload_length;
    else
    {
        f.packet.heap_cnt = value(HEAP_CNT_ID - 1);
        if (last[HEAP_LENGTH_ID - 1])
            f.packet.heap_length = value(HEAP_LENGTH_ID - 1);
        f.packet.payload_offset = value(PAYLOAD_OFFSET_ID - 1);
        f.packet.payload_length = value(PAYLOAD_LENGTH_ID - 1);
        if (item_pointer_t(f.packet.payload_length) > available - pointer_end)
            status = packet_status::truncated_payload;
        else if (f.packet.heap_length >= 0 && f.packet.payload_offset + f.packet.payload_length > f.packet.heap_length)
            status = packet_status::payload_beyond_heap;
        else
            return false;  // a packet: decode it in full (its bytes are then consumed)
    }
    detail::classify_partial_frame(data, available, max_size, more_may_follow, status, f);
    return true;
}

stream_frame stream_framer::next(const std::uint8_t *data, std::size_t available, bool more_may_follow) noexcept
{
    stream_frame f;
    bool decided = false;
    if (available >= packet_header_size)
    {
        try
        {
            decided = classify_indexed(data, available, more_may_follow, f);
        }
        catch (const std::bad_alloc &)
        {
            decided = false;  // no room for the index: decode directly (slower, same result)
        }
    }
    if (!decided)
        f = next_stream_frame(data, available, max_size, more_may_follow);
    if (f.kind == stream_frame_kind::oversized && resyncing)
    {
        // Most likely more garbage: skip only to the next candidate
        f.kind = stream_frame_kind::garbage;
        f.size = next_packet_candidate(data, available);
        f.packet = packet_view();
    }
    if (f.kind == stream_frame_kind::garbage)
        resyncing = true;
    else if (f.kind == stream_frame_kind::packet)
        resyncing = false;
    offset += f.size;
    return f;
}

}  // namespace lightspead
