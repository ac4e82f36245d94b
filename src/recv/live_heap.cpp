#include <algorithm>
#include <cstring>
#include <lightspead/recv/live_heap.h>

namespace lightspead::recv
{

live_heap::live_heap(item_pointer_t cnt, int heap_address_bits) : cnt(cnt), heap_address_bits(heap_address_bits)
{
}

void live_heap::place_payload(std::uint8_t *dest, std::size_t capacity, memcpy_function copy) noexcept
{
    buffer = dest;
    this->capacity = capacity;
    external = true;
    buffer_copy = copy;
}

void live_heap::discard_payload() noexcept
{
    drop_payload = true;
    buffer = nullptr;
    capacity = 0;
    payload.reset();
    placement.packet_present = nullptr;
}

bool live_heap::reserve(std::size_t size, memory_allocator &allocator, const live_heap_limits &limits)
{
    const std::size_t limit = limits.max_heap_size;
    if (drop_payload)
        return size <= limit;
    if (size <= capacity)
        return true;
    if (size > limit || external)
        return false;
    // Unsized heaps grow geometrically, so copying stays linear overall.
    std::size_t new_capacity = size;
    if (heap_length < 0)
        new_capacity = std::min(limit, std::max(size, 2 * capacity));
    auto bigger = allocator.allocate(new_capacity);
    if (extent > 0)
        std::memcpy(bigger.get(), payload.get(), extent);
    lightspead::detail::store_fence();  // the old buffer's streaming stores (unfenced copies) land before it is freed
    payload = std::move(bigger);
    buffer = payload.get();
    capacity = new_capacity;
    // Chosen once per buffer, not per packet
    buffer_copy = limits.large_copy && capacity >= limits.large_heap_size ? limits.large_copy : nullptr;
    return true;
}

namespace
{

// The four specials every packet carries describe the packet, not the heap.
bool is_packet_special(item_pointer_t ptr, const pointer_codec &codec) noexcept
{
    const item_pointer_t id = codec.get_id(ptr);
    return pointer_codec::is_immediate(ptr) && id >= HEAP_CNT_ID && id <= PAYLOAD_LENGTH_ID;
}

}  // anonymous namespace

// Per packet: kept inline in add_packet, its only caller.
[[gnu::always_inline]] inline add_status live_heap::check_length(const packet_view &p, item_pointer_t end,
                                                                 const live_heap_limits &limits) const noexcept
{
    // Heap length: fixed by the first packet that gives it, never changed.
    if (p.heap_length >= 0)
    {
        if (heap_length >= 0 && heap_length != p.heap_length)
            return add_status::length_conflict;
        if (heap_length < 0 && extent > item_pointer_t(p.heap_length))
            return add_status::length_conflict;  // earlier data lies beyond it
        if (item_pointer_t(p.heap_length) > limits.max_heap_size)
            return add_status::too_large;
    }
    if (end > limits.max_heap_size)
        return add_status::too_large;
    // A packet that does not state the heap length must still fit the
    // length an earlier packet stated (found by fuzzing: it was copied past
    // the end of the buffer).
    if (p.heap_length < 0 && heap_length >= 0 && end > item_pointer_t(heap_length))
        return add_status::length_conflict;
    return add_status::accepted;
}

[[gnu::always_inline]] inline add_status live_heap::check_placement(item_pointer_t offset, item_pointer_t end,
                                                                    const live_heap_limits &limits,
                                                                    range_map::iterator &next)
{
    next = ranges.end();
    if (!limits.allow_out_of_order)
        return offset == received ? add_status::accepted : add_status::out_of_order;
    if (end > offset)
    {
        // First range starting after offset; the one before it may overlap.
        next = ranges.upper_bound(offset);
        if (next != ranges.end() && next->first < end)
            return add_status::duplicate;
        if (next != ranges.begin() && std::prev(next)->second > offset)
            return add_status::duplicate;
    }
    return add_status::accepted;
}

[[gnu::always_inline]] inline bool live_heap::has_pointer(item_pointer_t ptr) const
{
    if (pointer_index)
        return pointer_index->count(ptr) != 0;
    return std::find(pointers.begin(), pointers.end(), ptr) != pointers.end();
}

[[gnu::always_inline]] inline std::size_t live_heap::count_new_pointers(const packet_view &p) const
{
    const pointer_codec codec(p.heap_address_bits);
    std::size_t n = 0;
    for (std::size_t i = 0; i < p.n_items; i++)
    {
        const item_pointer_t ptr = p.pointer(i);
        if (!is_packet_special(ptr, codec) && !has_pointer(ptr))
            n++;
    }
    return n;
}

[[gnu::always_inline]] inline void live_heap::merge_range(item_pointer_t offset, item_pointer_t end,
                                                          range_map::iterator next)
{
    // Merge with neighbours that touch the new range.
    item_pointer_t start = offset, stop = end;
    if (next != ranges.begin())
    {
        auto prev = std::prev(next);
        if (prev->second == offset)
        {
            start = prev->first;
            ranges.erase(prev);
        }
    }
    if (next != ranges.end() && next->first == end)
    {
        stop = next->second;
        ranges.erase(next);
    }
    ranges.emplace(start, stop);
}

[[gnu::always_inline]] inline void live_heap::record_pointers(const packet_view &p)
{
    const pointer_codec codec(p.heap_address_bits);
    for (std::size_t i = 0; i < p.n_items; i++)
    {
        const item_pointer_t ptr = p.pointer(i);
        if (is_packet_special(ptr, codec))
            continue;
        if (pointer_codec::is_immediate(ptr) && codec.get_id(ptr) == STREAM_CTRL_ID)
        {
            if (codec.get_value(ptr) == CTRL_STREAM_STOP)
                stop_item = true;
            else if (codec.get_value(ptr) == CTRL_STREAM_START)
                start_item = true;
        }
        if (has_pointer(ptr))
            continue;
        pointers.push_back(ptr);
        if (pointer_index)
            pointer_index->insert(ptr);
        else if (pointers.size() > pointer_index_threshold)
            pointer_index = std::make_unique<std::unordered_set<item_pointer_t>>(pointers.begin(), pointers.end());
    }
}

add_status live_heap::add_packet(const packet_view &p, const live_heap_limits &limits, memory_allocator &allocator,
                                 bool in_place)
{
    const item_pointer_t offset = p.payload_offset;
    const item_pointer_t end = offset + p.payload_length;
    if (p.heap_address_bits != heap_address_bits)
        return add_status::length_conflict;
    offered_end = end;

    // Check: everything that can refuse the packet, before anything changes.
    if (const add_status s = check_length(p, end, limits); s != add_status::accepted)
        return s;
    range_map::iterator next;
    if (const add_status s = check_placement(offset, end, limits, next); s != add_status::accepted)
        return s;
    // Counting the new pointers exactly costs a search per item: only when
    // the packet might reach the limit.
    if (pointers.size() + p.n_items > limits.max_pointers
        && pointers.size() + count_new_pointers(p) > limits.max_pointers)
        return add_status::too_many_pointers;
    const s_item_pointer_t known_length = heap_length >= 0 ? heap_length : p.heap_length;
    const std::size_t needed = known_length >= 0 ? std::size_t(known_length) : std::size_t(end);
    if (!reserve(needed, allocator, limits))
        return add_status::too_large;

    // Place the payload (unless the reader received it in place already).
    heap_length = known_length;
    if (in_place && p.payload != buffer + offset)
        in_place = false;  // not where it belongs after all: copy it
    if (p.payload_length > 0 && !in_place && buffer)
        (buffer_copy ? buffer_copy : limits.copy)(buffer + offset, p.payload, p.payload_length);
    if (placement.packet_present && p.payload_length > 0)
        placement.packet_present[offset / placement.packet_presence_size] = 1;

    // Commit: the bookkeeping of what has arrived.
    received += p.payload_length;
    extent = std::max(extent, end);
    if (limits.allow_out_of_order && p.payload_length > 0)
        merge_range(offset, end, next);
    record_pointers(p);
    packets++;
    return add_status::accepted;
}

bool live_heap::pointers_within_length() const noexcept
{
    const pointer_codec codec(heap_address_bits);
    for (item_pointer_t p : pointers)
        if (!pointer_codec::is_immediate(p) && s_item_pointer_t(codec.get_value(p)) > heap_length)
            return false;
    return true;
}

std::vector<std::pair<item_pointer_t, item_pointer_t>> live_heap::get_payload_ranges() const
{
    std::vector<std::pair<item_pointer_t, item_pointer_t>> out;
    if (ranges.empty())
    {
        if (received > 0)
            out.emplace_back(0, received);  // in-order: one prefix
    }
    else
    {
        for (const auto &[start, stop] : ranges)
            out.emplace_back(start, stop);
    }
    return out;
}

}  // namespace lightspead::recv
