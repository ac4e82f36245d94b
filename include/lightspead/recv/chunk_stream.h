/**
 * @file
 * Chunk streams: heaps received straight into large application buffers
 * ("chunks"). A place callback maps each heap to a chunk and an offset;
 * the stream writes the payload there and sets a presence flag when the
 * heap is complete. See docs/design/chunks.md.
 */
#ifndef LIGHTSPEAD_RECV_CHUNK_STREAM_H
#define LIGHTSPEAD_RECV_CHUNK_STREAM_H

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>
#include <lightspead/common/logging.h>
#include <lightspead/common/memory_allocator.h>
#include <lightspead/common/ringbuffer.h>
#include <lightspead/protocol/defines.h>
#include <lightspead/recv/live_heap.h>
#include <lightspead/recv/stream.h>

namespace lightspead::recv
{

/**
 * A block of heaps: the payload of several heaps side by side in @ref data,
 * one flag per heap (or per packet, with packet presence) in @ref present,
 * and optional per-heap metadata in @ref extra.
 *
 * The stream fills @ref chunk_id and @ref stream_id when it takes the chunk
 * into use. It writes only inside the sizes it knows: @ref data_size and
 * @ref extra_size if set, otherwise @ref lightspead::allocation_size (what
 * lightspead's allocators recorded, or the block size of memory from
 * new[]); a heap that would reach outside is not received and is counted
 * (see @ref chunk_stream). Memory of unknown size is never written.
 */
class chunk
{
public:
    /// The chunk's ID (set by the stream; -1 until then).
    std::int64_t chunk_id = -1;
    /// The stream_config::set_stream_id of the stream that filled it (in a
    /// group: of the member whose heap first needed the chunk).
    std::uintptr_t stream_id = 0;
    /// One flag per heap (or per packet): non-zero if it arrived.
    memory_allocator::pointer present;
    /// Number of flags in @ref present.
    std::size_t present_size = 0;
    /// The heaps' payload.
    memory_allocator::pointer data;
    /// Per-heap extra bytes written by the place callback (may be empty).
    memory_allocator::pointer extra;
    /**
     * Bytes usable in @ref data (lightspead; spead2 has no such field).
     * 0 means: as recorded by the allocator of @ref data.
     */
    std::size_t data_size = 0;
    /// Bytes usable in @ref extra; 0 means: as recorded by its allocator.
    std::size_t extra_size = 0;

    chunk() = default;
    ///@{

    /// Move (the buffers move along).
    chunk(chunk &&) = default;
    chunk &operator=(chunk &&) = default;
    ///@}
    virtual ~chunk() = default;

