/**
 * @file
 * Chunk stream groups: several chunk streams (one per NIC queue or per
 * core, each on its own thread) filling one sequence of chunks. See
 * docs/design/chunks.md.
 */
#ifndef LIGHTSPEAD_RECV_CHUNK_STREAM_GROUP_H
#define LIGHTSPEAD_RECV_CHUNK_STREAM_GROUP_H

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>
#include <lightspead/recv/chunk_stream.h>

namespace lightspead::recv
{

/// Settings of a @ref chunk_stream_group. Setters validate and chain.
class chunk_stream_group_config
{
public:
    /// Chunks under construction at once, by default.
    static constexpr std::size_t default_max_chunks = chunk_stream_config::default_max_chunks;

    /// What the group does when a member needs a chunk beyond the window.
    enum class eviction_mode
    {
        /// Make every member give up the oldest chunks at once (heaps still
        /// arriving for them are lost): one slow or silent member cannot stall the others.
        LOSSY,
        /// Wait until every member has moved past the oldest chunk by itself:
        /// nothing is given up early, but a silent member stalls the group until it stops.
        LOSSLESS
    };

private:
    std::size_t max_chunks = default_max_chunks;
    eviction_mode eviction_mode_ = eviction_mode::LOSSY;
    chunk_allocate_function allocate;
    chunk_ready_function ready;

public:
    /// Chunks under construction at once (at least 1; std::invalid_argument otherwise).
    chunk_stream_group_config &set_max_chunks(std::size_t max_chunks);
    /// Chunks under construction at once.
    std::size_t get_max_chunks() const noexcept { return max_chunks; }

    /// What happens when a chunk must leave the window before every member is done with it (default LOSSY).
    chunk_stream_group_config &set_eviction_mode(eviction_mode mode) noexcept
    {
        eviction_mode_ = mode;
        return *this;
    }
    /// See @ref set_eviction_mode.
    eviction_mode get_eviction_mode() const noexcept { return eviction_mode_; }

    /// Where chunks come from (required by @ref chunk_stream_group; set by the ring group).
    chunk_stream_group_config &set_allocate(chunk_allocate_function allocate);
    /// See @ref set_allocate.
    const chunk_allocate_function &get_allocate() const noexcept { return allocate; }

    /// Where finished chunks go (required by @ref chunk_stream_group; optional for the ring group).
    chunk_stream_group_config &set_ready(chunk_ready_function ready);
    /// See @ref set_ready.
    const chunk_ready_function &get_ready() const noexcept { return ready; }
};

class chunk_stream_group;

/**
 * One stream of a @c chunk_stream_group: a chunk stream whose chunks are
 * the group's. Created by @ref chunk_stream_group::emplace_back and owned
 * by the group. Its @ref stop stops the whole group.
 */
class chunk_stream_group_member : public detail::chunk_stream_base
{
    friend class chunk_stream_group;

private:
    chunk_stream_group &group;
    const std::size_t group_index;

    chunk *allocate_chunk(std::int64_t chunk_id) override;
    void ready_chunk(chunk *) override {}  // the group's; it goes on when every member is past it
    void head_updated(std::uint64_t head) override;

    /// Soon, on this member's thread: give up every chunk before @a chunk_id.
    void async_flush_until(std::uint64_t chunk_id);

protected:
    void stop_received() override;

    /**
     * Stop this member only (what @ref chunk_stream_group::stop does to
     * each member): its chunks are released to the group.
     */
    virtual void stop1();

public:
    /**
     * Called by @ref chunk_stream_group::emplace_back (a subclass must keep
     * this signature after its own arguments are bound).
     * @throws std::invalid_argument if the place callback is missing or
     * @a chunk_config's max_chunks exceeds the group's.
     */
    chunk_stream_group_member(chunk_stream_group &group, std::size_t group_index, io_context_ref io,
                              const stream_config &config, const chunk_stream_config &chunk_config);
    ~chunk_stream_group_member() override;

    /// The group this member belongs to.
    chunk_stream_group &get_group() const noexcept { return group; }

