#include <algorithm>
#include <chrono>
#include <iterator>
#include <new>
#include <stdexcept>
#include <boost/asio/post.hpp>
#include <lightspead/common/logging.h>
#include <lightspead/recv/stream.h>

namespace lightspead::recv
{

reader::reader(stream &owner) : owner(owner), strand(boost::asio::make_strand(owner.get_io_context()))
{
}

void reader::finished()
{
    owner.reader_finished(*this);
}

stream::stream(io_context_ref io, const stream_config &config)
    // A heap's own buffer is copied into without a fence per packet: deliver(),
    // stop_locked(), finish_heap() (for a stop heap) and live_heap::reserve()
    // (growing a buffer) fence once before its memory can reach another
    // thread or the allocator.
    : io(io),
      config(config), limits{config.get_max_heap_size(),
                             config.get_allow_out_of_order(),
                             lightspead::detail::get_unfenced_memcpy(config.get_memcpy()),
                             live_heap_limits().max_pointers,
                             config.is_memcpy_set() ? nullptr
                                                    : lightspead::detail::get_unfenced_memcpy(MEMCPY_NONTEMPORAL),
                             stream_config::nontemporal_heap_size},
      tables(config.get_substreams()), stats(config.get_stats().size())
{
    for (auto &t : tables)
    {
        t.slots.resize(config.get_max_heaps());
        // An impossible counter (they have at most 56 bits) marks empty entries.
        t.recent.assign(2 * config.get_max_heaps(), item_pointer_t(-1));
    }
}

stream::~stream()
{
    detach_from_pool();
    // The derived class has gone, so there is no consumer left to flush
    // heaps to (derived classes call stop() in their own destructors).
    std::unique_lock<std::mutex> lock(mutex);
    stop_locked(false);
    readers_done.wait(lock, [this] { return readers_running == 0 && stops_pending == 0; });
    lock.unlock();
    wait_for_posts();
}

void stream::detach_from_pool()
{
    membership.leave();
}

void stream::start_reader(reader &r)
{
    boost::asio::post(r.get_strand(), [&r] { r.start(); });
}

void stream::check_reader_allowed_locked() const
{
    if (config.get_explicit_start() && readers_started)
        throw std::logic_error("cannot add a reader to a stream after its explicit start()");
}

void stream::check_reader_allowed()
{
    std::lock_guard<std::mutex> lock(mutex);
    check_reader_allowed_locked();
}

void stream::start()
{
    std::vector<reader *> to_start;
    {
        std::lock_guard<std::mutex> lock(mutex);
        if (!config.get_explicit_start() || readers_started)
            return;
        readers_started = true;
        if (stopped)
            return;  // stop() has finished every reader already
        for (std::size_t i = 0; i < readers.size(); i++)
            if (!reader_done[i])
                to_start.push_back(readers[i].get());
    }
    for (reader *r : to_start)
        start_reader(*r);
}

void stream::reader_finished(const reader &r)
{
    std::lock_guard<std::mutex> lock(mutex);
    for (std::size_t i = 0; i < readers.size(); i++)
        if (readers[i].get() == &r)
            reader_done[i] = true;
    readers_running--;
    // Notify under the lock: the waiter may destroy the stream as soon as
    // it can observe zero.
    readers_done.notify_all();
}

void stream::stop_locked(bool flush)
{
    if (stopped)
        return;
    stopped = true;
    log_discards(true);
    // Heaps dropped here free their buffers without passing deliver()
    lightspead::detail::store_fence();
    for (auto &t : tables)
        for (auto &slot : t.slots)
            if (slot)
            {
                if (flush)
                    deliver(std::move(*slot), stat_incomplete_heaps_flushed);
                else
                    stats[stat_incomplete_heaps_flushed]++;
                slot.reset();
            }
    if (flush)
        stop_received();
    // A posted stop counts as work in flight: the stream is not destroyed
    // until it has run, even if its reader finishes on its own meanwhile.
    // Readers waiting for an explicit start() never began: nothing to stop.
    const bool never_started = config.get_explicit_start() && !readers_started;
    for (std::size_t i = 0; i < readers.size(); i++)
    {
        if (reader_done[i])
            continue;
        if (never_started)
        {
            reader_done[i] = true;
            readers_running--;
            continue;
        }
        reader *raw = readers[i].get();
        stops_pending++;
        boost::asio::post(raw->get_strand(),
                          [this, raw, i]
                          {
                              bool done;
                              {
                                  std::lock_guard<std::mutex> lock(mutex);
                                  done = reader_done[i];
                              }
                              // A reader that finished on its own has nothing left to stop.
                              if (!done)
                                  raw->stop();
                              std::lock_guard<std::mutex> lock(mutex);
                              stops_pending--;
                              readers_done.notify_all();
                          });
    }
}

void stream::post_locked(std::function<void()> f)
{
    {
        std::lock_guard<std::mutex> lock(posts_mutex);
        // A stopped stream may have no thread left to run it (its pool has
        // stopped), and has nothing left for it to do.
        if (posts_closed)
            return;
        posts_pending++;
    }
    boost::asio::post(io.get(),
                      [this, f = std::move(f)]
                      {
                          {
                              std::lock_guard<std::mutex> lock(mutex);
                              f();
                          }
                          std::lock_guard<std::mutex> lock(posts_mutex);
                          posts_pending--;
                          posts_done.notify_all();
                      });
}

void stream::wait_for_posts()
{
    std::unique_lock<std::mutex> lock(posts_mutex);
    posts_closed = true;
    posts_done.wait(lock, [this] { return posts_pending == 0; });
}

void stream::stop()
{
    std::unique_lock<std::mutex> lock(mutex);
    stop_locked();
    // On one of the io_context's threads the readers' stops may need this
    // very thread: start them and let the destructor do the waiting.
    if (!io.running_in_this_thread())
    {
        readers_done.wait(lock, [this] { return readers_running == 0 && stops_pending == 0; });
        lock.unlock();
        wait_for_posts();
    }
}

stream_stats stream::get_stats() const
{
    std::vector<std::uint64_t> values(stats.begin(), stats.end());
    return stream_stats(std::make_shared<const std::vector<stream_stat_config>>(config.get_stats()), std::move(values));
}

stream_stats stream::get_discard_stats() const
{
    static const auto names = std::make_shared<const std::vector<stream_stat_config>>(discard_stats());
    return stream_stats(names, std::vector<std::uint64_t>(discards.begin(), discards.end()));
}

void stream::deliver(live_heap &&h, stat_index if_incomplete)
{
    // The payload's streaming stores (limits' copies are unfenced) land
    // before the heap can be handed to another thread or freed.
    lightspead::detail::store_fence();
    h.close_unsized();
    if (!h.is_complete())
        stats[if_incomplete]++;
    else
    {
        if (!h.pointers_within_length())
        {
            // Complete payload, impossible items: it can never be frozen.
            discards[stat_heaps_dropped]++;
        }
        else
        {
            stats[stat_heaps]++;
            if (h.get_packets() == 1)
                stats[stat_single_packet_heaps]++;
        }
    }
    heap_ready(std::move(h));
}

// The steps of process_packet, its only caller, run per packet: kept inline.
[[gnu::always_inline]] inline bool stream::admit(const packet_view &p)
{
    if (stopped)
    {
        discards[stat_packets_after_stop]++;
        return false;
    }
    if (p.heap_length < 0 && !config.get_allow_unsized_heaps())
    {
        discards[stat_packets_unsized]++;
        return false;
    }
    return true;
}

[[gnu::always_inline]] inline std::optional<live_heap> *stream::find_heap(substream_table &table, const packet_view &p)
{
    for (auto &candidate : table.slots)
    {
        stats[stat_search_dist]++;
        if (candidate && candidate->get_cnt() == item_pointer_t(p.heap_cnt))
            return &candidate;
    }
    return nullptr;
}

std::optional<live_heap> *stream::start_heap(substream_table &table, const packet_view &p)
{
    if (std::find(table.recent.begin(), table.recent.end(), item_pointer_t(p.heap_cnt)) != table.recent.end())
    {
        discards[stat_packets_stale]++;
        return nullptr;
    }
    // Checks that need no heap come first: a bad packet must not evict a
    // good heap from the table.
    if (!config.get_allow_out_of_order() && p.payload_offset != 0)
    {
        discards[stat_packets_out_of_order]++;
        return nullptr;
    }
    const item_pointer_t end = p.payload_offset + p.payload_length;
    if ((p.heap_length >= 0 && item_pointer_t(p.heap_length) > limits.max_heap_size) || end > limits.max_heap_size)
    {
        discards[stat_packets_heap_too_large]++;
        return nullptr;
    }
    // Take the next slot round-robin, evicting whatever is there.
    std::optional<live_heap> *slot = &table.slots[table.next];
    table.next = (table.next + 1) % table.slots.size();
    if (*slot)
    {
        table.remember((*slot)->get_cnt());
        deliver(std::move(**slot), stat_incomplete_heaps_evicted);
        slot->reset();
    }
    slot->emplace(p.heap_cnt, p.heap_address_bits);
    if (placing_heaps)
        place_heap(**slot, p);
    return slot;
}

[[gnu::always_inline]] inline bool stream::add_to_heap(live_heap &h, const packet_view &p, bool in_place)
{
    add_status status;
    try
    {
        status = h.add_packet(p, limits, *config.get_memory_allocator(), in_place);
    }
    catch (std::bad_alloc &)
    {
        log_warning("out of memory for a heap of " + std::to_string(p.heap_length) + " bytes");
        status = add_status::too_large;
    }
    // The counter of each outcome, in the order of add_status
    static constexpr discard_stat_index counters[] = {stat_packets_accepted,       stat_packets_out_of_order,
                                                      stat_packets_duplicate,      stat_packets_length_conflict,
                                                      stat_packets_heap_too_large, stat_packets_too_many_pointers};
    static_assert(std::size(counters) == std::size_t(add_status::too_many_pointers) + 1);
    discards[counters[std::size_t(status)]]++;
    return status == add_status::accepted;
}

void stream::finish_heap(substream_table &table, std::optional<live_heap> &slot)
{
    table.remember(slot->get_cnt());
    if (slot->has_stop_item() && config.get_stop_on_stop_item())
    {
        lightspead::detail::store_fence();  // its buffer is freed here, without deliver()
        slot.reset();
        stop_locked();  // the stop heap itself is not delivered
        return;
    }
    // Delivered from its slot, which is emptied afterwards: moving a whole
    // live heap out first cost a tenth of a small heap's instructions, and
    // nothing a consumer's heap_ready can reach looks at the table.
    deliver(std::move(*slot), stat_incomplete_heaps_evicted);  // complete: not counted there
    slot.reset();
}

void stream::process_packet(const packet_view &p, bool in_place)
{
    if (!admit(p))
        return;
    auto &table = tables[item_pointer_t(p.heap_cnt) % tables.size()];
    std::optional<live_heap> *slot = find_heap(table, p);
    if (!slot && !(slot = start_heap(table, p)))
        return;
    if (!add_to_heap(**slot, p, in_place))
    {
        if ((*slot)->get_packets() == 0)
            slot->reset();  // refused as the heap's first packet: nothing to keep
        return;
    }
    last_slot = slot;
    if ((*slot)->is_complete())
        finish_heap(table, *slot);
}

stream::batch::batch(stream &owner) : owner(owner), lock(owner.mutex)
{
}

stream::batch::~batch()
{
    if (packets > 0)
    {
        owner.batch_done();
        owner.stats[stat_batches]++;
        owner.stats[stat_max_batch] = std::max<std::uint64_t>(owner.stats[stat_max_batch], packets);
        owner.log_discards();
    }
}

namespace
{

// Why a packet was discarded, in the words of the log line for the first
// one of each reason (spead2's wording where spead2 logs the reason).
constexpr const char *discard_reasons[] = {
    "it is not a valid SPEAD packet",
    "its length differs from the size its header declares",
    "it is larger than the reader's maximum packet size",
    "it arrived out of order (allow_out_of_order is off)",
    "its payload was already received",
    "its heap is larger than max_heap_size",
    "its HEAP_LEN differs from earlier packets of its heap",
    "it has no HEAP_LEN",
    "its heap would hold too many item pointers",
    "the stream has stopped",
    "its heap has already finished",
};
static_assert(std::size(discard_reasons) == stat_packets_stale + 1);

}  // anonymous namespace

void stream::log_discards(bool at_stop)
{
    // Bad packets are counted, not logged one by one: a hostile or broken
    // sender must not flood the log. The first of each reason gets a line
    // of its own; the rest one summary line per interval at most.
    constexpr auto interval = std::chrono::seconds(1);
    std::uint64_t total = 0;
    for (std::size_t i = stat_packets_malformed; i <= stat_packets_stale; i++)
    {
        total += discards[i];
        if (discards[i] > 0 && !reason_logged[i])
        {
            reason_logged[i] = true;
            discards_logged++;
            log_info(std::string("packet rejected because ") + discard_reasons[i]);
        }
    }
    if (total == discards_logged)
        return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_discard_log < interval && !at_stop)
        return;
    std::string msg = "discarded " + std::to_string(total - discards_logged) + " more packets (totals:";
    const auto &names = discard_stats();
    for (std::size_t i = stat_packets_malformed; i <= stat_packets_stale; i++)
        if (discards[i] > 0)
            msg += " " + names[i].get_name() + "=" + std::to_string(discards[i]);
    log_info(msg + ")");
    discards_logged = total;
    last_discard_log = now;
}

