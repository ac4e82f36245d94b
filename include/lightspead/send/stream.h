/**
 * @file
 * The send stream: a bounded queue of heaps that a transport turns into
 * packets on the stream's io_context.
 */
#ifndef LIGHTSPEAD_SEND_STREAM_H
#define LIGHTSPEAD_SEND_STREAM_H

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#include <lightspead/common/memory_allocator.h>
#include <lightspead/common/thread_pool.h>
#include <lightspead/common/unique_function.h>
#include <lightspead/protocol/defines.h>
#include <lightspead/send/batch_builder.h>
#include <lightspead/send/heap.h>
#include <lightspead/send/packet_generator.h>
#include <lightspead/send/rate_limiter.h>
#include <lightspead/send/stream_config.h>
#include <lightspead/send/transport.h>

namespace lightspead::send
{

/// How the packets of a group of heaps (@c stream::async_send_heaps) are ordered.
enum class group_mode
{
    round_robin,                ///< one packet of each heap in turn, so the heaps go out interleaved
    serial,                     ///< each heap's packets, then the next heap's
    ROUND_ROBIN = round_robin,  ///< spead2's spelling of @c round_robin
    SERIAL = serial             ///< spead2's spelling of @c serial
};

/**
 * A heap to send, with the counter, substream and rate to send it with
 * (for @ref stream::async_send_heaps; spead2's @c heap_reference).
 */
struct heap_reference
{
    const send::heap &heap;       ///< the heap (it must outlive the send)
    s_item_pointer_t cnt;         ///< heap counter; -1: the next in the stream's sequence
    std::size_t substream_index;  ///< destination (see @ref stream::get_num_substreams)
    /**
     * Bytes per second for this heap's packets: negative for the stream's
     * rate (@ref stream_config::set_rate), 0 for no limit.
     */
    double rate;

    /// Send @a heap with counter @a cnt to substream @a substream_index at @a rate (see the members).
    heap_reference(const send::heap &heap, s_item_pointer_t cnt = -1, std::size_t substream_index = 0,
                   double rate = -1.0)
        : heap(heap), cnt(cnt), substream_index(substream_index), rate(rate)
    {
    }
};

/// @a h sent with the stream's defaults (what an iterator over heaps means to @ref stream::async_send_heaps).
inline heap_reference to_heap_reference(const heap &h)
{
    return heap_reference(h);
}
/// @a ref itself.
inline const heap_reference &to_heap_reference(const heap_reference &ref)
{
    return ref;
}

/**
 * Sends heaps asynchronously, in the order they are queued.
 *
 * @par Buffer lifetime
 * A heap passed to @ref async_send_heap, and every buffer its items
 * reference, must stay alive and unmodified until the completion handler
 * for that heap has run. The stream does not copy item data.
 *
 * @par Threads
 * @ref async_send_heap, @ref flush and @ref stop may be called from any
 * thread. Completion handlers run on the stream's io_context (or the
 * handler's associated executor), never inside @ref async_send_heap, with
 * one exception: once the @ref thread_pool the stream runs on has stopped,
 * nothing would run them there, so a send then fails (with
 * @c operation_aborted) by calling its handler before returning.
 *
 * @par Stopping and destruction
 * @ref stop fails every heap not yet fully sent with
 * @c boost::asio::error::operation_aborted; so does stopping the
 * @ref thread_pool the stream runs on. The destructor waits until every
 * queued heap has completed, so never destroy the stream from one of its
 * own completion handlers (the wait would be for that very handler).
 */
class stream
{
public:
    /// Completion signature of @ref async_send_heap.
    using completion_signature = void(boost::system::error_code, item_pointer_t);

private:
    // Holds a completion handler and knows how to invoke it on its executor.
    // How a completion reaches the user's handler: dispatched (from the
    // writer), posted (a failure inside async_send_heap), or called directly
    // (a failure once the thread pool has stopped, when nothing would run a
    // posted handler).
    enum class invoke_mode
    {
        dispatch,
        post,
        direct
    };
    using queued_handler = unique_function<void(const boost::system::error_code &, item_pointer_t, invoke_mode)>;

