/**
 * @file
 * The receive stream: readers feed it packets, it assembles heaps and hands
 * them to a consumer (see @c ring_stream).
 */
#ifndef LIGHTSPEAD_RECV_STREAM_H
#define LIGHTSPEAD_RECV_STREAM_H

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <lightspead/common/thread_pool.h>
#include <lightspead/protocol/packet.h>
#include <lightspead/recv/heap.h>
#include <lightspead/recv/live_heap.h>
#include <lightspead/recv/stream_config.h>

namespace lightspead::recv
{

class stream;

/**
 * Where the next packets of the heap a stream is assembling will go, if
 * they continue it in order: a reader may receive them straight into that
 * memory (scatter reads) and skip a copy. See @ref stream::batch::get_placement_hint.
 */
struct placement_hint
{
    bool valid = false;              ///< whether there is such a heap (the other fields mean nothing otherwise)
    item_pointer_t cnt = 0;          ///< its heap counter
    int heap_address_bits = 0;       ///< its flavour's heap address width
    item_pointer_t heap_length = 0;  ///< its payload length
    item_pointer_t next_offset =
        0;  ///< where the next packet is expected (all of [next_offset, heap_length) is unreceived)
    std::uint8_t *payload = nullptr;  ///< the heap's buffer (heap_length bytes)
};

/**
 * One statistic of a running stream. Written only with the stream's lock
 * held, so an update is a plain load, add and store (no locked
 * instruction on the per-packet path); read without the lock, so that
 * @ref stream::get_stats never waits for a network thread (which may be
 * blocked on a full ringbuffer, holding the lock).
 */
class stat_counter
{
private:
    std::atomic<std::uint64_t> value{0};

public:
    stat_counter() = default;
    stat_counter(const stat_counter &) = delete;
    stat_counter &operator=(const stat_counter &) = delete;

    /// The value.
    operator std::uint64_t() const noexcept { return value.load(std::memory_order_relaxed); }
    ///@{

    /// Set or add to the value (only the thread that owns the counter writes it).
    stat_counter &operator=(std::uint64_t v) noexcept
    {
        value.store(v, std::memory_order_relaxed);
        return *this;
    }
    stat_counter &operator+=(std::uint64_t n) noexcept { return *this = std::uint64_t(*this) + n; }
    stat_counter &operator++() noexcept { return *this += 1; }
    void operator++(int) noexcept { *this += 1; }
    ///@}
};

/**
 * Base of everything that feeds packets to a stream. A reader does its I/O
 * on its own strand of the stream's io_context, hands packets over in
 * batches (@ref stream::batch) and, once told to stop or out of input,
 * calls @ref finished as the very last thing it does.
 */
class reader
{
private:
    stream &owner;
    boost::asio::strand<boost::asio::io_context::executor_type> strand;

protected:
    /// Tell the stream this reader will touch nothing more.
    void finished();

public:
    /// A reader feeding @a owner (streams build their readers through @c emplace_reader).
    explicit reader(stream &owner);
    virtual ~reader() = default;

    reader(const reader &) = delete;
    reader &operator=(const reader &) = delete;

    /// The stream this reader feeds.
    stream &get_stream() const noexcept { return owner; }
    /// The strand every handler of this reader runs on.
    boost::asio::strand<boost::asio::io_context::executor_type> &get_strand() noexcept { return strand; }

