#include <stdexcept>
#include <lightspead/recv/ring_stream.h>

namespace lightspead::recv
{

ring_stream_config &ring_stream_config::set_heaps(std::size_t heaps)
{
    if (heaps == 0)
        throw std::invalid_argument("ring_stream_config heaps must be at least 1");
    this->heaps = heaps;
    return *this;
}

ring_stream_config &ring_stream_config::set_contiguous_only(bool contiguous_only)
{
    this->contiguous_only = contiguous_only;
    return *this;
}

ring_stream_config &ring_stream_config::set_incomplete_keep_payload_ranges(bool keep)
{
    incomplete_keep_payload_ranges = keep;
    return *this;
}

template<typename R>
ring_stream<R>::ring_stream(io_context_ref io, const stream_config &config, const ring_stream_config &ring_config)
    : stream(io, config), ring_config(ring_config), ring(ring_config.get_heaps())
{
}

template<typename R>
ring_stream<R>::~ring_stream()
{
    detach_from_pool();
    stop();
}

template<typename R>
void ring_stream<R>::heap_ready(live_heap &&h)
{
    const bug_compat_mask compat = get_config().get_bug_compat();
    // Counted before waiting, so that it shows while the consumer lags
    auto blocked = [this] { note_worker_blocked(); };
    try
    {
        if (h.is_complete() && h.pointers_within_length())
            ring.push(heap(std::move(h), compat), blocked);
        else if (!ring_config.get_contiguous_only())
            ring.push(incomplete_heap(std::move(h), compat, ring_config.get_incomplete_keep_payload_ranges()), blocked);
        else
            return;
        ready.signal();
    }
    catch (ringbuffer_stopped &)
    {
        // The consumer has stopped the stream: nobody will pop this heap.
    }
}

template<typename R>
void ring_stream<R>::stop_received()
{
    ring.stop();
    ready.signal();
}

template<typename R>
void ring_stream<R>::stop()
{
    ring.stop();
    ready.signal();
    stream::stop();
}

template<typename R>
heap ring_stream<R>::pop()
{
    for (;;)
    {
        any_heap h = ring.pop();
        if (auto *complete = std::get_if<heap>(&h))
            return std::move(*complete);
    }
}

template<typename R>
heap ring_stream<R>::try_pop()
{
    for (;;)
    {
        any_heap h = ring.try_pop();
        if (auto *complete = std::get_if<heap>(&h))
            return std::move(*complete);
    }
}

template<typename R>
std::optional<heap> ring_stream<R>::pop_for(std::chrono::steady_clock::duration timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;)
    {
        auto h = ring.pop_for(deadline - std::chrono::steady_clock::now());
        if (!h)
            return std::nullopt;
        if (auto *complete = std::get_if<heap>(&*h))
            return std::move(*complete);
    }
}

template<typename R>
typename ring_stream<R>::any_heap ring_stream<R>::pop_any()
{
    return ring.pop();
}

template<typename R>
std::optional<typename ring_stream<R>::any_heap> ring_stream<R>::pop_any_for(
    std::chrono::steady_clock::duration timeout)
{
    return ring.pop_for(timeout);
}

template<typename R>
typename ring_stream<R>::any_heap ring_stream<R>::try_pop_any()
{
    return ring.try_pop();
}

template<typename R>
void ring_stream<R>::iterator::advance()
{
    try
    {
        current.emplace(owner->pop());
    }
    catch (ringbuffer_stopped &)
    {
        current.reset();
        owner = nullptr;
    }
}

template class ring_stream<>;

}  // namespace lightspead::recv
