/**
 * @file
 * Receive statistics: what each one is called and how it combines
 * (@ref lightspead::recv::stream_stat_config), and a snapshot of their
 * values (@ref lightspead::recv::stream_stats), with spead2's names.
 */
#ifndef LIGHTSPEAD_RECV_STREAM_STATS_H
#define LIGHTSPEAD_RECV_STREAM_STATS_H

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace lightspead::recv
{

/// The name of one statistic and how two of its values combine.
class stream_stat_config
{
public:
    /// How values combine (across streams, or in a snapshot sum).
    enum class mode
    {
        COUNTER,  ///< a running total: values add
        MAXIMUM   ///< the largest value seen
    };

private:
    std::string name;
    mode mode_;

public:
    /// A statistic called @a name that combines as @a mode_ says.
    explicit stream_stat_config(std::string name, mode mode_ = mode::COUNTER) : name(std::move(name)), mode_(mode_) {}

    /// The statistic's name.
    const std::string &get_name() const noexcept { return name; }
    /// How values of the statistic combine.
    mode get_mode() const noexcept { return mode_; }
    /// @a a and @a b combined: their sum, or the larger.
    std::uint64_t combine(std::uint64_t a, std::uint64_t b) const noexcept
    {
        return mode_ == mode::MAXIMUM ? (a > b ? a : b) : a + b;
    }

    /// Same name and mode.
    bool operator==(const stream_stat_config &) const = default;
};

/// Index of the statistic called @a name in @a stats. @throws std::out_of_range if there is none.
std::size_t find_stat(const std::vector<stream_stat_config> &stats, const std::string &name);

/**
 * Indices of the statistics every stream has, in this order: spead2's
 * nine, with spead2's names. Custom statistics (@ref stream_config::add_stat)
 * follow them. Why packets were discarded is counted separately, by
 * @ref discard_stat_index.
 */
enum stat_index : std::size_t
{
    stat_heaps,                     ///< complete heaps delivered
    stat_incomplete_heaps_evicted,  ///< heaps pushed out by newer heaps before completing
    stat_incomplete_heaps_flushed,  ///< heaps still incomplete when the stream stopped
    stat_packets,                   ///< packets handed to the stream (good or bad)
    stat_batches,                   ///< batches of packets handed over by readers
    stat_max_batch,                 ///< largest batch (maximum)
    stat_single_packet_heaps,       ///< complete heaps that arrived in one packet
    stat_search_dist,               ///< heap-table slots examined to place packets
    stat_worker_blocked,            ///< times the network thread waited for the consumer
    stat_standard_count             ///< number of standard statistics
};

/// The same indices under spead2's names (@c stream_stat_indices::heaps, ...).
namespace stream_stat_indices
{
/// @name spead2's names for the standard statistics' indices (see @ref stat_index)
///@{

/// The index of the statistic of the same name (see @ref stat_index).
inline constexpr std::size_t heaps = stat_heaps;
inline constexpr std::size_t incomplete_heaps_evicted = stat_incomplete_heaps_evicted;
inline constexpr std::size_t incomplete_heaps_flushed = stat_incomplete_heaps_flushed;
inline constexpr std::size_t packets = stat_packets;
inline constexpr std::size_t batches = stat_batches;
inline constexpr std::size_t max_batch = stat_max_batch;
inline constexpr std::size_t single_packet_heaps = stat_single_packet_heaps;
inline constexpr std::size_t search_dist = stat_search_dist;
inline constexpr std::size_t worker_blocked = stat_worker_blocked;
///@}
inline constexpr std::size_t custom = stat_standard_count;  ///< the first custom statistic
}  // namespace stream_stat_indices

/// The standard statistics, in @ref stat_index order.
const std::vector<stream_stat_config> &standard_stats();

/**
 * Indices of a stream's discard statistics (@ref stream::get_discard_stats),
 * which spead2 does not have: one counter per reason a packet or heap was
 * thrown away, and the packets that were not, so that
 * packets = packets_accepted + the sum of the @c packets_* discard counters.
 * All are counters.
 */
enum discard_stat_index : std::size_t
{
    stat_packets_malformed,          ///< did not decode (see packet_status)
    stat_packets_size_mismatch,      ///< datagram length differs from the packet's own size
    stat_packets_truncated,          ///< larger than the reader's max_size
    stat_packets_out_of_order,       ///< not at the next expected offset (in-order assembly)
    stat_packets_duplicate,          ///< payload already received (out-of-order assembly)
    stat_packets_heap_too_large,     ///< heap length beyond max_heap_size
    stat_packets_length_conflict,    ///< heap length differs from earlier packets of the heap
    stat_packets_unsized,            ///< no heap length while unsized heaps are refused
    stat_packets_too_many_pointers,  ///< heap would hold more item pointers than the bound
    stat_packets_after_stop,         ///< arrived after the stream stopped
    stat_packets_stale,              ///< belong to a heap that recently finished (duplicate or late)
    stat_heaps_dropped,              ///< heaps that could not be frozen (bad item pointers)
    stat_packets_accepted,           ///< packets whose payload went into a heap
    stat_kernel_dropped,             ///< datagrams the kernel dropped (socket buffer full), not in @c packets
    stat_read_errors,   ///< input a reader could not read past (a corrupt capture record): the reader stopped there
    discard_stat_count  ///< number of discard statistics
};

/// The discard statistics, in @ref discard_stat_index order.
const std::vector<stream_stat_config> &discard_stats();

class stream_stats;

namespace detail
{

/**
 * Iterator over a @ref stream_stats: each element is a (name, value) pair
 * of references, made on the fly (so @c operator-> hands out a proxy).
 * Random access. @a Stats is stream_stats or const stream_stats.
 */
template<typename Stats, typename Value>
class stream_stats_iterator
{
private:
    Stats *owner = nullptr;
    std::size_t index = 0;

    struct arrow_proxy
    {
        Value pair;
        const Value *operator->() const noexcept { return &pair; }
    };

public:
    using iterator_category = std::random_access_iterator_tag;
    using value_type = Value;
    using difference_type = std::ptrdiff_t;
    using reference = Value;
    using pointer = arrow_proxy;

    stream_stats_iterator() = default;
    stream_stats_iterator(Stats &owner, std::size_t index) noexcept : owner(&owner), index(index) {}
    /// A mutable iterator converts to a const one.
    template<typename S, typename V>
    stream_stats_iterator(const stream_stats_iterator<S, V> &other) noexcept
        : owner(other.get_owner()), index(other.get_index())
    {
    }

    Stats *get_owner() const noexcept { return owner; }
    std::size_t get_index() const noexcept { return index; }

    Value operator*() const { return Value(owner->get_config()[index].get_name(), (*owner)[index]); }
    arrow_proxy operator->() const { return arrow_proxy{**this}; }
    Value operator[](difference_type n) const { return *(*this + n); }

    stream_stats_iterator &operator++() noexcept { return *this += 1; }
    stream_stats_iterator operator++(int) noexcept
    {
        auto old = *this;
        ++*this;
        return old;
    }
    stream_stats_iterator &operator--() noexcept { return *this -= 1; }
    stream_stats_iterator operator--(int) noexcept
    {
        auto old = *this;
        --*this;
        return old;
    }
    stream_stats_iterator &operator+=(difference_type n) noexcept
    {
        index += n;
        return *this;
    }
    stream_stats_iterator &operator-=(difference_type n) noexcept
    {
        index -= n;
        return *this;
    }
    friend stream_stats_iterator operator+(stream_stats_iterator it, difference_type n) noexcept { return it += n; }
    friend stream_stats_iterator operator+(difference_type n, stream_stats_iterator it) noexcept { return it += n; }
    friend stream_stats_iterator operator-(stream_stats_iterator it, difference_type n) noexcept { return it -= n; }
    friend difference_type operator-(const stream_stats_iterator &a, const stream_stats_iterator &b) noexcept
    {
        return difference_type(a.index) - difference_type(b.index);
    }
    friend bool operator==(const stream_stats_iterator &a, const stream_stats_iterator &b) noexcept
    {
        return a.owner == b.owner && a.index == b.index;
    }
    friend auto operator<=>(const stream_stats_iterator &a, const stream_stats_iterator &b) noexcept
    {
        return a.index <=> b.index;
    }
};

}  // namespace detail

/**
 * A snapshot of statistics' values, in the order of their configuration:
 * by index (@ref stat_index, @ref stream_stat_indices) or by name, and
 * iterable as (name, value) pairs, like a map. Snapshots with the same
 * statistics combine with @c + (each by its mode), for totals over
 * several streams.
 *
 * The members @c heaps ... @c worker_blocked (spead2's) refer to the first
 * nine values, which are the standard statistics in a stream's
 * @ref stream::get_stats (and mean nothing in @ref stream::get_discard_stats).
 */
class stream_stats
{
private:
    std::shared_ptr<const std::vector<stream_stat_config>> config;
    // The first stat_standard_count values live in an array, so that the
    // named references below stay valid when the snapshot is copied or
    // assigned; the rest in a vector.
    std::array<std::uint64_t, stat_standard_count> first{};
    std::vector<std::uint64_t> rest;

    std::uint64_t &value(std::size_t index) noexcept
    {
        return index < first.size() ? first[index] : rest[index - first.size()];
    }
    const std::uint64_t &value(std::size_t index) const noexcept
    {
        return index < first.size() ? first[index] : rest[index - first.size()];
    }
    void check_index(std::size_t index) const;

public:
    /// @name Standard container types (a map from names to values, in statistic order)
    ///@{

    /// As for a @c std::map from statistic names to values; iterators give (name, value) pairs.
    using key_type = std::string;
    using mapped_type = std::uint64_t;
    using value_type = std::pair<const std::string, std::uint64_t>;
    using size_type = std::size_t;
    using difference_type = std::ptrdiff_t;
    using iterator = detail::stream_stats_iterator<stream_stats, std::pair<const std::string &, std::uint64_t &>>;
    using const_iterator =
        detail::stream_stats_iterator<const stream_stats, std::pair<const std::string &, const std::uint64_t &>>;
    using reverse_iterator = std::reverse_iterator<iterator>;
    using const_reverse_iterator = std::reverse_iterator<const_iterator>;
    ///@}

    /// The standard statistics, all zero.
    stream_stats();
    /// The statistics of @a config, all zero.
    explicit stream_stats(std::shared_ptr<const std::vector<stream_stat_config>> config);
    /// @throws std::invalid_argument if @a values does not match @a config in length.
    stream_stats(std::shared_ptr<const std::vector<stream_stat_config>> config, std::vector<std::uint64_t> values);
    /// @name Copying and moving
    ///@{

    /// A copy (or move) of the values; the configuration is shared.
    stream_stats(const stream_stats &other);
    stream_stats(stream_stats &&other) noexcept;
    stream_stats &operator=(const stream_stats &other);
    stream_stats &operator=(stream_stats &&other) noexcept;
    ///@}

    /// The statistics' names and modes, in index order.
    const std::vector<stream_stat_config> &get_config() const noexcept { return *config; }
    /// The number of statistics.
    std::size_t size() const noexcept { return config->size(); }
    /// Whether there are no statistics (never, for a stream's).
    bool empty() const noexcept { return size() == 0; }

    /// @name Access by index
    ///@{

    /// The value at @a index, unchecked (as a vector's).
    std::uint64_t &operator[](std::size_t index) noexcept { return value(index); }
    const std::uint64_t &operator[](std::size_t index) const noexcept { return value(index); }
    ///@}
    /// @name Checked access by index
    ///@{

    /// The value at @a index. @throws std::out_of_range past the end.
    std::uint64_t &at(std::size_t index);
    const std::uint64_t &at(std::size_t index) const;
    ///@}
    /// @name Access by name
    ///@{

    /// The value of the statistic called @a name. @throws std::out_of_range for an unknown name.
    std::uint64_t &operator[](const std::string &name) { return value(index_of(name)); }
    const std::uint64_t &operator[](const std::string &name) const { return value(index_of(name)); }
    std::uint64_t &at(const std::string &name) { return value(index_of(name)); }
    const std::uint64_t &at(const std::string &name) const { return value(index_of(name)); }
    ///@}

    /// Index of the statistic called @a name. @throws std::out_of_range if there is none.
    std::size_t index_of(const std::string &name) const;
    /// @name Lookup
    ///@{

    /// An iterator to the statistic called @a name, or @c end().
    iterator find(const std::string &name);
    const_iterator find(const std::string &name) const;
    ///@}
    /// 1 if there is a statistic called @a name, else 0.
    std::size_t count(const std::string &name) const;
    /// Whether there is a statistic called @a name.
    bool contains(const std::string &name) const { return count(name) != 0; }

    /// @name Iteration
    ///@{

    /// Iterators over (name, value) pairs in index order, as for a container.
    iterator begin() noexcept { return iterator(*this, 0); }
    iterator end() noexcept { return iterator(*this, size()); }
    const_iterator begin() const noexcept { return cbegin(); }
    const_iterator end() const noexcept { return cend(); }
    const_iterator cbegin() const noexcept { return const_iterator(*this, 0); }
    const_iterator cend() const noexcept { return const_iterator(*this, size()); }
    reverse_iterator rbegin() noexcept { return reverse_iterator(end()); }
    reverse_iterator rend() noexcept { return reverse_iterator(begin()); }
    const_reverse_iterator rbegin() const noexcept { return crbegin(); }
    const_reverse_iterator rend() const noexcept { return crend(); }
    const_reverse_iterator crbegin() const noexcept { return const_reverse_iterator(cend()); }
    const_reverse_iterator crend() const noexcept { return const_reverse_iterator(cbegin()); }
    ///@}

    /// The values, in order.
    std::vector<std::uint64_t> values() const;

    /**
     * Combine with @a other, statistic by statistic, each by its mode.
     * @throws std::invalid_argument if the two have different statistics.
     */
    stream_stats &operator+=(const stream_stats &other);
    /// This and @a other combined, as @c += does. @throws std::invalid_argument if the two have different statistics.
    stream_stats operator+(const stream_stats &other) const;

    /// @name spead2's named members
    ///@{

    /// A reference to the standard statistic of the same name (see @ref stat_index).
    std::uint64_t &heaps = first[stat_heaps];
    std::uint64_t &incomplete_heaps_evicted = first[stat_incomplete_heaps_evicted];
    std::uint64_t &incomplete_heaps_flushed = first[stat_incomplete_heaps_flushed];
    std::uint64_t &packets = first[stat_packets];
    std::uint64_t &batches = first[stat_batches];
    std::uint64_t &max_batch = first[stat_max_batch];
    std::uint64_t &single_packet_heaps = first[stat_single_packet_heaps];
    std::uint64_t &search_dist = first[stat_search_dist];
    std::uint64_t &worker_blocked = first[stat_worker_blocked];
    ///@}
};

}  // namespace lightspead::recv

#endif  // LIGHTSPEAD_RECV_STREAM_STATS_H
