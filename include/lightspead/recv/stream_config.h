/**
 * @file
 * Settings of a receive stream, and its statistics registry.
 */
#ifndef LIGHTSPEAD_RECV_STREAM_CONFIG_H
#define LIGHTSPEAD_RECV_STREAM_CONFIG_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>
#include <lightspead/common/memcpy.h>
#include <lightspead/common/memory_allocator.h>
#include <lightspead/protocol/defines.h>
#include <lightspead/recv/stream_stats.h>

namespace lightspead::recv
{

/**
 * Configuration of a receive stream. Setters validate and throw
 * @c std::invalid_argument on a bad value (leaving the config unchanged);
 * they return the config for chaining.
 */
class stream_config
{
public:
    /// Default number of heaps assembled at once per substream.
    static constexpr std::size_t default_max_heaps = 4;
    /// Default largest heap payload accepted: 1 GiB.
    static constexpr std::size_t default_max_heap_size = std::size_t(1) << 30;
    /**
     * Heaps of this many payload bytes or more (8 MiB) are written with
     * streaming stores unless @ref set_memcpy chose the copy: they are
     * larger than the caches of most cores, so writing them through the
     * cache would first read every line from memory for nothing.
     */
    static constexpr std::size_t nontemporal_heap_size = std::size_t(8) << 20;
    /**
     * The most heaps a stream may assemble at once, max_heaps x substreams
     * (2^24): the stream sets aside a slot for each when it is built.
     */
    static constexpr std::size_t max_heap_slots = std::size_t(1) << 24;

private:
    std::size_t max_heaps = default_max_heaps;
    std::size_t substreams = 1;
    bug_compat_mask bug_compat = 0;
    std::shared_ptr<memory_allocator> allocator;
    memcpy_mode copy_mode = MEMCPY_STD;
    bool copy_mode_set = false;
    bool stop_on_stop_item = true;
    bool allow_unsized_heaps = true;
    bool allow_out_of_order = false;
    bool explicit_start = false;
    std::size_t max_heap_size = default_max_heap_size;
    std::uintptr_t stream_id = 0;
    std::shared_ptr<std::vector<stream_stat_config>> stats;

public:
    stream_config();

    /// Heaps assembled at once per substream (at least 1; times substreams at most @ref max_heap_slots).
    stream_config &set_max_heaps(std::size_t max_heaps);
    /// See @ref set_max_heaps.
    std::size_t get_max_heaps() const noexcept { return max_heaps; }

    /**
     * Independent heap tables; a heap goes to table cnt % substreams (at
     * least 1; times max_heaps at most @ref max_heap_slots).
     */
    stream_config &set_substreams(std::size_t substreams);
    /// See @ref set_substreams.
    std::size_t get_substreams() const noexcept { return substreams; }

    /// PySPEAD compatibility bits for descriptors (only 0x1, 0x2, 0x4 defined).
    stream_config &set_bug_compat(bug_compat_mask bug_compat);
    /// See @ref set_bug_compat.
    bug_compat_mask get_bug_compat() const noexcept { return bug_compat; }

    /// Where heap payloads come from (not null).
    stream_config &set_memory_allocator(std::shared_ptr<memory_allocator> allocator);
    /// See @ref set_memory_allocator.
    const std::shared_ptr<memory_allocator> &get_memory_allocator() const noexcept { return allocator; }

    /**
     * How payload is copied into heaps: @ref MEMCPY_NONTEMPORAL bypasses the
     * cache, which pays when heaps are much larger than the cache and are
     * consumed after they complete. The default is @ref MEMCPY_STD, except
     * that, while this was never set, heaps of @ref nontemporal_heap_size
     * or more are written with streaming stores, and so are large chunks
     * of a chunk stream (see chunk_stream_config::nontemporal_chunk_size).
     */
    stream_config &set_memcpy(memcpy_mode mode);
    /// See @ref set_memcpy.
    memcpy_mode get_memcpy() const noexcept { return copy_mode; }
    /// Whether @ref set_memcpy was called (the application chose the copy).
    bool is_memcpy_set() const noexcept { return copy_mode_set; }

    /// Stop the stream when a heap carries the stream-stop control item.
    stream_config &set_stop_on_stop_item(bool stop);
    /// See @ref set_stop_on_stop_item.
    bool get_stop_on_stop_item() const noexcept { return stop_on_stop_item; }

    /// Accept heaps whose packets do not give the heap length.
    stream_config &set_allow_unsized_heaps(bool allow);
    /// See @ref set_allow_unsized_heaps.
    bool get_allow_unsized_heaps() const noexcept { return allow_unsized_heaps; }

    /// Accept a heap's packets in any order (tracking received ranges).
    stream_config &set_allow_out_of_order(bool allow);
    /// See @ref set_allow_out_of_order.
    bool get_allow_out_of_order() const noexcept { return allow_out_of_order; }

    /**
     * If true, readers added to the stream wait for @ref stream::start to
     * begin reading (so that several start together), and none can be
     * added after it (spead2's meaning).
     */
    stream_config &set_explicit_start(bool explicit_start);
    /// See @ref set_explicit_start.
    bool get_explicit_start() const noexcept { return explicit_start; }

    /**
     * The largest heap payload a packet may make the stream allocate (at
     * least 1 byte). Larger declared lengths, and unsized heaps that grow
     * beyond it, are discarded and counted in @c packets_heap_too_large.
     * Live heaps therefore never hold more than
     * max_heaps x substreams x max_heap_size bytes.
     */
    stream_config &set_max_heap_size(std::size_t size);
    /// See @ref set_max_heap_size.
    std::size_t get_max_heap_size() const noexcept { return max_heap_size; }

    /**
     * A number the application chooses to tell its streams apart; the
     * stream only stores it (as spead2 does, for chunk placement callbacks).
     */
    stream_config &set_stream_id(std::uintptr_t id) noexcept
    {
        stream_id = id;
        return *this;
    }
    /// See @ref set_stream_id.
    std::uintptr_t get_stream_id() const noexcept { return stream_id; }

    /**
     * Register a custom statistic and return its index.
     *
     * @throws std::invalid_argument if the name is already taken.
     */
    std::size_t add_stat(const std::string &name, stream_stat_config::mode mode = stream_stat_config::mode::COUNTER);
    /// Every statistic (the standard ones, then the custom ones), in index order.
    const std::vector<stream_stat_config> &get_stats() const noexcept { return *stats; }
    /// The index the next @ref add_stat will return.
    std::size_t next_stat_index() const noexcept { return stats->size(); }
    /// Index of the statistic called @a name. @throws std::out_of_range if there is none.
    std::size_t get_stat_index(const std::string &name) const;
};

}  // namespace lightspead::recv

#endif  // LIGHTSPEAD_RECV_STREAM_CONFIG_H