    struct queue_item
    {
        const heap *h = nullptr;
        item_pointer_t cnt = 0;
        std::size_t substream = 0;
        double seconds_per_byte = 0.0;  // pacing of its packets (0: none)
        queued_handler handler;         // only in a group's last heap
        boost::system::error_code result;
        item_pointer_t bytes_sent = 0;
        std::size_t group_end = 0;  // queue position one past the group's last heap
        group_mode mode = group_mode::serial;
        bool zerocopy = false;  // its packets may go to the kernel without copying
    };

    // A transmitted batch whose memory the kernel may still read (zero-copy).
    struct held_batch
    {
        batch_builder *builder;
        std::uint64_t ticket;  // for transport::is_released
        std::size_t min_heap;  // lowest queue position of its packets
    };

    io_context_ref io;
    const stream_config config;
    std::unique_ptr<transport> transport_;

    // Shared between callers and the writer; guarded by queue_mutex.
    std::mutex queue_mutex;
    std::condition_variable queue_drained;
    std::vector<queue_item> queue;  // ring of config.get_max_heaps() slots
    std::size_t queue_head = 0;     // oldest heap not yet completed (monotonic)
    std::size_t queue_tail = 0;     // one past the newest heap (monotonic)
    bool writer_active = false;
    bool stopped = false;
    item_pointer_t next_cnt = 1;
    item_pointer_t cnt_step = 1;

    // Owned by the writer (the io_context), so unguarded.
    std::size_t gen_position = 0;  // queue position of the heap being cut
    std::optional<packet_generator> generator;
    // A round-robin group being cut: a generator per member (empty once done)
    std::vector<std::optional<packet_generator>> group_generators;
    std::size_t group_next = 0;  // member whose packet comes next
    // The batch being built or sent; more than one only for zero-copy, whose
    // batches are held until the kernel releases them.
    // Header arenas from the config's registered allocator (the builders'
    // memory; destroyed after them)
    std::vector<memory_allocator::pointer> header_arenas;
    std::vector<std::unique_ptr<batch_builder>> builders;
    batch_builder *builder = nullptr;  // null: every builder is held
    std::vector<batch_builder *> free_builders;
    std::deque<held_batch> held;  // in the order they were sent
    std::function<void()> resume_after_release;
    rate_limiter limiter;
    double batch_seconds = 0.0;       // what the batch being sent takes at its heaps' rates
    bool last_batch_paced = false;    // whether the batch before it had any paced packet
    bool resumed_from_timer = false;  // the writer runs again after waiting for the rate limiter
    std::function<void()> resume_after_transmit;
    boost::asio::steady_timer timer;  // calls on it are made under queue_mutex (stop() cancels it)

    // With the thread pool, which stops the stream when it stops
    pool_membership membership;

    queue_item &slot(std::size_t position) { return queue[position % queue.size()]; }
    void abandon_unsent();

    // Queues the group, or fails it through its handler and returns false.
    bool enqueue(const heap_reference *refs, std::size_t n, group_mode mode, queued_handler &&handler);

    // Wraps a completion handler so that the stream can run it as it must.
    template<typename Handler>
    queued_handler make_queued_handler(Handler &&handler)
    {
        auto ex = boost::asio::get_associated_executor(handler, get_io_context().get_executor());
        return queued_handler(
            [handler = std::forward<Handler>(handler), ex](const boost::system::error_code &ec, item_pointer_t bytes,
                                                           invoke_mode mode) mutable
            {
                auto call = [handler = std::move(handler), ec, bytes]() mutable { handler(ec, bytes); };
                if (mode == invoke_mode::post)
                    boost::asio::post(ex, std::move(call));
                else if (mode == invoke_mode::dispatch)
                    boost::asio::dispatch(ex, std::move(call));
                else
                    call();
            });
    }