    /// Begin reading (on the strand).
    virtual void start() = 0;
    /// Stop reading (on the strand); @ref finished must follow, now or later.
    virtual void stop() = 0;
};

/**
 * Assembles heaps from packets.
 *
 * Up to max_heaps heaps per substream are assembled at once; a packet for
 * a new heap takes the substream's next slot round-robin, and whatever was
 * there is delivered as incomplete. Complete heaps are delivered at once.
 * An unsized heap (no packet gave its length) ends only when it is evicted
 * or flushed; it is then complete if its bytes have no gap, its length being
 * the end of the last byte received. A sized heap that is missing bytes is
 * never delivered as a complete heap.
 *
 * The last 2 x max_heaps heap counters to finish in a substream are
 * remembered, and packets for them are discarded (packets_stale): a
 * duplicated or late packet cannot deliver a heap twice. (A sender that
 * restarts its counters within that window loses those first heaps.)
 * A heap carrying the stream-stop item stops the stream (if so configured):
 * the heaps still in assembly are flushed as incomplete, readers are
 * stopped and the consumer sees the end.
 *
 * @par Threads
 * Readers call in from the io_context; @ref stop, @ref get_stats and
 * @ref emplace_reader may be called from any thread except the io_context's.
 * Destroy (or stop) the stream before its thread pool.
 */
class stream
{
private:
    friend class reader;

    struct substream_table
    {
        std::vector<std::optional<live_heap>> slots;
        std::size_t next = 0;
        // Counters of the heaps that most recently finished here: a late or
        // duplicated packet for one of them must not start the heap again.
        std::vector<item_pointer_t> recent;
        std::size_t recent_next = 0;

        void remember(item_pointer_t cnt)
        {
            recent[recent_next] = cnt;
            recent_next = (recent_next + 1) % recent.size();
        }
    };

    io_context_ref io;
    const stream_config config;
    const live_heap_limits limits;

    mutable std::mutex mutex;
    std::condition_variable readers_done;
    std::vector<substream_table> tables;
    std::vector<stat_counter> stats;
    std::array<stat_counter, discard_stat_count> discards;
    std::vector<std::unique_ptr<reader>> readers;
    std::vector<bool> reader_done;  // parallel to readers
    std::size_t readers_running = 0;
    std::size_t stops_pending = 0;  // posted reader stops not yet run
    bool stopped = false;
    bool readers_started = false;  // start() was called (explicit_start)
    // post_locked tasks not yet run, under their own (leaf) mutex: posting
    // must never wait for the stream's lock, which a network thread may
    // hold while it waits for whoever is posting (chunk stream groups).
    std::mutex posts_mutex;
    std::condition_variable posts_done;
    std::size_t posts_pending = 0;
    bool posts_closed = false;  // the stream has stopped: nothing more is posted
    void wait_for_posts();
    // With the thread pool, which stops the stream when it stops
    pool_membership membership;
    // The heap the last accepted packet went to, for placement hints.
    std::optional<live_heap> *last_slot = nullptr;
    // A derived class places each new heap (place_heap): chunk streams.
    bool placing_heaps = false;
    // The first packet discarded for each reason is logged on its own;
    // the rest as a summary at most once per interval.
    std::chrono::steady_clock::time_point last_discard_log{};
    std::uint64_t discards_logged = 0;
    std::array<bool, discard_stat_count> reason_logged{};

    // At stop, whatever the interval: no discard goes unreported.
    void log_discards(bool at_stop = false);

    void process_packet(const packet_view &p, bool in_place = false);
    // The steps of process_packet, each counting what it refuses:
    // whether the stream takes packets now (stopped, start item, unsized);
    bool admit(const packet_view &p);
    // the heap the packet belongs to, if it is being assembled;
    std::optional<live_heap> *find_heap(substream_table &table, const packet_view &p);
    // a slot for a new heap (evicting the oldest), or null if the packet
    // cannot start one;
    std::optional<live_heap> *start_heap(substream_table &table, const packet_view &p);
    // the packet into the heap: false if refused;
    bool add_to_heap(live_heap &h, const packet_view &p, bool in_place);
    // a complete heap out of the table: delivered, or the stream stopped.
    void finish_heap(substream_table &table, std::optional<live_heap> &slot);
    // Hand a finished heap to the consumer, counting it as a heap if it is
    // complete and under `if_incomplete` otherwise.
    void deliver(live_heap &&h, stat_index if_incomplete);
    void stop_locked(bool flush = true);
    void reader_finished(const reader &r);

protected:
    /**
     * Receive a finished heap (complete, or incomplete from eviction or
     * flush). Called with the stream's lock held, from the io_context
     * (or from the thread calling @ref stop for flushed heaps). An
     * implementation that must wait for its consumer calls
     * @ref note_worker_blocked before it waits.
     */
    virtual void heap_ready(live_heap &&h) = 0;