void stream::batch::add_datagram(const std::uint8_t *data, std::size_t size)
{
    packets++;
    owner.stats[stat_packets]++;
    const auto r = decode_packet(data, size);
    if (!r)
        owner.discards[stat_packets_malformed]++;
    else if (r.packet.size != size)
        owner.discards[stat_packets_size_mismatch]++;
    else
        owner.process_packet(r.packet);
}

void stream::batch::add_packet(const packet_view &p)
{
    packets++;
    owner.stats[stat_packets]++;
    owner.process_packet(p);
}

placement_hint stream::batch::get_placement_hint() const
{
    placement_hint hint;
    const auto *slot = owner.last_slot;
    if (!slot || !*slot || owner.stopped || owner.config.get_allow_out_of_order())
        return hint;
    const live_heap &h = **slot;
    if (h.get_heap_length() < 0 || h.is_complete() || !h.get_payload()
        || h.get_capacity() < std::size_t(h.get_heap_length()))
        return hint;
    hint.valid = true;
    hint.cnt = h.get_cnt();
    hint.heap_address_bits = h.get_heap_address_bits();
    hint.heap_length = h.get_heap_length();
    // Packets follow the last one that arrived, even past a gap (in-order
    // assembly will refuse those, but receiving them in place is harmless:
    // everything from the received length on is unreceived).
    hint.next_offset = std::max(h.get_received_length(), h.get_offered_end());
    if (hint.next_offset >= hint.heap_length)
        hint.valid = false;
    hint.payload = h.get_payload();
    return hint;
}

void stream::batch::add_placed_packet(const packet_view &p)
{
    packets++;
    owner.stats[stat_packets]++;
    owner.process_packet(p, true);
}

void stream::batch::discard(discard_stat_index reason)
{
    packets++;
    owner.stats[stat_packets]++;
    owner.discards[reason]++;
}

}  // namespace lightspead::recv