    /// Stop the whole group (spead2's behaviour: members start and stop together).
    void stop() override;
};

/**
 * Several chunk streams filling one sequence of chunks: each member places
 * its heaps into the group's chunks, and a chunk goes to the group's ready
 * callback once every member has moved past it. Chunks come from the
 * group's allocate callback, once per chunk ID.
 *
 * Members are added with @ref emplace_back before any of them receives
 * (std::logic_error after); the group owns them. Give each member its own
 * thread (its own thread_pool, or an io_context no other member uses): a
 * member that needs a chunk beyond the window waits on its thread for the
 * others to move on.
 *
 * Like a vector, it offers size(), operator[], begin()/end() over the
 * members (as references).
 */
class chunk_stream_group
{
    friend class chunk_stream_group_member;

private:
    const chunk_stream_group_config config;
    std::mutex mutex;
    std::condition_variable progress;  // the window's head moved
    detail::chunk_window window;
    std::vector<std::unique_ptr<chunk_stream_group_member>> streams;
    std::vector<std::uint64_t> heads;  // each member's window head
    std::uint64_t last_flush_until = 0;
    bool started = false;  // a chunk was asked for: no member can be added

    // For a member (its lock held): the chunk for chunk_id, once the window
    // reaches it; null if none was allocated.
    chunk *get_chunk(std::int64_t chunk_id, std::uintptr_t stream_id, std::uint64_t *batch_stats);
    // A member's head moved (its lock held): release the chunks every member is past.
    void member_head_updated(chunk_stream_group_member &member, std::uint64_t head, std::uint64_t *batch_stats);
    // Check and register a new member (lock held).
    std::size_t reserve_member();

protected:
    /// A member was added (the group's lock held).
    virtual void stream_added(chunk_stream_group_member &) {}
    /// A member stopped, from the network or a stop (its lock held).
    virtual void stream_stop_received(chunk_stream_group_member &) {}

    /// Lock held while chunks move between the group and its callbacks.
    std::mutex &get_mutex() noexcept { return mutex; }

public:
    /// @throws std::invalid_argument if the allocate or ready callback is missing.
    explicit chunk_stream_group(const chunk_stream_group_config &config);
    /// Stops the group (derived classes stop in their own destructors first).
    virtual ~chunk_stream_group();

    chunk_stream_group(const chunk_stream_group &) = delete;
    chunk_stream_group &operator=(const chunk_stream_group &) = delete;

    /// The configuration the group was built with.
    const chunk_stream_group_config &get_config() const noexcept { return config; }

    /// Add a member; @throws std::logic_error once the group has begun receiving.
    chunk_stream_group_member &emplace_back(io_context_ref io, const stream_config &config,
                                            const chunk_stream_config &chunk_config);

    /// Add a member of class @a T, built from (*this, index, args...).
    template<typename T, typename... Args>
    T &emplace_back(Args &&...args)
    {
        std::lock_guard<std::mutex> lock(mutex);
        const std::size_t index = reserve_member();
        auto member = std::make_unique<T>(*this, index, std::forward<Args>(args)...);
        T &out = *member;
        streams.push_back(std::move(member));
        heads.push_back(0);
        stream_added(out);
        return out;
    }

    /// The number of members.
    std::size_t size() const noexcept { return streams.size(); }
    /// Whether the group has no members.
    bool empty() const noexcept { return streams.empty(); }
    ///@{

    /// The member at @a index (unchecked).
    chunk_stream_group_member &operator[](std::size_t index) { return *streams[index]; }
    const chunk_stream_group_member &operator[](std::size_t index) const { return *streams[index]; }
    ///@}

    /// Iterates over the members as references.
    template<typename Member, typename Base>
    class basic_iterator
    {
    private:
        Base it;

    public:
        ///@{

        /// Standard random-access iterator type.
        using iterator_category = std::random_access_iterator_tag;
        using value_type = chunk_stream_group_member;
        using difference_type = std::ptrdiff_t;
        using pointer = Member *;
        using reference = Member &;
        ///@}

        basic_iterator() = default;
        /// The iterator over the members at @a it.
        explicit basic_iterator(Base it) : it(it) {}
        ///@{