    /// The bytes the stream may write in @ref data (0 if unknown or no data): see @ref lightspead::allocation_size.
    std::size_t get_data_size() const noexcept { return !data ? 0 : data_size ? data_size : allocation_size(data); }
    /// The bytes the stream may write in @ref extra (0 if unknown or none).
    std::size_t get_extra_size() const noexcept
    {
        return !extra ? 0 : extra_size ? extra_size : allocation_size(extra);
    }
};

/**
 * What the place callback gets and fills in, once per heap (at its first
 * packet). A plain C structure with spead2's layout, so that callbacks
 * written for spead2 (in C, C++ or numba) work unchanged.
 */
struct chunk_place_data
{
    const std::uint8_t *packet;  ///< the heap's first packet (header, item pointers, payload)
    std::size_t packet_size;     ///< bytes at @ref packet
    /// Immediate values of the items asked for (chunk_stream_config::set_items),
    /// in that order; -1 for an item the packet does not carry.
    s_item_pointer_t *items;
    std::int64_t chunk_id;       ///< out: the chunk (negative: do not receive the heap)
    std::size_t heap_index;      ///< out: the heap's index in the chunk (its flag in present)
    std::size_t heap_offset;     ///< out: where the heap's payload starts in the chunk's data
    std::uint64_t *batch_stats;  ///< statistics to add to, by index (stream_config::add_stat)
    std::uint8_t *extra;         ///< out: up to max_heap_extra bytes to copy to the chunk's extra
    std::size_t extra_offset;    ///< out: where in the chunk's extra they go
    std::size_t extra_size;      ///< out: how many (0: none)
};

/**
 * Decides where a heap goes: reads @c data->items (and the packet), sets
 * @c chunk_id, @c heap_index, @c heap_offset (and the extra fields). The
 * second argument is <code>sizeof(chunk_place_data)</code>. Runs on a
 * network thread, with the stream's lock held: keep it short.
 */
using chunk_place_function = std::function<void(chunk_place_data *data, std::size_t data_size)>;

/// Provides the chunk for @a chunk_id (or null: heaps for it are dropped).
using chunk_allocate_function =
    std::function<std::unique_ptr<chunk>(std::int64_t chunk_id, std::uint64_t *batch_stats)>;

/// Receives a finished chunk (it owns it from then on).
using chunk_ready_function = std::function<void(std::unique_ptr<chunk> &&, std::uint64_t *batch_stats)>;

/**
 * Settings of a chunk stream. Setters validate (std::invalid_argument) and
 * return the config for chaining.
 */
class chunk_stream_config
{
public:
    /// Chunks under construction at once, by default.
    static constexpr std::size_t default_max_chunks = 2;
    /**
     * Unless the stream config chose a copy (stream_config::set_memcpy),
     * payload is copied into chunks with at least this many bytes of data
     * with streaming stores (@ref MEMCPY_NONTEMPORAL), into smaller ones
     * with std::memcpy. A chunk is read only once it is complete, and by
     * then the first of 8 MiB written has left a core's caches: writing
     * around them saves the memory reads a cached store costs (a third of
     * the copy's memory traffic). lightspead's choice; spead2 always uses
     * std::memcpy unless told otherwise.
     */
    static constexpr std::size_t nontemporal_chunk_size = std::size_t(8) << 20;

private:
    std::vector<item_pointer_t> item_ids;
    std::size_t max_chunks = default_max_chunks;
    std::size_t max_heap_extra = 0;
    std::size_t packet_presence_payload_size = 0;
    chunk_place_function place;
    chunk_allocate_function allocate;
    chunk_ready_function ready;

public:
    /// The items whose immediate values the place callback gets, in order.
    chunk_stream_config &set_items(const std::vector<item_pointer_t> &item_ids);
    /// See @ref set_items.
    const std::vector<item_pointer_t> &get_items() const noexcept { return item_ids; }

    /**
     * Chunks under construction at once (at least 1). A heap for a chunk
     * beyond the newest makes room by handing the oldest to the ready
     * callback; a heap for a chunk older than the oldest is too old.
     */
    chunk_stream_config &set_max_chunks(std::size_t max_chunks);
    /// See @ref set_max_chunks.
    std::size_t get_max_chunks() const noexcept { return max_chunks; }

    /// The place callback (required).
    chunk_stream_config &set_place(chunk_place_function place);
    /// See @ref set_place.
    const chunk_place_function &get_place() const noexcept { return place; }

    /// The allocate callback (required by @ref chunk_stream; set by the ring stream and groups).
    chunk_stream_config &set_allocate(chunk_allocate_function allocate);
    /// See @ref set_allocate.
    const chunk_allocate_function &get_allocate() const noexcept { return allocate; }

    /// The ready callback (required by @ref chunk_stream; optional, called first, for the ring stream).
    chunk_stream_config &set_ready(chunk_ready_function ready);
    /// See @ref set_ready.
    const chunk_ready_function &get_ready() const noexcept { return ready; }

    /**
     * One presence flag per packet rather than per heap: a packet at
     * payload offset @c o sets flag <code>heap_index + o / payload_size</code>.
     * @throws std::invalid_argument if @a payload_size is 0.
     */
    chunk_stream_config &enable_packet_presence(std::size_t payload_size);
    /// Back to one flag per complete heap.
    chunk_stream_config &disable_packet_presence();
    /// The packet presence payload size, or 0 when off.
    std::size_t get_packet_presence_payload_size() const noexcept { return packet_presence_payload_size; }

