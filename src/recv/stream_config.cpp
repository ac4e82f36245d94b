#include <stdexcept>
#include <string>
#include <lightspead/recv/stream_config.h>

namespace lightspead::recv
{

const std::vector<stream_stat_config> &standard_stats()
{
    static const std::vector<stream_stat_config> stats{
        stream_stat_config("heaps"),
        stream_stat_config("incomplete_heaps_evicted"),
        stream_stat_config("incomplete_heaps_flushed"),
        stream_stat_config("packets"),
        stream_stat_config("batches"),
        stream_stat_config("max_batch", stream_stat_config::mode::MAXIMUM),
        stream_stat_config("single_packet_heaps"),
        stream_stat_config("search_dist"),
        stream_stat_config("worker_blocked"),
    };
    return stats;
}

const std::vector<stream_stat_config> &discard_stats()
{
    static const std::vector<stream_stat_config> stats{
        stream_stat_config("packets_malformed"),
        stream_stat_config("packets_size_mismatch"),
        stream_stat_config("packets_truncated"),
        stream_stat_config("packets_out_of_order"),
        stream_stat_config("packets_duplicate"),
        stream_stat_config("packets_heap_too_large"),
        stream_stat_config("packets_length_conflict"),
        stream_stat_config("packets_unsized"),
        stream_stat_config("packets_too_many_pointers"),
        stream_stat_config("packets_after_stop"),
        stream_stat_config("packets_stale"),
        stream_stat_config("heaps_dropped"),
        stream_stat_config("packets_accepted"),
        stream_stat_config("kernel_dropped"),
        stream_stat_config("read_errors"),
    };
    return stats;
}

stream_config::stream_config()
    : allocator(std::make_shared<memory_allocator>()),
      stats(std::make_shared<std::vector<stream_stat_config>>(standard_stats()))
{
}

namespace
{

void check_heap_slots(std::size_t max_heaps, std::size_t substreams)
{
    if (max_heaps > stream_config::max_heap_slots / substreams)
        throw std::invalid_argument("max_heaps " + std::to_string(max_heaps) + " x substreams "
                                    + std::to_string(substreams) + " exceeds the limit of "
                                    + std::to_string(stream_config::max_heap_slots) + " heaps assembled at once");
}

}  // anonymous namespace

stream_config &stream_config::set_max_heaps(std::size_t max_heaps)
{
    if (max_heaps == 0)
        throw std::invalid_argument("max_heaps must be at least 1");
    check_heap_slots(max_heaps, substreams);
    this->max_heaps = max_heaps;
    return *this;
}

stream_config &stream_config::set_substreams(std::size_t substreams)
{
    if (substreams == 0)
        throw std::invalid_argument("substreams must be at least 1");
    check_heap_slots(max_heaps, substreams);
    this->substreams = substreams;
    return *this;
}

stream_config &stream_config::set_bug_compat(bug_compat_mask bug_compat)
{
    if (bug_compat & ~BUG_COMPAT_ALL)
        throw std::invalid_argument("bug_compat has undefined bits (only 0x1, 0x2 and 0x4 are defined)");
    this->bug_compat = bug_compat;
    return *this;
}

stream_config &stream_config::set_memory_allocator(std::shared_ptr<memory_allocator> allocator)
{
    if (!allocator)
        throw std::invalid_argument("memory_allocator must not be null");
    this->allocator = std::move(allocator);
    return *this;
}

stream_config &stream_config::set_memcpy(memcpy_mode mode)
{
    lightspead::get_memcpy(mode);  // validates
    copy_mode = mode;
    copy_mode_set = true;
    return *this;
}

stream_config &stream_config::set_stop_on_stop_item(bool stop)
{
    stop_on_stop_item = stop;
    return *this;
}

stream_config &stream_config::set_allow_unsized_heaps(bool allow)
{
    allow_unsized_heaps = allow;
    return *this;
}

stream_config &stream_config::set_allow_out_of_order(bool allow)
{
    allow_out_of_order = allow;
    return *this;
}

stream_config &stream_config::set_explicit_start(bool explicit_start)
{
    this->explicit_start = explicit_start;
    return *this;
}

stream_config &stream_config::set_max_heap_size(std::size_t size)
{
    if (size == 0)
        throw std::invalid_argument("max_heap_size must be at least 1 byte");
    max_heap_size = size;
    return *this;
}

std::size_t stream_config::add_stat(const std::string &name, stream_stat_config::mode mode)
{
    for (const auto &s : *stats)
        if (s.get_name() == name)
            throw std::invalid_argument("a statistic called " + name + " already exists");
    // Copy on write: configs copied earlier keep their registry.
    auto copy = std::make_shared<std::vector<stream_stat_config>>(*stats);
    copy->emplace_back(name, mode);
    stats = std::move(copy);
    return stats->size() - 1;
}

std::size_t stream_config::get_stat_index(const std::string &name) const
{
    return find_stat(*stats, name);
}

}  // namespace lightspead::recv
