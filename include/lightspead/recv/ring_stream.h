/**
 * @file
 * A receive stream whose heaps wait in a bounded ringbuffer for the
 * application to pop them.
 */
#ifndef LIGHTSPEAD_RECV_RING_STREAM_H
#define LIGHTSPEAD_RECV_RING_STREAM_H

#include <chrono>
#include <cstddef>
#include <iterator>
#include <optional>
#include <type_traits>
#include <variant>
#include <lightspead/common/eventfd_semaphore.h>
#include <lightspead/common/ringbuffer.h>
#include <lightspead/recv/heap.h>
#include <lightspead/recv/stream.h>

namespace lightspead::recv
{

/// Settings of the ringbuffer of a @ref ring_stream.
class ring_stream_config
{
public:
    static constexpr std::size_t default_heaps = 4;

private:
    std::size_t heaps = default_heaps;
    bool contiguous_only = true;
    bool incomplete_keep_payload_ranges = false;

public:
    /// Capacity of the ringbuffer in heaps (at least 1; @c std::invalid_argument otherwise).
    ring_stream_config &set_heaps(std::size_t heaps);
    std::size_t get_heaps() const noexcept { return heaps; }

    /**
     * If true (the default) incomplete heaps are counted and dropped; if
     * false they are queued too, for @ref ring_stream::pop_any.
     */
    ring_stream_config &set_contiguous_only(bool contiguous_only);
    bool get_contiguous_only() const noexcept { return contiguous_only; }

    /**
     * Whether an incomplete heap keeps the list of payload ranges that
     * arrived (@ref incomplete_heap::get_payload_ranges; empty otherwise).
     * Off by default, as in spead2: the list costs memory per packet.
     */
    ring_stream_config &set_incomplete_keep_payload_ranges(bool keep);
    bool get_incomplete_keep_payload_ranges() const noexcept { return incomplete_keep_payload_ranges; }
};

/**
 * A stream that queues finished heaps in a ringbuffer. When the ringbuffer
 * is full the network thread waits for the consumer (counted in
 * worker_blocked) rather than dropping heaps.
 *
 * A template only so that spead2's spelling, @c ring_stream<>, builds:
 * the one ringbuffer type it takes is the default, and @c ring_stream
 * (class template argument deduction) names the same class.
 *
 * Iterate over it to get complete heaps until the stream stops:
 * @code
 * for (const lightspead::recv::heap &heap : stream) { ... }
 * @endcode
 */
template<typename Ringbuffer = ringbuffer<live_heap>>
class ring_stream : public stream
{
    static_assert(std::is_same_v<Ringbuffer, ringbuffer<live_heap>>,
                  "lightspead's ring_stream has one ringbuffer: write ring_stream<> or ring_stream (to wait on a "
                  "file descriptor, use get_fd())");

public:
    /// A finished heap: complete, or what is known of an incomplete one.
    using any_heap = std::variant<heap, incomplete_heap>;

private:
    const ring_stream_config ring_config;
    ringbuffer<any_heap> ring;
    eventfd_semaphore ready;  // readable after each push and at the end

    void heap_ready(live_heap &&h) override;
    void stop_received() override;

public:
    explicit ring_stream(io_context_ref io, const stream_config &config = stream_config(),
                         const ring_stream_config &ring_config = ring_stream_config());
    ~ring_stream() override;

    /**
     * The next complete heap, waiting if there is none yet. Incomplete
     * heaps (queued when contiguous_only is false) are skipped.
     *
     * @throws ringbuffer_stopped once the stream has stopped and the
     * ringbuffer is drained.
     */
    heap pop();

    /// Like @ref pop without waiting. @throws ringbuffer_empty, ringbuffer_stopped.
    heap try_pop();

    /**
     * Like @ref pop, waiting at most @a timeout: an empty optional means no
     * complete heap arrived in time (so a caller can check for signals).
     * @throws ringbuffer_stopped at the end.
     */
    std::optional<heap> pop_for(std::chrono::steady_clock::duration timeout);

    /// The next finished heap, complete or not (waits). @throws ringbuffer_stopped.
    any_heap pop_any();

    /// Like @ref pop_any, waiting at most @a timeout (empty optional: nothing yet).
    std::optional<any_heap> pop_any_for(std::chrono::steady_clock::duration timeout);

    /// Like @ref pop_any without waiting. @throws ringbuffer_empty, ringbuffer_stopped.
    any_heap try_pop_any();

    /// Stop the stream: the ringbuffer is stopped first, so a network thread
    /// waiting for room is released; heaps already queued can still be popped.
    void stop() override;

    const ring_stream_config &get_ring_config() const noexcept { return ring_config; }

    /// The ringbuffer of finished heaps (for its size() and capacity(); pop through the stream).
    const ringbuffer<any_heap> &get_ringbuffer() const noexcept { return ring; }

    /**
     * An eventfd that becomes readable when a heap is queued or the stream
     * stops, for event loops: wait for it, read it (8 bytes) to reset it,
     * then call @ref try_pop until it reports empty.
     */
    int get_fd() const noexcept { return ready.get_fd(); }

    /// Input iterator over complete heaps, ending when the stream stops.
    class iterator
    {
    private:
        ring_stream *owner = nullptr;
        std::optional<heap> current;

        void advance();

    public:
        using iterator_category = std::input_iterator_tag;
        using value_type = heap;
        using difference_type = std::ptrdiff_t;
        using pointer = heap *;
        using reference = heap &;

        iterator() = default;
        explicit iterator(ring_stream &owner) : owner(&owner) { advance(); }

        heap &operator*() { return *current; }
        heap *operator->() { return &*current; }
        iterator &operator++()
        {
            advance();
            return *this;
        }
        void operator++(int) { advance(); }
        bool operator==(const iterator &other) const noexcept { return owner == other.owner; }
    };

    iterator begin() { return iterator(*this); }
    iterator end() { return iterator(); }
};

// Deduction guides: `ring_stream stream(pool, ...)` is ring_stream<>.
ring_stream(io_context_ref)->ring_stream<>;
ring_stream(io_context_ref, const stream_config &)->ring_stream<>;
ring_stream(io_context_ref, const stream_config &, const ring_stream_config &)->ring_stream<>;

// The one instantiation lives in the library.
extern template class ring_stream<>;

}  // namespace lightspead::recv

#endif  // LIGHTSPEAD_RECV_RING_STREAM_H