    /// Most extra bytes the place callback may write per heap (the size of @c chunk_place_data::extra).
    chunk_stream_config &set_max_heap_extra(std::size_t max_heap_extra);
    /// See @ref set_max_heap_extra.
    std::size_t get_max_heap_extra() const noexcept { return max_heap_extra; }
};

namespace detail
{

/**
 * The chunks under construction: IDs [head, tail), at most max_chunks,
 * in a circular array. IDs are unsigned here, so that tail can pass the
 * largest chunk ID (2^63 - 1).
 */
class chunk_window
{
private:
    std::vector<chunk *> chunks;
    std::uint64_t head = 0, tail = 0;
    std::size_t head_pos = 0;

    std::size_t position(std::uint64_t id) const noexcept { return (head_pos + (id - head)) % chunks.size(); }

public:
    explicit chunk_window(std::size_t max_chunks) : chunks(max_chunks, nullptr) {}

    std::uint64_t get_head() const noexcept { return head; }
    std::uint64_t get_tail() const noexcept { return tail; }
    bool empty() const noexcept { return head == tail; }
    std::size_t capacity() const noexcept { return chunks.size(); }

    /// The chunk for @a id if it is in the window (null otherwise, or if none was allocated).
    chunk *find(std::uint64_t id) const noexcept { return id >= head && id < tail ? chunks[position(id)] : nullptr; }

    /// Hand the oldest chunk (if one was allocated) to @a ready and move the head on.
    template<typename Ready>
    void pop_head(Ready &&ready)
    {
        chunk *c = chunks[head_pos];
        chunks[head_pos] = nullptr;
        head++;
        head_pos = (head_pos + 1) % chunks.size();
        if (c)
            ready(c);
    }

    /**
     * Hand every chunk before @a target to @a ready, oldest first; the head
     * is then at least @a target (an empty window restarts there).
     * @a moved gets the new head if it changed.
     */
    template<typename Ready, typename Moved>
    void flush_until(std::uint64_t target, Ready &&ready, Moved &&moved)
    {
        if (head >= target)
            return;
        while (head < tail && head < target)
            pop_head(ready);
        if (head < target)
        {
            head = tail = target;
            head_pos = 0;
        }
        moved(head);
    }

    /**
     * The chunk for @a id (>= head), moving the window forward first if
     * needed: chunks leaving it go to @a ready (and each move of the head
     * to @a moved, before anything new is allocated), new IDs get theirs
     * from @a allocate (which may return null). A jump beyond the whole
     * window flushes it and starts afresh max_chunks - 1 before @a id.
     */
    template<typename Allocate, typename Ready, typename Moved>
    chunk *advance_to(std::uint64_t id, Allocate &&allocate, Ready &&ready, Moved &&moved)
    {
        const std::size_t n = chunks.size();
        if (id >= tail && id - tail >= n)
            flush_until(id - (n - 1), ready, moved);
        while (id >= tail)
        {
            if (tail - head == n)
            {
                pop_head(ready);
                moved(head);
            }
            chunks[position(tail)] = allocate(tail);
            tail++;
        }
        return chunks[position(id)];
    }
};

/**
 * What chunk streams and group members share: the place callback, the
 * bounds checks, presence flags, extra bytes and statistics. The window of
 * chunks and where chunks come from and go to are the derived class's
 * (@ref allocate_chunk, @ref ready_chunk, @ref head_updated).
 */
class chunk_stream_base : public stream
{
private:
    struct bounds_log
    {
        std::chrono::steady_clock::time_point last{};
        std::uint64_t unlogged = 0;
        bool first_logged = false;
    };

    const chunk_stream_config chunk_config;
    const std::size_t base_stat_index;  // too_old_heaps; the others follow
    std::vector<s_item_pointer_t> item_values;
    std::vector<std::uint8_t> extra_buffer;
    std::vector<std::uint64_t> batch_stats;
    chunk_place_data place_data{};
    // The copy into chunks of nontemporal_chunk_size or more (null: chunk_copy),
    // and into other chunks. Both end with a fence, unlike the stream's own
    // heap copies: a chunk can leave the window while a heap is still
    // writing to it.
    const memcpy_function large_chunk_copy, chunk_copy;
    bounds_log bounds_logs[3];
    bool place_failure_logged = false;

