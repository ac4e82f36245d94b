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
    /// Default capacity of the ringbuffer, in heaps.
    static constexpr std::size_t default_heaps = 4;

private:
    std::size_t heaps = default_heaps;
    bool contiguous_only = true;
    bool incomplete_keep_payload_ranges = false;

public:
    /// Capacity of the ringbuffer in heaps (at least 1; @c std::invalid_argument otherwise).
    ring_stream_config &set_heaps(std::size_t heaps);
    /// See @ref set_heaps.
    std::size_t get_heaps() const noexcept { return heaps; }

    /**
     * If true (the default) incomplete heaps are counted and dropped; if
     * false they are queued too, for @ref ring_stream::pop_any.
     */
    ring_stream_config &set_contiguous_only(bool contiguous_only);
    /// See @ref set_contiguous_only.
    bool get_contiguous_only() const noexcept { return contiguous_only; }

    /**
     * Whether an incomplete heap keeps the list of payload ranges that
     * arrived (@ref incomplete_heap::get_payload_ranges; empty otherwise).
     * Off by default, as in spead2: the list costs memory per packet.
     */
    ring_stream_config &set_incomplete_keep_payload_ranges(bool keep);
    /// See @ref set_incomplete_keep_payload_ranges.
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
    /// A stream receiving on @a io's threads, with its ringbuffer set by @a ring_config (readers are added later).
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

    /// Like @ref pop without waiting.
    /// @throws ringbuffer_empty if no heap is ready.
    /// @throws ringbuffer_stopped once the stream has stopped and every heap has been taken.
    heap try_pop();

    /**
     * Like @ref pop, waiting at most @a timeout: an empty optional means no
     * complete heap arrived in time (so a caller can check for signals).
     * @throws ringbuffer_stopped at the end.
     */
    std::optional<heap> pop_for(std::chrono::steady_clock::duration timeout);

    /// The next finished heap, complete or not (waits).
    /// @throws ringbuffer_stopped once the stream has stopped and every heap has been taken.
    any_heap pop_any();

    /// Like @ref pop_any, waiting at most @a timeout (empty optional: nothing yet).
    std::optional<any_heap> pop_any_for(std::chrono::steady_clock::duration timeout);

    /// Like @ref pop_any without waiting.
    /// @throws ringbuffer_empty if no heap is ready.
    /// @throws ringbuffer_stopped once the stream has stopped and every heap has been taken.
    any_heap try_pop_any();

    /// Stop the stream: the ringbuffer is stopped first, so a network thread
    /// waiting for room is released; heaps already queued can still be popped.
    void stop() override;

    /// The ringbuffer settings the stream was built with.
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
        ///@{

        /// Standard input iterator type.
        using iterator_category = std::input_iterator_tag;
        using value_type = heap;
        using difference_type = std::ptrdiff_t;
        using pointer = heap *;
        using reference = heap &;
        ///@}

        iterator() = default;
        /// An iterator at the next complete heap of @a owner (waits for it).
        explicit iterator(ring_stream &owner) : owner(&owner) { advance(); }
        ///@{

        /// The standard input iterator operation: the current heap, or move on to the next (which waits).
        heap &operator*() { return *current; }
        heap *operator->() { return &*current; }
        iterator &operator++()
        {
            advance();
            return *this;
        }
        void operator++(int) { advance(); }
        ///@}
        /// Both at the end, or both on the same stream.
        bool operator==(const iterator &other) const noexcept { return owner == other.owner; }
    };

    /// An iterator at the next complete heap (waits for it): `for (heap &h : stream)` takes heaps until the stream stops.
    iterator begin() { return iterator(*this); }
    /// The end of the heaps.
    iterator end() { return iterator(); }
};

///@{

/// Deduction guide: `ring_stream stream(pool, ...)` is a @c ring_stream<>.
ring_stream(io_context_ref)->ring_stream<>;
ring_stream(io_context_ref, const stream_config &)->ring_stream<>;
ring_stream(io_context_ref, const stream_config &, const ring_stream_config &)->ring_stream<>;
///@}

// The one instantiation lives in the library.
extern template class ring_stream<>;

}  // namespace lightspead::recv

#endif  // LIGHTSPEAD_RECV_RING_STREAM_H