    /// The limits heaps are assembled under (from the config), with its copy function.
    const live_heap_limits &get_limits() const noexcept { return limits; }

    /// Count a wait for the consumer (worker_blocked), visible at once to @ref get_stats.
    void note_worker_blocked() { stats[stat_worker_blocked]++; }

    /// The stream has stopped: no heap follows. Called with the lock held.
    virtual void stop_received() {}

    /// Add @a n to custom statistic @a index (lock held by the caller's batch).
    void add_stat(std::size_t index, std::uint64_t n) { stats[index] += n; }

    /// Fold @a value into statistic @a index by its mode (sum or maximum); lock held.
    void combine_stat(std::size_t index, std::uint64_t value)
    {
        stats[index] = config.get_stats()[index].combine(stats[index], value);
    }

    /**
     * Have @ref place_heap called for every new heap (from the derived
     * class's constructor, before any reader is added).
     */
    void enable_heap_placement() noexcept { placing_heaps = true; }

    /**
     * A new heap, about to take its first packet @a p (lock held): decide
     * where its payload goes (@ref live_heap::place_payload) or that it is
     * not kept (@ref live_heap::discard_payload). Called only after
     * @ref enable_heap_placement. Unsized heaps are never placed: a stream
     * that places heaps refuses them.
     */
    virtual void place_heap(live_heap &, const packet_view &) {}

    /// A reader's batch of packets ends (lock held; only after a batch with packets).
    virtual void batch_done() {}

    /// Call @a f on every heap being assembled (lock held).
    template<typename F>
    void for_each_live_heap(F &&f)
    {
        for (auto &t : tables)
            for (auto &slot : t.slots)
                if (slot)
                    f(*slot);
    }

    /// The stream's mutex: held while any of the hooks above runs.
    std::mutex &get_mutex() const noexcept { return mutex; }

    /**
     * Run @a f on the stream's io_context with the lock held, soon. Safe
     * from any thread, and never waits for the stream's lock; the stream
     * is not destroyed (nor does @ref stop return) before @a f has run.
     * Does nothing once @ref stop has begun waiting.
     */
    void post_locked(std::function<void()> f);

    /**
     * Leave the thread pool, so that it no longer stops this stream, waiting
     * for a stop it is making. The destructor of a derived class must call
     * this and then @ref stop before anything else.
     */
    void detach_from_pool();

public:
    /// A stream receiving on @a io's threads, set up by @a config (readers are added later).
    stream(io_context_ref io, const stream_config &config);
    /**
     * Stops the readers and waits for them. Derived classes must call
     * @ref detach_from_pool and @ref stop first in their own destructors,
     * while they can still take the flushed heaps. Never destroy a stream
     * from its own io_context's threads (the wait would be for them).
     */
    virtual ~stream();

    stream(const stream &) = delete;
    stream &operator=(const stream &) = delete;

    /// The io_context the readers run on.
    boost::asio::io_context &get_io_context() const noexcept { return io.get(); }
    /// The configuration the stream was built with.
    const stream_config &get_config() const noexcept { return config; }

