#include <algorithm>
#include <exception>
#include <limits>
#include <stdexcept>
#include <string>
#include <lightspead/common/logging.h>
#include <lightspead/recv/chunk_stream_group.h>

namespace lightspead::recv
{

chunk_stream_group_config &chunk_stream_group_config::set_max_chunks(std::size_t max_chunks)
{
    if (max_chunks == 0)
        throw std::invalid_argument("max_chunks must be at least 1");
    this->max_chunks = max_chunks;
    return *this;
}

chunk_stream_group_config &chunk_stream_group_config::set_allocate(chunk_allocate_function allocate)
{
    this->allocate = std::move(allocate);
    return *this;
}

chunk_stream_group_config &chunk_stream_group_config::set_ready(chunk_ready_function ready)
{
    this->ready = std::move(ready);
    return *this;
}

chunk_stream_group::chunk_stream_group(const chunk_stream_group_config &config)
    : config(config), window(config.get_max_chunks())
{
    if (!config.get_allocate())
        throw std::invalid_argument("chunk_stream_group_config has no allocate callback");
    if (!config.get_ready())
        throw std::invalid_argument("chunk_stream_group_config has no ready callback");
}

chunk_stream_group::~chunk_stream_group()
{
    stop();
    // The members go before the rest of the group (they refer to it); each
    // has stopped, so none calls back.
    streams.clear();
}

std::size_t chunk_stream_group::reserve_member()
{
    if (started)
        throw std::logic_error("cannot add a member to a chunk stream group that has begun receiving");
    return streams.size();
}

chunk_stream_group_member &chunk_stream_group::emplace_back(io_context_ref io, const stream_config &config,
                                                            const chunk_stream_config &chunk_config)
{
    return emplace_back<chunk_stream_group_member>(io, config, chunk_config);
}

void chunk_stream_group::stop()
{
    // Members are stopped without the group's lock, so that what their
    // stops call back into can take it.
    if (config.get_eviction_mode() == chunk_stream_group_config::eviction_mode::LOSSLESS)
    {
        // A member waiting for the others in get_chunk holds its own lock;
        // the others giving up their chunks (on their threads) releases it.
        for (const auto &s : streams)
            s->async_flush_until(std::numeric_limits<std::uint64_t>::max());
    }
    for (const auto &s : streams)
        s->stop1();
}

chunk *chunk_stream_group::get_chunk(std::int64_t chunk_id, std::uintptr_t stream_id, std::uint64_t *batch_stats)
{
    std::unique_lock<std::mutex> lock(mutex);
    started = true;
    const std::uint64_t id = std::uint64_t(chunk_id);
    const std::size_t n = config.get_max_chunks();
    if (id < window.get_head())
        return nullptr;  // the group has released it already
    if (id - window.get_head() >= n)
    {
        // Room is needed: the oldest chunks must first be released by every member.
        const std::uint64_t target = id - (n - 1);
        if (config.get_eviction_mode() == chunk_stream_group_config::eviction_mode::LOSSY && target > last_flush_until)
        {
            for (const auto &s : streams)
                s->async_flush_until(target);
            last_flush_until = target;
        }
        progress.wait(lock, [&] { return window.get_head() >= target; });
        if (id < window.get_head())
            return nullptr;
    }
    chunk *c = window.advance_to(
        id,
        [&](std::uint64_t new_id) -> chunk *
        {
            try
            {
                chunk *fresh = config.get_allocate()(std::int64_t(new_id), batch_stats).release();
                if (fresh)
                {
                    fresh->chunk_id = std::int64_t(new_id);
                    fresh->stream_id = stream_id;
                }
                return fresh;
            }
            catch (std::exception &e)
            {
                log_warning("chunk stream group: allocate callback failed for chunk " + std::to_string(new_id) + ": "
                            + e.what());
                return nullptr;
            }
        },
        // The wait above leaves room, so nothing leaves the window here.
        [](chunk *) {}, [](std::uint64_t) {});
    return c;
}

void chunk_stream_group::member_head_updated(chunk_stream_group_member &member, std::uint64_t head,
                                             std::uint64_t *batch_stats)
{
    std::lock_guard<std::mutex> lock(mutex);
    const std::uint64_t old = heads[member.group_index];
    heads[member.group_index] = head;
    // Only the slowest member(s) hold the group's head back.
    if (old != window.get_head())
        return;
    const std::uint64_t slowest = *std::min_element(heads.begin(), heads.end());
    window.flush_until(
        slowest,
        [&](chunk *c)
        {
            std::unique_ptr<chunk> owned(c);
            const std::int64_t chunk_id = c->chunk_id;
            try
            {
                config.get_ready()(std::move(owned), batch_stats);
            }
            catch (std::exception &e)
            {
                log_warning("chunk stream group: ready callback failed for chunk " + std::to_string(chunk_id) + ": "
                            + e.what());
            }
        },
        [this](std::uint64_t) { progress.notify_all(); });
}

chunk_stream_group_member::chunk_stream_group_member(chunk_stream_group &group, std::size_t group_index,
                                                     io_context_ref io, const stream_config &config,
                                                     const chunk_stream_config &chunk_config)
    : chunk_stream_base(io, config, chunk_config), group(group), group_index(group_index)
{
    if (chunk_config.get_max_chunks() > group.get_config().get_max_chunks())
        throw std::invalid_argument("a member's max_chunks (" + std::to_string(chunk_config.get_max_chunks())
                                    + ") must not exceed its group's ("
                                    + std::to_string(group.get_config().get_max_chunks()) + ")");
}

chunk_stream_group_member::~chunk_stream_group_member()
{
    detach_from_pool();
    stop1();
}

chunk *chunk_stream_group_member::allocate_chunk(std::int64_t chunk_id)
{
    return group.get_chunk(chunk_id, get_config().get_stream_id(), get_batch_stats());
}

void chunk_stream_group_member::head_updated(std::uint64_t head)
{
    group.member_head_updated(*this, head, get_batch_stats());
}

void chunk_stream_group_member::async_flush_until(std::uint64_t chunk_id)
{
    post_locked([this, chunk_id] { flush_until(chunk_id); });
}

void chunk_stream_group_member::stop_received()
{
    flush_chunks();
    group.stream_stop_received(*this);
}

void chunk_stream_group_member::stop1()
{
    stream::stop();
}

void chunk_stream_group_member::stop()
{
    group.stop();
}

template class chunk_stream_ring_group<>;
template class chunk_stream_ring_group<ringbuffer<std::unique_ptr<chunk>, semaphore_fd, semaphore_fd>,
                                       ringbuffer<std::unique_ptr<chunk>, semaphore_fd, semaphore_fd>>;

}  // namespace lightspead::recv
