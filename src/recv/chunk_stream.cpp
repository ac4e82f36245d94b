#include <algorithm>
#include <exception>
#include <limits>
#include <stdexcept>
#include <string>
#include <lightspead/common/logging.h>
#include <lightspead/recv/chunk_stream.h>

namespace lightspead::recv
{

chunk_stream_config &chunk_stream_config::set_items(const std::vector<item_pointer_t> &item_ids)
{
    this->item_ids = item_ids;
    return *this;
}

chunk_stream_config &chunk_stream_config::set_max_chunks(std::size_t max_chunks)
{
    if (max_chunks == 0)
        throw std::invalid_argument("max_chunks must be at least 1");
    this->max_chunks = max_chunks;
    return *this;
}

chunk_stream_config &chunk_stream_config::set_place(chunk_place_function place)
{
    this->place = std::move(place);
    return *this;
}

chunk_stream_config &chunk_stream_config::set_allocate(chunk_allocate_function allocate)
{
    this->allocate = std::move(allocate);
    return *this;
}

chunk_stream_config &chunk_stream_config::set_ready(chunk_ready_function ready)
{
    this->ready = std::move(ready);
    return *this;
}

chunk_stream_config &chunk_stream_config::enable_packet_presence(std::size_t payload_size)
{
    if (payload_size == 0)
        throw std::invalid_argument("packet presence payload_size must be at least 1");
    packet_presence_payload_size = payload_size;
    return *this;
}

chunk_stream_config &chunk_stream_config::disable_packet_presence()
{
    packet_presence_payload_size = 0;
    return *this;
}

chunk_stream_config &chunk_stream_config::set_max_heap_extra(std::size_t max_heap_extra)
{
    this->max_heap_extra = max_heap_extra;
    return *this;
}

namespace detail
{

namespace
{

// The names of the statistics a chunk stream adds, in offset order.
constexpr const char *chunk_stat_names[] = {"too_old_heaps",         "rejected_heaps",      "heaps_outside_data",
                                            "heaps_outside_present", "heaps_outside_extra", "heaps_without_chunk"};

stream_config adjust_config(const stream_config &config, const chunk_stream_config &chunk_config)
{
    if (!chunk_config.get_place())
        throw std::invalid_argument("chunk_stream_config has no place callback");
    stream_config out = config;
    // A heap is placed at its first packet, which must say how long it is.
    out.set_allow_unsized_heaps(false);
    for (const char *name : chunk_stat_names)
        out.add_stat(name);
    return out;
}

}  // anonymous namespace

chunk_stream_base::chunk_stream_base(io_context_ref io, const stream_config &config,
                                     const chunk_stream_config &chunk_config)
    : stream(io, adjust_config(config, chunk_config)), chunk_config(chunk_config),
      base_stat_index(config.next_stat_index()), item_values(chunk_config.get_items().size()),
      extra_buffer(chunk_config.get_max_heap_extra()), batch_stats(get_config().get_stats().size()),
      large_chunk_copy(config.is_memcpy_set() ? nullptr : get_memcpy(MEMCPY_NONTEMPORAL)),
      chunk_copy(get_memcpy(config.get_memcpy())), window(chunk_config.get_max_chunks())
{
    enable_heap_placement();
}

void chunk_stream_base::merge_batch_stats()
{
    for (std::size_t i = 0; i < batch_stats.size(); i++)
        if (batch_stats[i] != 0)
        {
            combine_stat(i, batch_stats[i]);
            batch_stats[i] = 0;
        }
}

chunk *chunk_stream_base::get_chunk(std::int64_t chunk_id)
{
    return window.advance_to(
        std::uint64_t(chunk_id),
        // The allocator labels the chunk (chunk_id, stream_id): a group's
        // chunk is shared by its members, and only the group, under its
        // own lock, may write it (ThreadSanitizer caught two members
        // writing one chunk's stream_id, each under its own lock).
        [this](std::uint64_t id) { return allocate_chunk(std::int64_t(id)); },
        [this](chunk *old)
        {
            detach_heaps(old);
            ready_chunk(old);
        },
        [this](std::uint64_t head) { head_updated(head); });
}

void chunk_stream_base::flush_until(std::uint64_t chunk_id)
{
    window.flush_until(
        chunk_id,
        [this](chunk *old)
        {
            detach_heaps(old);
            ready_chunk(old);
        },
        [this](std::uint64_t head) { head_updated(head); });
    merge_batch_stats();
}

void chunk_stream_base::flush_chunks()
{
    flush_until(std::numeric_limits<std::uint64_t>::max());
}

void chunk_stream_base::detach_heaps(const chunk *c)
{
    for_each_live_heap(
        [c](live_heap &h)
        {
            heap_placement p = h.get_placement();
            if (p.target != c)
                return;
            h.discard_payload();
            p.target = nullptr;
            p.packet_present = nullptr;
            p.aged_out = true;
            h.set_placement(p);
        });
}

void chunk_stream_base::out_of_bounds(std::size_t which, const std::string &what)
{
    add_stat(base_stat_index + heaps_outside_data_offset + which, 1);
    bounds_log &log = bounds_logs[which];
    const auto now = std::chrono::steady_clock::now();
    const char *name = chunk_stat_names[heaps_outside_data_offset + which];
    if (!log.first_logged)
    {
        log.first_logged = true;
        log.last = now;
        log_warning("chunk stream: heap not received because the place callback put " + what + " (counted in " + name
                    + ")");
        return;
    }
    log.unlogged++;
    if (now - log.last >= std::chrono::seconds(1))
    {
        log_warning("chunk stream: " + std::to_string(log.unlogged) + " more heaps not received (" + name
                    + "), the last because the place callback put " + what);
        log.unlogged = 0;
        log.last = now;
    }
}

void chunk_stream_base::place_heap(live_heap &h, const packet_view &p)
{
    // The immediate values of the items asked for, special ones included.
    const auto &ids = chunk_config.get_items();
    std::fill(item_values.begin(), item_values.end(), -1);
    const pointer_codec codec(p.heap_address_bits);
    for (std::size_t i = 0; i < p.n_items; i++)
    {
        const item_pointer_t ptr = p.pointer(i);
        if (!pointer_codec::is_immediate(ptr))
            continue;
        const item_pointer_t id = codec.get_id(ptr);
        for (std::size_t j = 0; j < ids.size(); j++)
            if (ids[j] == id)
                item_values[j] = s_item_pointer_t(codec.get_value(ptr));
    }
    const std::uint8_t *header = p.pointers - 8;
    const std::size_t header_size = 8 + p.n_items * sizeof(item_pointer_t);
    place_data.packet = header;
    // The payload follows the header unless a reader received it elsewhere.
    place_data.packet_size = p.payload == header + header_size ? p.size : header_size;
    place_data.items = item_values.empty() ? nullptr : item_values.data();
    place_data.chunk_id = -1;
    place_data.heap_index = 0;
    place_data.heap_offset = 0;
    place_data.batch_stats = batch_stats.data();
    place_data.extra = extra_buffer.empty() ? nullptr : extra_buffer.data();
    place_data.extra_offset = 0;
    place_data.extra_size = 0;
    try
    {
        chunk_config.get_place()(&place_data, sizeof(place_data));
    }
    catch (std::exception &e)
    {
        if (!place_failure_logged)
            log_warning(std::string("chunk stream: place callback failed (heap rejected; later failures are counted "
                                    "in rejected_heaps without a log line): ")
                        + e.what());
        place_failure_logged = true;
        place_data.chunk_id = -1;
    }

    const std::int64_t chunk_id = place_data.chunk_id;
    if (chunk_id < 0)
    {
        add_stat(base_stat_index + rejected_heaps_offset, 1);
        h.discard_payload();
        return;
    }
    if (std::uint64_t(chunk_id) < window.get_head())
    {
        add_stat(base_stat_index + too_old_heaps_offset, 1);
        h.discard_payload();
        return;
    }
    chunk *c = get_chunk(chunk_id);
    if (!c)
    {
        // The allocate callback gave no chunk for this ID (or threw).
        add_stat(base_stat_index + heaps_without_chunk_offset, 1);
        h.discard_payload();
        return;
    }

    // Bounds: nothing may be written outside the chunk.
    const std::size_t length = std::size_t(p.heap_length);  // sized: unsized heaps are refused
    const std::size_t offset = place_data.heap_offset;
    const std::size_t data_size = c->get_data_size();
    if (offset > data_size || length > data_size - offset)
    {
        out_of_bounds(0,
                      std::to_string(length) + " bytes at offset " + std::to_string(offset) + " of a chunk with "
                          + std::to_string(data_size) + " bytes of data");
        h.discard_payload();
        return;
    }
    const std::size_t pp = chunk_config.get_packet_presence_payload_size();
    const std::size_t index = place_data.heap_index;
    // With packet presence, the flags run from index to the last packet's.
    const std::size_t flags = pp ? (length == 0 ? 1 : (length - 1) / pp + 1) : 1;
    const std::size_t present_size = c->present ? c->present_size : 0;
    if (index >= present_size || flags > present_size - index)
    {
        out_of_bounds(1,
                      std::to_string(flags) + " presence flags at index " + std::to_string(index) + " of a chunk with "
                          + std::to_string(present_size));
        h.discard_payload();
        return;
    }
    const std::size_t extra_size = place_data.extra_size;
    if (extra_size > 0)
    {
        const std::size_t extra_offset = place_data.extra_offset;
        const std::size_t chunk_extra = c->get_extra_size();
        if (extra_size > extra_buffer.size() || extra_offset > chunk_extra || extra_size > chunk_extra - extra_offset)
        {
            out_of_bounds(2,
                          std::to_string(extra_size) + " extra bytes (max_heap_extra "
                              + std::to_string(extra_buffer.size()) + ") at offset " + std::to_string(extra_offset)
                              + " of a chunk with " + std::to_string(chunk_extra) + " extra bytes");
            h.discard_payload();
            return;
        }
        std::memcpy(c->extra.get() + extra_offset, extra_buffer.data(), extra_size);
    }
    if (length > 0)
        h.place_payload(c->data.get() + offset, data_size - offset, get_chunk_copy(data_size));
    heap_placement placement;
    placement.target = c;
    placement.chunk_id = chunk_id;
    placement.heap_index = index;
    if (pp)
    {
        placement.packet_present = c->present.get() + index;
        placement.packet_presence_size = pp;
    }
    h.set_placement(placement);
}

void chunk_stream_base::heap_ready(live_heap &&h)
{
    if (!h.is_complete())
        return;
    const heap_placement &p = h.get_placement();
    if (p.aged_out)
        add_stat(base_stat_index + too_old_heaps_offset, 1);
    else if (p.target && !chunk_config.get_packet_presence_payload_size())
        p.target->present[p.heap_index] = 1;
}

}  // namespace detail

chunk_stream::chunk_stream(io_context_ref io, const stream_config &config, const chunk_stream_config &chunk_config)
    : chunk_stream_base(io, config, chunk_config)
{
    if (!chunk_config.get_allocate())
        throw std::invalid_argument("chunk_stream_config has no allocate callback");
    if (!chunk_config.get_ready())
        throw std::invalid_argument("chunk_stream_config has no ready callback");
}

chunk_stream::~chunk_stream()
{
    detach_from_pool();
    stop();
}

chunk *chunk_stream::allocate_chunk(std::int64_t chunk_id)
{
    try
    {
        chunk *fresh = get_chunk_config().get_allocate()(chunk_id, get_batch_stats()).release();
        if (fresh)
        {
            fresh->chunk_id = chunk_id;
            fresh->stream_id = get_config().get_stream_id();
        }
        return fresh;
    }
    catch (std::exception &e)
    {
        log_warning("chunk stream: allocate callback failed for chunk " + std::to_string(chunk_id) + ": " + e.what());
        return nullptr;
    }
}

void chunk_stream::ready_chunk(chunk *c)
{
    const std::int64_t chunk_id = c->chunk_id;
    std::unique_ptr<chunk> owned(c);
    try
    {
        get_chunk_config().get_ready()(std::move(owned), get_batch_stats());
    }
    catch (std::exception &e)
    {
        log_warning("chunk stream: ready callback failed for chunk " + std::to_string(chunk_id) + ": " + e.what());
    }
    merge_batch_stats();
}

void chunk_stream::stop_received()
{
    flush_chunks();
}

template class chunk_ring_stream<>;
template class chunk_ring_stream<ringbuffer<std::unique_ptr<chunk>, semaphore_fd, semaphore_fd>,
                                 ringbuffer<std::unique_ptr<chunk>, semaphore_fd, semaphore_fd>>;

}  // namespace lightspead::recv