    /**
     * Create a reader of type @a R with arguments (*this, args...) and start
     * it.
     *
     * The first reader registers the stream with its @ref thread_pool (if
     * it runs on one), which then stops the stream when the pool stops.
     *
     * @return the reader, owned by the stream (valid while the stream
     *         lives), or nullptr if the stream has already stopped (which
     *         it does here if its thread pool has stopped).
     * @throws whatever R's constructor throws (e.g. for a bad endpoint).
     */
    template<typename R, typename... Args>
    R *emplace_reader(Args &&...args)
    {
        check_reader_allowed();
        // The stream is fully built by now, so the pool may call the virtual stop().
        if (!membership.join(io, [this] { stop(); }))
        {
            stop();
            return nullptr;
        }
        auto r = std::make_unique<R>(*this, std::forward<Args>(args)...);
        R *raw = r.get();
        {
            std::lock_guard<std::mutex> lock(mutex);
            if (stopped)
                return nullptr;
            check_reader_allowed_locked();
            readers.push_back(std::move(r));
            reader_done.push_back(false);
            readers_running++;
            if (config.get_explicit_start())
                return raw;  // start() starts it
        }
        start_reader(*raw);
        return raw;
    }

    /**
     * With @ref stream_config::set_explicit_start, start every reader
     * added so far, at once; no reader can be added afterwards. Without
     * it (readers start as they are added), and when called again, it
     * does nothing.
     */
    void start();

    /**
     * Stop: flush the heaps in assembly (as incomplete), stop every reader
     * and wait until none is running. Idempotent and thread-safe. Called on
     * the stream's own io_context (from a handler), it starts the readers'
     * stop without waiting for it.
     */
    virtual void stop();

    /**
     * A snapshot of the statistics. Never waits for the network threads
     * (each value is current, though a snapshot taken while packets
     * arrive may hold one counter updated and a related one not yet).
     */
    stream_stats get_stats() const;

    /**
     * A snapshot of the discard statistics (@ref discard_stat_index): why
     * packets and heaps were thrown away. Never waits, as @ref get_stats.
     */
    stream_stats get_discard_stats() const;

    /**
     * A batch of packets from a reader: holds the stream's lock while it
     * lives, so a reader takes it once per system call, not per packet.
     */
    class batch
    {
    private:
        stream &owner;
        std::unique_lock<std::mutex> lock;
        std::size_t packets = 0;

    public:
        /// Lock @a owner for a batch of packets (the destructor unlocks it and counts the batch).
        explicit batch(stream &owner);
        ~batch();

        /// The stream has stopped: the reader should stop too.
        bool is_stopped() const noexcept { return owner.stopped; }

        /// One datagram that must be exactly one packet.
        void add_datagram(const std::uint8_t *data, std::size_t size);
        /// A packet already decoded (its bytes must stay valid for the call).
        void add_packet(const packet_view &p);

        /**
         * Where the heap being assembled continues, if a reader may place
         * payload there directly: in-order assembly, a heap of known length,
         * not yet complete. Valid only while this batch lives (the lock
         * keeps the heap in place); the reader may write only into
         * [payload + next_offset, payload + heap_length).
         */
        placement_hint get_placement_hint() const;

        /**
         * A packet whose payload a reader received straight into the heap
         * at @a p.payload == hint.payload + p.payload_offset. Processed as
         * @ref add_packet, without copying the payload.
         */
        void add_placed_packet(const packet_view &p);
        /// Count a discarded packet that never got as far as decoding.
        void discard(discard_stat_index reason);
        /// Count datagrams the kernel dropped before the reader saw them.
        void kernel_dropped(std::uint64_t n) { owner.discards[stat_kernel_dropped] += n; }
        /// Count input the reader could not read past (it stops there, and should log why).
        void read_error() { owner.discards[stat_read_errors]++; }
        /// Stop the stream from a reader (end of its input): as @ref stream::stop,
        /// but without waiting for the readers.
        void stop_stream() { owner.stop_locked(); }
    };

private:
    void start_reader(reader &r);
    // With explicit_start, readers cannot be added once started:
    // std::logic_error (spead2's behaviour).
    void check_reader_allowed();
    void check_reader_allowed_locked() const;
};

}  // namespace lightspead::recv

#endif  // LIGHTSPEAD_RECV_STREAM_H