    // Starts sending @a refs (one heap_reference or a vector of them, held
    // by the operation so that deferred tokens find them alive). A
    // callback gets true if the group was queued; other tokens get what
    // Asio's async_initiate gives them.
    template<typename CompletionToken, typename Refs>
    auto initiate_send(Refs &&refs, CompletionToken &&token, group_mode mode)
    {
        auto initiation = [this](auto handler, auto held, group_mode mode, bool *queued)
        {
            const heap_reference *first;
            std::size_t n;
            if constexpr (std::is_same_v<decltype(held), heap_reference>)
            {
                first = &held;
                n = 1;
            }
            else
            {
                first = held.data();
                n = held.size();
            }
            const bool ok = enqueue(first, n, mode, make_queued_handler(std::move(handler)));
            if (queued)
                *queued = ok;
        };
        using result = decltype(boost::asio::async_initiate<CompletionToken, completion_signature>(
            initiation, token, std::forward<Refs>(refs), mode, static_cast<bool *>(nullptr)));
        if constexpr (std::is_void_v<result>)
        {
            bool queued = false;
            boost::asio::async_initiate<CompletionToken, completion_signature>(initiation, token,
                                                                               std::forward<Refs>(refs), mode, &queued);
            return queued;
        }
        else
            return boost::asio::async_initiate<CompletionToken, completion_signature>(
                initiation, token, std::forward<Refs>(refs), mode, static_cast<bool *>(nullptr));
    }
    bool start_group();
    void run_writer();
    bool fill_batch();
    // Sets up the generator of the serial heap at gen_position; false
    // (failing that heap alone) if it cannot be cut into packets.
    bool start_heap();
    // Appends the next packet of a round-robin group; false if the batch is full.
    bool add_group_packet();
    // Appends the next packet of the serial heap at gen_position; false if the batch is full.
    bool add_serial_packet();
    // Records a transmitted batch; false if the writer must now wait (timer).
    bool after_transmit();
    // Completes fully sent heaps; with may_go_idle, marks the writer idle
    // (and returns true) when nothing is left.
    bool complete_heaps_and_check_idle(bool may_go_idle = true);
    // Whether a heap of @a payload bytes may go out without copying.
    bool wants_zerocopy(std::size_t payload) const noexcept;
    // Moves batches the kernel has released back to the free list.
    void reclaim_released();
    // A new builder becomes `builder`: its headers in the registered
    // allocator's header space if there is one and it has room.
    void add_builder();
    // Makes `builder` a free one; false if the writer must wait for a release.
    bool take_builder();

protected:
    /// For transports: takes ownership of @a t.
    stream(io_context_ref io, const stream_config &config, std::unique_ptr<transport> t);

    /// The transport given to the constructor.
    transport &get_transport() const noexcept { return *transport_; }

public:
    /// Waits for every queued heap to complete (see @ref flush).
    virtual ~stream();

    stream(const stream &) = delete;
    stream &operator=(const stream &) = delete;

    /// The io_context the stream runs on.
    boost::asio::io_context &get_io_context() const noexcept { return io.get(); }

    /// The configuration the stream was built with.
    const stream_config &get_config() const noexcept { return config; }

    /// Number of substreams (destinations) this stream sends to.
    std::size_t get_num_substreams() const { return transport_->num_substreams(); }

    /**
     * Set the heap counters given to heaps sent with cnt = -1: @a next for
     * the next one, then @a next + @a step, ... (masked to each heap's A bits).
     *
     * @throws std::invalid_argument if @a step is 0.
     */
    void set_cnt_sequence(item_pointer_t next, item_pointer_t step);

