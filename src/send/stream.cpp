#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>
#include <lightspead/common/logging.h>
#include <lightspead/send/registered_allocator.h>
#include <lightspead/send/stream.h>

namespace lightspead::send
{

namespace
{

// A batch is what the transport gets in one call. Large enough to amortise
// the system call over many packets, small enough to stay in cache.
constexpr std::size_t max_batch_packets = 1024;
// An unpaced batch that already holds this much ends where a completion
// handler becomes due, rather than taking the next group along: the handler
// then runs (and its memory may be refilled) while the next group is sent.
// Without this, two groups queued together completed together, and a
// sender refilling one while the other is on the wire stalled. Smaller,
// the batches of many small heaps each with its own handler get short:
// at 64 KiB tutorial 10 (8 KiB heaps) lost a quarter of its rate; at
// 256 KiB and 512 KiB tutorials 8, 10 and 11 were all at their best.
constexpr std::size_t completion_batch_bytes = 256 * 1024;
// Packet headers of one batch. A typical header is 40-64 bytes; a batch
// ends early if the next header would not fit.
constexpr std::size_t header_arena_size = 256 * 1024;
// Batches sent without copying that may wait for the kernel's release at
// once (up to about 9 MB of packets each): enough to keep sending while
// the first ones are released.
constexpr std::size_t max_held_batches = 8;

boost::system::error_code invalid_argument_error()
{
    return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
}

}  // anonymous namespace

stream::stream(io_context_ref io, const stream_config &config, std::unique_ptr<transport> t)
    : io(io), config(config), transport_(std::move(t)), queue(config.get_max_heaps()),
      limiter(config.get_rate(), config.get_burst_rate_ratio()), timer(io.get())
{
    add_builder();
    resume_after_release = [this] { run_writer(); };
    resume_after_transmit = [this]
    {
        if (after_transmit())
            run_writer();
    };
    // Only base-class state is touched by stop(), so the pool may call it
    // even while a derived class is still being built or destroyed.
    if (!membership.join(io, [this] { stream::stop(); }))
        stopped = true;
}

stream::~stream()
{
    membership.leave();  // waits for a stop the pool is making
    flush();
}

void stream::stop()
{
    {
        std::lock_guard<std::mutex> lock(queue_mutex);
        if (!stopped)
        {
            stopped = true;
            // The writer sees `stopped` once the wait it is in (if any) ends.
            timer.cancel();
            transport_->cancel();
        }
    }
    if (!io.running_in_this_thread())
        flush();
}

void stream::set_cnt_sequence(item_pointer_t next, item_pointer_t step)
{
    if (step == 0)
        throw std::invalid_argument("heap counter step must not be 0");
    std::lock_guard<std::mutex> lock(queue_mutex);
    next_cnt = next;
    cnt_step = step;
}

bool stream::enqueue(const heap_reference *refs, std::size_t n, group_mode mode, queued_handler &&handler)
{
    std::unique_lock<std::mutex> lock(queue_mutex);
    auto fail = [&](boost::system::error_code ec, const std::string &why)
    {
        lock.unlock();
        if (!why.empty())
            log_warning(why);
        const thread_pool *pool = io.get_pool();
        handler(ec, 0, pool && pool->is_stopped() ? invoke_mode::direct : invoke_mode::post);
        return false;
    };
    if (stopped)
        return fail(boost::asio::error::operation_aborted, "");
    if (n == 0)
        return fail(invalid_argument_error(), "cannot send an empty group of heaps");
    if (queue_tail - queue_head + n > queue.size())
        return fail(boost::asio::error::would_block, "");
    for (std::size_t i = 0; i < n; i++)
    {
        const heap_reference &r = refs[i];
        if (r.substream_index >= transport_->num_substreams())
            return fail(invalid_argument_error(),
                        "substream index " + std::to_string(r.substream_index) + " is out of range (stream has "
                            + std::to_string(transport_->num_substreams()) + ")");
        if (r.cnt >= 0 && item_pointer_t(r.cnt) >= r.heap.get_flavour().get_address_limit())
            return fail(invalid_argument_error(),
                        "heap counter " + std::to_string(r.cnt) + " does not fit in "
                            + std::to_string(r.heap.get_flavour().get_heap_address_bits()) + " bits");
        if (std::isnan(r.rate))
            return fail(invalid_argument_error(), "a heap's rate cannot be NaN");
    }
    const std::size_t group_end = queue_tail + n;
    for (std::size_t i = 0; i < n; i++)
    {
        const heap_reference &r = refs[i];
        queue_item &qi = slot(queue_tail);
        qi.h = &r.heap;
        const double rate = r.rate < 0.0 ? config.get_rate() : r.rate;
        qi.seconds_per_byte = rate > 0.0 ? 1.0 / rate : 0.0;
        if (r.cnt >= 0)
            qi.cnt = r.cnt;
        else
        {
            qi.cnt = next_cnt & (r.heap.get_flavour().get_address_limit() - 1);
            next_cnt += cnt_step;
        }
        qi.substream = r.substream_index;
        qi.result = {};
        qi.bytes_sent = 0;
        qi.group_end = group_end;
        qi.mode = mode;
        queue_tail++;
    }
    slot(queue_tail - 1).handler = std::move(handler);  // the group's last heap completes it
    if (!writer_active)
    {
        writer_active = true;
        boost::asio::post(io.get(),
                          [this]
                          {
                              limiter.wake(std::chrono::steady_clock::now());  // idle time is not credit
                              run_writer();
                          });
    }
    return true;
}

bool stream::start_group()
{
    // The heap at gen_position starts a round-robin group of several heaps:
    // set up a generator for each (a heap that cannot be cut fails alone).
    const queue_item &first = slot(gen_position);
    if (first.mode != group_mode::round_robin || first.group_end - gen_position < 2)
        return false;
    group_generators.clear();
    for (std::size_t pos = gen_position; pos < first.group_end; pos++)
    {
        queue_item &qi = slot(pos);
        try
        {
            group_generators.emplace_back(std::in_place, *qi.h, qi.cnt, config.get_max_packet_size());
            qi.zerocopy = wants_zerocopy(group_generators.back()->get_heap_length());
        }
        catch (std::invalid_argument &e)
        {
            log_warning(std::string("cannot send heap: ") + e.what());
            qi.result = invalid_argument_error();
            group_generators.emplace_back();
        }
    }
    group_next = 0;
    return true;
}

void stream::abandon_unsent()
{
    // Called by the writer once stopped (queue_mutex held): no packet of
    // these heaps goes out any more.
    generator.reset();
    group_generators.clear();
    for (; gen_position < queue_tail; gen_position++)
    {
        queue_item &qi = slot(gen_position);
        if (!qi.result)
            qi.result = boost::asio::error::operation_aborted;
    }
}

bool stream::start_heap()
{
    queue_item &qi = slot(gen_position);
    try
    {
        generator.emplace(*qi.h, qi.cnt, config.get_max_packet_size());
        qi.zerocopy = wants_zerocopy(generator->get_heap_length());
        return true;
    }
    catch (std::invalid_argument &e)
    {
        log_warning(std::string("cannot send heap: ") + e.what());
        qi.result = invalid_argument_error();
        gen_position++;
        return false;
    }
}

// Per packet, from fill_batch only: kept inline.
[[gnu::always_inline]] inline bool stream::add_serial_packet()
{
    const queue_item &qi = slot(gen_position);
    if (!builder->add_packet(*generator, qi.substream, gen_position, qi.zerocopy))
        return false;
    if (!generator->has_next_packet())
    {
        generator.reset();
        gen_position++;
    }
    return true;
}

[[gnu::always_inline]] inline bool stream::add_group_packet()
{
    // Round robin: the next member that still has packets
    const std::size_t members = group_generators.size();
    std::size_t tried = 0;
    while (tried < members && !group_generators[group_next])
    {
        group_next = (group_next + 1) % members;
        tried++;
    }
    if (tried == members)
    {
        // Every member is cut: the group is done
        gen_position = slot(gen_position).group_end;
        group_generators.clear();
        return true;
    }
    auto &gen = *group_generators[group_next];
    const std::size_t position = gen_position + group_next;
    const queue_item &qi = slot(position);
    if (!builder->add_packet(gen, qi.substream, position, qi.zerocopy))
        return false;
    if (!gen.has_next_packet())
        group_generators[group_next].reset();
    group_next = (group_next + 1) % members;
    return true;
}

bool stream::fill_batch()
{
    builder->clear();
    std::size_t tail;
    {
        std::lock_guard<std::mutex> lock(queue_mutex);
        if (stopped)
        {
            abandon_unsent();
            return false;
        }
        tail = queue_tail;
    }
    // A paced stream or heap goes out in bursts, an unpaced one in whole batches.
    const bool paced = config.get_rate() > 0.0 || (gen_position < tail && slot(gen_position).seconds_per_byte > 0.0);
    builder->set_burst_bytes(paced ? config.get_burst_size() : 0);
    // Heaps queued after `tail` wait for the next batch: the writer does
    // not take the lock per packet.
    while (!builder->is_full())
    {
        if (!generator && group_generators.empty())
        {
            if (gen_position == tail)
                break;
            if (!start_group() && !start_heap())
                continue;  // that heap failed alone
        }
        const std::size_t heap_before = gen_position;
        const bool added = group_generators.empty() ? add_serial_packet() : add_group_packet();
        if (!added)
            break;  // out of header space
        if (gen_position != heap_before && gen_position == slot(heap_before).group_end && gen_position != tail
            && builder->get_batch().bytes >= completion_batch_bytes)
            break;  // a handler is due: see completion_batch_bytes
    }
    return !builder->get_batch().packets.empty();
}

void stream::run_writer()
{
    for (;;)
    {
        if (!builder && !take_builder())
            return;  // the transport calls resume_after_release
        if (!fill_batch())
        {
            if (!held.empty())
            {
                // Heaps the kernel still reads complete once it releases them.
                complete_heaps_and_check_idle(false);
                if (!held.empty() && !transport_->wait_release(resume_after_release))
                    return;
                continue;
            }
            if (complete_heaps_and_check_idle())
                return;  // idle: `this` may already be gone
            continue;
        }
        // What the batch takes at its heaps' rates (each heap has its own).
        batch_seconds = 0.0;
        for (const auto &p : builder->get_batch().packets)
            batch_seconds += double(p.size) * slot(p.heap).seconds_per_byte;
        const bool paced = batch_seconds > 0.0;
        if (paced)
        {
            const auto now = std::chrono::steady_clock::now();
            if (!last_batch_paced)
                limiter.wake(now);  // time spent on unpaced heaps is not credit
            if (resumed_from_timer && last_batch_paced)
                limiter.start_burst_after_wait(now);  // the timer's lateness is not the sender's
            else
                limiter.start_burst(now);
        }
        resumed_from_timer = false;
        last_batch_paced = paced;
        if (!transport_->transmit(builder->get_batch(), resume_after_transmit))
            return;  // the transport calls resume_after_transmit later
        if (!after_transmit())
            return;
    }
}

bool stream::after_transmit()
{
    const packet_batch &batch = builder->get_batch();
    std::size_t min_heap = gen_position;
    for (const auto &p : batch.packets)
    {
        queue_item &qi = slot(p.heap);
        if (p.error)
        {
            if (!qi.result)
                qi.result = p.error;
        }
        else
            qi.bytes_sent += p.size;
        min_heap = std::min(min_heap, p.heap);
    }
    if (batch.release_ticket != 0)
    {
        // The kernel reads the packets (and their headers, in this
        // builder's arena) after transmit: keep both until it releases them.
        held.push_back({builder, batch.release_ticket, min_heap});
        builder = nullptr;
    }
    if (batch_seconds > 0.0)
    {
        const auto next_burst = limiter.end_burst_paced(std::chrono::duration<double>(batch_seconds));
        if (next_burst > std::chrono::steady_clock::now())
        {
            // Heaps whose packets are all out complete before the wait.
            complete_heaps_and_check_idle(false);
            std::lock_guard<std::mutex> lock(queue_mutex);
            if (stopped)
                return true;  // no wait: the next fill_batch fails the rest
            timer.expires_at(next_burst);
            timer.async_wait(
                [this](const boost::system::error_code &)
                {
                    resumed_from_timer = true;
                    run_writer();
                });
            return false;
        }
    }
    complete_heaps_and_check_idle(false);
    return true;
}

bool stream::complete_heaps_and_check_idle(bool may_go_idle)
{
    struct done_item
    {
        queued_handler handler;
        boost::system::error_code result;
        item_pointer_t bytes;
    };
    std::vector<done_item> done;
    reclaim_released();
    // Every heap before gen_position has had all its packets transmitted;
    // those with packets in a held batch wait for the kernel's release.
    std::size_t limit = gen_position;
    for (const auto &h : held)
        limit = std::min(limit, h.min_heap);
    {
        std::lock_guard<std::mutex> lock(queue_mutex);
        while (queue_head < limit)
        {
            queue_item &qi = slot(queue_head++);
            if (queue_head < qi.group_end)
            {
                // A group member before the last: its outcome joins the group's
                queue_item &last = slot(qi.group_end - 1);
                last.bytes_sent += qi.bytes_sent;
                if (!last.result && qi.result)
                    last.result = qi.result;
            }
            else
                done.push_back({std::move(qi.handler), qi.result, qi.bytes_sent});
            qi.h = nullptr;
        }
    }
    // Handlers run before the writer can go idle, so that flush() (and the
    // destructor) return only once they have: the stream is alive here.
    for (auto &d : done)
        d.handler(d.result, d.bytes, invoke_mode::dispatch);
    if (!may_go_idle)
        return false;
    std::lock_guard<std::mutex> lock(queue_mutex);
    if (queue_head != queue_tail)
        return false;  // a handler queued more: carry on
    writer_active = false;
    // Nothing is touched after this: flush() may return and the stream go.
    queue_drained.notify_all();
    return true;
}

bool stream::wants_zerocopy(std::size_t payload) const noexcept
{
    switch (config.get_zerocopy())
    {
    case zerocopy_mode::on:
        return true;
    case zerocopy_mode::automatic:
        return payload >= config.get_zerocopy_threshold();
    default:
        return false;
    }
}

void stream::reclaim_released()
{
    // Tickets grow in sending order, and a released ticket releases
    // every earlier one.
    while (!held.empty() && transport_->is_released(held.front().ticket))
    {
        free_builders.push_back(held.front().builder);
        held.pop_front();
    }
}

void stream::add_builder()
{
    memory_allocator::pointer arena;
    if (const auto &registered = config.get_registered_allocator())
    {
        arena = registered->allocate_headers(header_arena_size);
        if (!arena && header_arenas.empty())
            log_warning("the registered allocator's header space is used up: this stream keeps its packet "
                        "headers elsewhere, and its heaps go without registered buffers");
    }
    if (arena)
    {
        builders.push_back(std::make_unique<batch_builder>(max_batch_packets, arena.get(), header_arena_size, 0));
        header_arenas.push_back(std::move(arena));
    }
    else
        builders.push_back(std::make_unique<batch_builder>(max_batch_packets, header_arena_size, 0));
    builder = builders.back().get();
}

bool stream::take_builder()
{
    for (;;)
    {
        reclaim_released();
        if (!free_builders.empty())
        {
            builder = free_builders.back();
            free_builders.pop_back();
            return true;
        }
        if (builders.size() < max_held_batches + 1)
        {
            add_builder();
            return true;
        }
        // Heaps whose memory is released complete while the writer waits.
        complete_heaps_and_check_idle(false);
        if (!transport_->wait_release(resume_after_release))
            return false;
    }
}

void stream::flush()
{
    std::unique_lock<std::mutex> lock(queue_mutex);
    queue_drained.wait(lock, [this] { return !writer_active && queue_head == queue_tail; });
}

}  // namespace lightspead::send