        /// The standard random-access iterator operation.
        reference operator*() const { return **it; }
        pointer operator->() const { return it->get(); }
        reference operator[](difference_type n) const { return *it[n]; }
        basic_iterator &operator++()
        {
            ++it;
            return *this;
        }
        basic_iterator operator++(int) { return basic_iterator(it++); }
        basic_iterator &operator--()
        {
            --it;
            return *this;
        }
        basic_iterator operator--(int) { return basic_iterator(it--); }
        basic_iterator &operator+=(difference_type n)
        {
            it += n;
            return *this;
        }
        basic_iterator &operator-=(difference_type n)
        {
            it -= n;
            return *this;
        }
        friend basic_iterator operator+(basic_iterator a, difference_type n) { return a += n; }
        friend basic_iterator operator+(difference_type n, basic_iterator a) { return a += n; }
        friend basic_iterator operator-(basic_iterator a, difference_type n) { return a -= n; }
        friend difference_type operator-(const basic_iterator &a, const basic_iterator &b) { return a.it - b.it; }
        friend auto operator<=>(const basic_iterator &a, const basic_iterator &b) = default;
        ///@}
    };
    ///@{

    /// An iterator over the members, as references.
    using iterator =
        basic_iterator<chunk_stream_group_member, std::vector<std::unique_ptr<chunk_stream_group_member>>::iterator>;
    using const_iterator = basic_iterator<const chunk_stream_group_member,
                                          std::vector<std::unique_ptr<chunk_stream_group_member>>::const_iterator>;

    ///@}
    ///@{

    /// An iterator over the members in index order, as for a container.
    iterator begin() noexcept { return iterator(streams.begin()); }
    iterator end() noexcept { return iterator(streams.end()); }
    const_iterator begin() const noexcept { return const_iterator(streams.begin()); }
    const_iterator end() const noexcept { return const_iterator(streams.end()); }
    const_iterator cbegin() const noexcept { return begin(); }
    const_iterator cend() const noexcept { return end(); }
    ///@}

    /**
     * Stop every member; every chunk goes to the ready callback. In
     * lossless mode the members are first told to give up their chunks,
     * so that a member waiting for the others is released.
     */
    virtual void stop();
};

/**
 * A group whose chunks cycle through a ring pair (see
 * @ref chunk_ring_stream): taken from the free ring, finished ones pushed
 * to the data ring, which stops when every member has stopped. @ref stop
 * stops both rings first, so it never waits for the consumer; chunks then
 * in flight are freed by @ref stop on its caller's thread.
 */
template<typename DataRingbuffer = ringbuffer<std::unique_ptr<chunk>>,
         typename FreeRingbuffer = ringbuffer<std::unique_ptr<chunk>>>
class chunk_stream_ring_group : public detail::chunk_ring_pair<DataRingbuffer, FreeRingbuffer>,
                                public chunk_stream_group
{
private:
    using pair = detail::chunk_ring_pair<DataRingbuffer, FreeRingbuffer>;

protected:
    void stream_added(chunk_stream_group_member &member) override
    {
        chunk_stream_group::stream_added(member);
        this->data_ring->add_producer();
    }

    void stream_stop_received(chunk_stream_group_member &member) override
    {
        chunk_stream_group::stream_stop_received(member);
        this->data_ring->remove_producer();
    }

public:
    /// @throws std::invalid_argument if a ring is null.
    chunk_stream_ring_group(const chunk_stream_group_config &config, std::shared_ptr<DataRingbuffer> data_ring,
                            std::shared_ptr<FreeRingbuffer> free_ring)
        : pair(std::move(data_ring), std::move(free_ring)), chunk_stream_group(this->with_rings(config))
    {
    }

    ~chunk_stream_ring_group() override { stop(); }

    /// Stop both rings, then every member; free chunks left in flight.
    void stop() override
    {
        this->stop_with_rings(get_mutex(), [this] { chunk_stream_group::stop(); });
    }
};

extern template class chunk_stream_ring_group<>;
extern template class chunk_stream_ring_group<ringbuffer<std::unique_ptr<chunk>, semaphore_fd, semaphore_fd>,
                                              ringbuffer<std::unique_ptr<chunk>, semaphore_fd, semaphore_fd>>;

}  // namespace lightspead::recv

#endif  // LIGHTSPEAD_RECV_CHUNK_STREAM_GROUP_H