    /**
     * Queue @a h for sending.
     *
     * @param h            The heap. It and the memory its items reference
     *                     must stay untouched until the completion runs.
     * @param token        Any Boost.Asio completion token with signature
     *                     `void(boost::system::error_code, item_pointer_t)`:
     *                     a callback, @c boost::asio::use_future (a
     *                     @c std::future<item_pointer_t>), ...
     * @param cnt          Heap counter, or -1 for the next in the stream's
     *                     sequence (see @ref set_cnt_sequence).
     * @param substream_index  Destination index (see @ref get_num_substreams).
     * @param rate         Bytes per second for this heap: negative for the
     *                     stream's rate, 0 for none (see @ref heap_reference).
     *
     * On completion the handler receives the bytes put on the wire for the
     * heap (packet headers included) and, on failure, an error:
     * - @c boost::asio::error::would_block: the queue already holds
     *   @c max_heaps heaps (the call never blocks);
     * - @c invalid_argument: @a cnt >= 2^A, @a substream_index out of
     *   range, a NaN @a rate, or the heap cannot be cut into packets (see
     *   the log);
     * - the transport's error (e.g. from the socket) for a packet that
     *   could not be sent; the rest of the heap is still sent.
     *
     * @return With a callback (as spead2's @c completion_handler), whether
     * the heap was queued: false if it failed at once (its handler still
     * runs, posted, with the error). With another token, what the token
     * makes (a future, an awaitable, ...).
     */
    template<typename CompletionToken>
    auto async_send_heap(const heap &h, CompletionToken &&token, s_item_pointer_t cnt = -1,
                         std::size_t substream_index = 0, double rate = -1.0)
    {
        return initiate_send(heap_reference(h, cnt, substream_index, rate), std::forward<CompletionToken>(token),
                             group_mode::serial);
    }

    /**
     * Queue a group of heaps that completes as one: the handler runs once
     * every heap of the group is on the wire, with the bytes of all of
     * them (or the first error). The group takes one queue slot per heap:
     * a group larger than the free space fails with would_block, as does an
     * empty one with invalid_argument. The heaps must stay untouched until
     * the completion runs; @a refs itself is copied before returning.
     *
     * With @ref group_mode::round_robin the heaps' packets alternate, one
     * from each in turn (for example to spread several substreams evenly in
     * time). The return value is as for @ref async_send_heap.
     */
    template<typename CompletionToken>
    auto async_send_heaps(const heap_reference *refs, std::size_t n, CompletionToken &&token,
                          group_mode mode = group_mode::round_robin)
    {
        return initiate_send(std::vector<heap_reference>(refs, refs + n), std::forward<CompletionToken>(token), mode);
    }

    /// As above, for a vector of references.
    template<typename CompletionToken>
    auto async_send_heaps(const std::vector<heap_reference> &refs, CompletionToken &&token,
                          group_mode mode = group_mode::round_robin)
    {
        return initiate_send(refs, std::forward<CompletionToken>(token), mode);
    }

    /**
     * As above, for the range [@a first, @a last) of @ref heap (each sent
     * with the stream's defaults) or of @ref heap_reference, as spead2's
     * @c async_send_heaps takes them. The range is read before returning.
     */
    template<typename Iterator, typename CompletionToken>
    requires std::input_iterator<Iterator>
    auto async_send_heaps(Iterator first, Iterator last, CompletionToken &&token, group_mode mode)
    {
        std::vector<heap_reference> refs;
        for (; first != last; ++first)
            refs.push_back(to_heap_reference(*first));
        return initiate_send(std::move(refs), std::forward<CompletionToken>(token), mode);
    }

    /**
     * Block until every heap queued so far has completed and its handler
     * (if dispatched on the stream's io_context or run inline, as for
     * @c use_future) has returned. Never call it from one of the stream's
     * own completion handlers: it would wait for that very handler.
     */
    void flush();

    /**
     * Stop the stream: heaps that are queued or part-way out complete with
     * @c boost::asio::error::operation_aborted (a heap whose packets are
     * all out completes normally), waits the transport is in (socket full,
     * rate limit) end at once, and later sends fail with the same error.
     * Waits until every heap has completed, except when called on the
     * stream's own io_context (from a completion handler), where it only
     * starts the stop. Idempotent and thread-safe.
     */
    void stop();
};

}  // namespace lightspead::send

#endif  // LIGHTSPEAD_SEND_STREAM_H