    void place_heap(live_heap &h, const packet_view &p) final;
    void heap_ready(live_heap &&h) final;
    void batch_done() final { merge_batch_stats(); }
    // A heap refused by a bounds check: counted, logged (rate-limited).
    void out_of_bounds(std::size_t which, const std::string &what);

protected:
    detail::chunk_window window;

    /// Offsets from the first chunk statistic, in the order they are registered.
    static constexpr std::size_t too_old_heaps_offset = 0;
    static constexpr std::size_t rejected_heaps_offset = 1;
    static constexpr std::size_t heaps_outside_data_offset = 2;
    static constexpr std::size_t heaps_outside_present_offset = 3;
    static constexpr std::size_t heaps_outside_extra_offset = 4;
    static constexpr std::size_t heaps_without_chunk_offset = 5;

    /// A chunk for @a chunk_id, to be filled (null: heaps for it are dropped). Lock held.
    virtual chunk *allocate_chunk(std::int64_t chunk_id) = 0;
    /// A chunk leaves this stream's window (ownership passes back). Lock held.
    virtual void ready_chunk(chunk *c) = 0;
    /// The window's head moved to @a head. Lock held.
    virtual void head_updated(std::uint64_t) {}

    /// The chunk for @a chunk_id (>= head), moving the window if needed. Lock held.
    chunk *get_chunk(std::int64_t chunk_id);
    /// Hand every chunk in the window to @ref ready_chunk; no chunk follows. Lock held.
    void flush_chunks();
    /// Hand every chunk before @a chunk_id to @ref ready_chunk. Lock held.
    void flush_until(std::uint64_t chunk_id);
    /// Heaps still placed in @a c stop writing to it (its chunk is leaving). Lock held.
    void detach_heaps(const chunk *c);
    /// Fold what the callbacks added to batch statistics into the statistics (at the end of
    /// each batch, and after work outside batches). Lock held.
    void merge_batch_stats();
    /// Staging area for callback statistics (indexed as the stream's).
    std::uint64_t *get_batch_stats() noexcept { return batch_stats.data(); }

    /// @throws std::invalid_argument if the place callback is missing.
    chunk_stream_base(io_context_ref io, const stream_config &config, const chunk_stream_config &chunk_config);

public:
    /// The chunk configuration in use (with the callbacks actually called).
    const chunk_stream_config &get_chunk_config() const noexcept { return chunk_config; }

    /**
     * How payload is copied into a chunk with @a data_size bytes of data:
     * the stream config's choice if it made one, otherwise streaming
     * stores from chunk_stream_config::nontemporal_chunk_size up.
     */
    memcpy_function get_chunk_copy(std::size_t data_size) const noexcept
    {
        return large_chunk_copy && data_size >= chunk_stream_config::nontemporal_chunk_size ? large_chunk_copy
                                                                                            : chunk_copy;
    }
};

}  // namespace detail

/**
 * A stream that places heaps into chunks (see chunk_stream.h's overview).
 *
 * Per heap, at its first packet, the place callback chooses a chunk ID, an
 * index and an offset. The heap is then received straight into
 * <code>data + heap_offset</code> (the UDP reader receives in-order
 * packets directly there); when complete its flag
 * <code>present[heap_index]</code> is set (or, with packet presence, each
 * packet's flag as it arrives). Up to max_chunks chunks are under
 * construction; chunks come from the allocate callback and go, in ID
 * order, to the ready callback (also at stop).
 *
 * Differences from an ordinary stream: unsized heaps are refused (as
 * spead2); heaps are not queued anywhere; the stream_config's memory
 * allocator is not used. Statistics added after the config's own:
 * - @c too_old_heaps: the callback chose a chunk older than the window, or
 *   a heap completed after its chunk had left it (spead2's);
 * - @c rejected_heaps: the callback chose a negative chunk ID (spead2's);
 * - @c heaps_outside_data: heap_offset + heap length beyond the chunk's data;
 * - @c heaps_outside_present: the heap's flag (or its last packet's) beyond present_size;
 * - @c heaps_outside_extra: extra_size beyond max_heap_extra, or the extra
 *   bytes beyond the chunk's extra;
 * - @c heaps_without_chunk: the allocate callback returned null for the
 *   heap's chunk, or threw (logged once per chunk).
 * The last four are lightspead's. A heap outside its chunk is not received
 * (nothing is written outside the chunk), and the first of each kind is
 * logged, then at most one summary per second.
 */
class chunk_stream : public detail::chunk_stream_base
{
private:
    chunk *allocate_chunk(std::int64_t chunk_id) override;
    void ready_chunk(chunk *c) override;

protected:
    void stop_received() override;

public:
    /**
     * @throws std::invalid_argument if the place, allocate or ready
     * callback of @a chunk_config is missing.
     */
    chunk_stream(io_context_ref io, const stream_config &config, const chunk_stream_config &chunk_config);
    /// Stops the stream (as @c stop: heaps in assembly are flushed, then every chunk goes to the ready callback).
    ~chunk_stream() override;
};

namespace detail
{

/**
 * A pair of ringbuffers that chunks cycle through: the stream takes empty
 * chunks from the free ring and puts finished ones on the data ring; the
 * application takes from the data ring and gives back with
 * @ref add_free_chunk. Both may be shared by several streams.
 */
template<typename DataRingbuffer = ringbuffer<std::unique_ptr<chunk>>,
         typename FreeRingbuffer = ringbuffer<std::unique_ptr<chunk>>>
class chunk_ring_pair
{
protected:
    const std::shared_ptr<DataRingbuffer> data_ring;
    const std::shared_ptr<FreeRingbuffer> free_ring;
    /// Chunks finished after the data ring stopped: freed by the owner's stop(),
    /// never on a network thread.
    std::vector<std::unique_ptr<chunk>> graveyard;

    /// @throws std::invalid_argument if either ring is null.
    chunk_ring_pair(std::shared_ptr<DataRingbuffer> data_ring, std::shared_ptr<FreeRingbuffer> free_ring)
        : data_ring(std::move(data_ring)), free_ring(std::move(free_ring))
    {
        if (!this->data_ring || !this->free_ring)
            throw std::invalid_argument("chunk_ring_pair needs a data ringbuffer and a free ringbuffer");
    }

    /**
     * The ready callback is about to wait for room on the data ring. By
     * default the wait is counted in the batch's statistics (merged when
     * the batch ends); an owner that can count it at once, so that
     * get_stats shows it while the wait lasts, overrides this.
     */
    virtual void note_blocked(std::uint64_t *batch_stats) { batch_stats[stat_worker_blocked]++; }

public:
    virtual ~chunk_ring_pair() = default;

    /// An allocate callback that waits for a chunk on the free ring (null once it stops).
    chunk_allocate_function make_allocate()
    {
        FreeRingbuffer &ring = *free_ring;
        return [&ring](std::int64_t, std::uint64_t *) -> std::unique_ptr<chunk>
        {
            try
            {
                return ring.pop();
            }
            catch (ringbuffer_stopped &)
            {
                return nullptr;  // shutting down: heaps for this chunk are dropped
            }
        };
    }

    /**
     * A ready callback that calls @a orig_ready (if set; it must not take
     * the chunk) and then pushes the chunk to the data ring, waiting for
     * room (counted by @ref note_blocked). Once the data ring has stopped,
     * chunks wait in a graveyard for the owner's stop().
     */
    chunk_ready_function make_ready(const chunk_ready_function &orig_ready)
    {
        DataRingbuffer &ring = *data_ring;
        auto &dead = graveyard;
        return [this, &ring, &dead, orig_ready](std::unique_ptr<chunk> &&c, std::uint64_t *batch_stats)
        {
            if (orig_ready)
                orig_ready(std::move(c), batch_stats);
            try
            {
                ring.push(std::move(c), [this, batch_stats] { note_blocked(batch_stats); });
            }
            catch (ringbuffer_stopped &)
            {
                log_info("dropped chunk " + std::to_string(c->chunk_id) + " because the data ringbuffer was stopped");
                dead.push_back(std::move(c));
            }
        };
    }

    /**
     * Give a chunk back for reuse: its presence flags are cleared and it
     * goes on the free ring without waiting.
     * @throws ringbuffer_full if the free ring is full (give it room for
     * every chunk). A stopped free ring is not an error: @a c is then
     * left as it was.
     */
    void add_free_chunk(std::unique_ptr<chunk> &&c)
    {
        if (c->present && c->present_size)
            std::memset(c->present.get(), 0, c->present_size);
        try
        {
            free_ring->try_push(std::move(c));
        }
        catch (ringbuffer_stopped &)
        {
        }
    }

    /// @a config (a chunk stream's or a group's) with this pair's allocate and ready callbacks.
    template<typename Config>
    Config with_rings(const Config &config)
    {
        Config out = config;
        out.set_allocate(make_allocate());
        out.set_ready(make_ready(config.get_ready()));
        return out;
    }

    /**
     * The owner's stop: both rings first (so that nothing waits for the
     * consumer), then @a stop_owner, then the chunks left in flight are
     * freed here, taken out of the graveyard under @a mutex (the lock
     * the ready callback runs under).
     */
    template<typename F>
    void stop_with_rings(std::mutex &mutex, F &&stop_owner)
    {
        free_ring->stop();
        data_ring->stop();
        stop_owner();
        std::vector<std::unique_ptr<chunk>> dead;
        {
            std::lock_guard<std::mutex> lock(mutex);
            dead.swap(graveyard);
        }
    }

    /// The data ringbuffer (finished chunks).
    std::shared_ptr<DataRingbuffer> get_data_ringbuffer() const { return data_ring; }
    /// The free ringbuffer (chunks to fill).
    std::shared_ptr<FreeRingbuffer> get_free_ringbuffer() const { return free_ring; }
};

}  // namespace detail

/**
 * A chunk stream whose chunks cycle through a @c detail::chunk_ring_pair
 * "ring pair": taken from the free ring, given to the data ring when
 * finished. The data ring stops when every stream producing into it has
 * stopped (each one counts as a producer).
 *
 * The config's allocate callback is not used; a ready callback, if set, is
 * called before each chunk goes on the data ring. @ref stop stops both
 * rings first, so that a stop never waits for a consumer; chunks then in
 * flight are freed by @ref stop, on its caller's thread.
 */
template<typename DataRingbuffer = ringbuffer<std::unique_ptr<chunk>>,
         typename FreeRingbuffer = ringbuffer<std::unique_ptr<chunk>>>
class chunk_ring_stream : public detail::chunk_ring_pair<DataRingbuffer, FreeRingbuffer>, public chunk_stream
{
private:
    using pair = detail::chunk_ring_pair<DataRingbuffer, FreeRingbuffer>;

protected:
    void stop_received() override
    {
        chunk_stream::stop_received();
        this->data_ring->remove_producer();
    }

    /// A wait for room in the data ring, counted in the stream's own
    /// statistics at once (the ready callback runs under the stream's
    /// lock), not when the batch ends.
    void note_blocked(std::uint64_t *) override { note_worker_blocked(); }

public:
    /**
     * @throws std::invalid_argument if a ring is null or the place
     * callback is missing.
     */
    chunk_ring_stream(io_context_ref io, const stream_config &config, const chunk_stream_config &chunk_config,
                      std::shared_ptr<DataRingbuffer> data_ring, std::shared_ptr<FreeRingbuffer> free_ring)
        : pair(std::move(data_ring), std::move(free_ring)), chunk_stream(io, config, this->with_rings(chunk_config))
    {
        this->data_ring->add_producer();
    }

    ~chunk_ring_stream() override
    {
        detach_from_pool();
        stop();
    }

    /// Stop both rings, then the stream; free chunks left in flight.
    void stop() override
    {
        this->stop_with_rings(get_mutex(), [this] { chunk_stream::stop(); });
    }
};

extern template class chunk_ring_stream<>;
extern template class chunk_ring_stream<ringbuffer<std::unique_ptr<chunk>, semaphore_fd, semaphore_fd>,
                                        ringbuffer<std::unique_ptr<chunk>, semaphore_fd, semaphore_fd>>;

}  // namespace lightspead::recv

#endif  // LIGHTSPEAD_RECV_CHUNK_STREAM_H
