/**
 * @file
 * A bounded, thread-safe FIFO that can be stopped: producers block while it
 * is full, consumers while it is empty; after @c ringbuffer::stop the
 * consumer drains what is left and then gets @c ringbuffer_stopped.
 */
#ifndef LIGHTSPEAD_COMMON_RINGBUFFER_H
#define LIGHTSPEAD_COMMON_RINGBUFFER_H

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <iterator>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>
#include <lightspead/common/eventfd_semaphore.h>

namespace lightspead
{

/// Thrown by a pop (or push) on a stopped, drained ringbuffer.
class ringbuffer_stopped : public std::runtime_error
{
public:
    ringbuffer_stopped() : std::runtime_error("ringbuffer has been stopped") {}
};

/// Thrown by a non-blocking pop on an empty ringbuffer.
class ringbuffer_empty : public std::runtime_error
{
public:
    ringbuffer_empty() : std::runtime_error("ringbuffer is empty") {}
};

/// Thrown by a non-blocking push on a full ringbuffer.
class ringbuffer_full : public std::runtime_error
{
public:
    ringbuffer_full() : std::runtime_error("ringbuffer is full") {}
};

/**
 * How a @ref ringbuffer tells the world that it has data (or space): the
 * default, with no file descriptor (waiting threads use condition
 * variables). spead2's name for its default semaphore type.
 */
class semaphore
{
public:
    /// Whether the condition holds now (called with the ringbuffer's lock held).
    void set(bool) noexcept {}
};

/**
 * A readiness signal an event loop can poll: its descriptor is readable
 * exactly while the condition holds (the ringbuffer has data, or has
 * space; a stopped ringbuffer is readable on both, so that waiters wake
 * and see the stop). spead2's name, for @c ringbuffer<T, semaphore_fd,
 * semaphore_fd>.
 */
class semaphore_fd
{
private:
    eventfd_semaphore sem;
    bool state = false;

public:
    /// Make the descriptor readable (@a ready) or not (called with the ringbuffer's lock held).
    void set(bool ready) noexcept
    {
        if (ready == state)
            return;
        state = ready;
        if (ready)
            sem.signal();
        else
            sem.reset();
    }
    /// The descriptor to poll for reading (owned by this object).
    int get_fd() const noexcept { return sem.get_fd(); }
};

/**
 * Bounded FIFO of @a T for one or more producers and consumers.
 *
 * @a DataSemaphore and @a SpaceSemaphore say how "has data" and "has
 * space" are signalled besides waking blocked threads: @ref semaphore
 * (nothing more) or @ref semaphore_fd (a descriptor for event loops, see
 * @ref get_data_sem and @ref get_space_sem).
 */
template<typename T, typename DataSemaphore = semaphore, typename SpaceSemaphore = semaphore>
class ringbuffer
{
private:
    mutable std::mutex mutex;
    std::condition_variable not_empty, not_full;
    std::deque<T> items;
    std::size_t max_items;
    bool stopped = false;
    std::size_t producers = 0;  // counted by add_producer
    DataSemaphore data_sem;
    SpaceSemaphore space_sem;

    // Bring the signals up to date (lock held).
    void update_signals() noexcept
    {
        data_sem.set(stopped || !items.empty());
        space_sem.set(stopped || items.size() < max_items);
    }

    // Remove the oldest value (there is one) and wake a waiting producer
    // once the lock is released.
    T take_front(std::unique_lock<std::mutex> &lock)
    {
        T value = std::move(items.front());
        items.pop_front();
        update_signals();
        lock.unlock();
        not_full.notify_one();
        return value;
    }

public:
    /// The type of the values held.
    using value_type = T;

    /// @throws std::invalid_argument if @a capacity is 0.
    explicit ringbuffer(std::size_t capacity) : max_items(capacity)
    {
        if (capacity == 0)
            throw std::invalid_argument("ringbuffer capacity must be at least 1");
        update_signals();
    }

    /**
     * Append @a value, waiting while the ringbuffer is full; @a before_wait
     * is called (with the ringbuffer's lock held: it must not touch the
     * ringbuffer) once, before the first wait.
     *
     * @return true if the push had to wait.
     * @throws ringbuffer_stopped if the ringbuffer is (or becomes) stopped.
     */
    template<typename F>
    bool push(T &&value, F &&before_wait)
    {
        std::unique_lock<std::mutex> lock(mutex);
        bool waited = false;
        while (!stopped && items.size() >= max_items)
        {
            if (!waited)
                before_wait();
            waited = true;
            not_full.wait(lock);
        }
        if (stopped)
            throw ringbuffer_stopped();
        items.push_back(std::move(value));
        update_signals();
        lock.unlock();
        not_empty.notify_one();
        return waited;
    }

    /// Append @a value, waiting while the ringbuffer is full. @copydetails push(T&&, F&&)
    bool push(T &&value)
    {
        return push(std::move(value), [] {});
    }

    /// Append @a value without waiting.
    /// @throws ringbuffer_full if there is no room.
    /// @throws ringbuffer_stopped once the ringbuffer is stopped.
    void try_push(T &&value)
    {
        {
            std::lock_guard<std::mutex> lock(mutex);
            if (stopped)
                throw ringbuffer_stopped();
            if (items.size() >= max_items)
                throw ringbuffer_full();
            items.push_back(std::move(value));
            update_signals();
        }
        not_empty.notify_one();
    }

    /**
     * Remove the oldest value, waiting while the ringbuffer is empty.
     *
     * @throws ringbuffer_stopped once stopped and drained.
     */
    T pop()
    {
        std::unique_lock<std::mutex> lock(mutex);
        not_empty.wait(lock, [this] { return stopped || !items.empty(); });
        if (items.empty())
            throw ringbuffer_stopped();
        return take_front(lock);
    }

    /**
     * Like @ref pop, but give up after @a timeout: an empty optional means
     * nothing arrived in time.
     *
     * @throws ringbuffer_stopped once stopped and drained.
     */
    template<typename Rep, typename Period>
    std::optional<T> pop_for(const std::chrono::duration<Rep, Period> &timeout)
    {
        std::unique_lock<std::mutex> lock(mutex);
        if (!not_empty.wait_for(lock, timeout, [this] { return stopped || !items.empty(); }))
            return std::nullopt;
        if (items.empty())
            throw ringbuffer_stopped();
        return take_front(lock);
    }

    /// Remove the oldest value without waiting.
    /// @throws ringbuffer_empty if there is none.
    /// @throws ringbuffer_stopped once the ringbuffer is stopped and empty.
    T try_pop()
    {
        std::unique_lock<std::mutex> lock(mutex);
        if (items.empty())
        {
            if (stopped)
                throw ringbuffer_stopped();
            throw ringbuffer_empty();
        }
        return take_front(lock);
    }

    /// Construct a value from @a args and @ref push it (waiting while full).
    template<typename... Args>
    void emplace(Args &&...args)
    {
        push(T(std::forward<Args>(args)...));
    }

    /// Construct a value from @a args and @ref try_push it.
    /// @throws ringbuffer_full if there is no room.
    /// @throws ringbuffer_stopped once the ringbuffer is stopped.
    template<typename... Args>
    void try_emplace(Args &&...args)
    {
        try_push(T(std::forward<Args>(args)...));
    }

    /**
     * Refuse further pushes, wake everyone; consumers drain what is left.
     * @return whether this call stopped it (false if it was already stopped).
     */
    bool stop()
    {
        {
            std::lock_guard<std::mutex> lock(mutex);
            if (stopped)
                return false;
            stopped = true;
            update_signals();
        }
        not_empty.notify_all();
        not_full.notify_all();
        return true;
    }

    /// Count one more producer: the ringbuffer stops when the last one calls @ref remove_producer.
    void add_producer()
    {
        std::lock_guard<std::mutex> lock(mutex);
        producers++;
    }

    /**
     * A producer counted by @ref add_producer is done; the last one stops
     * the ringbuffer.
     * @return whether this call stopped it.
     * @throws std::logic_error if no producer is counted.
     */
    bool remove_producer()
    {
        {
            std::lock_guard<std::mutex> lock(mutex);
            if (producers == 0)
                throw std::logic_error("ringbuffer::remove_producer without add_producer");
            if (--producers > 0)
                return false;
        }
        return stop();
    }

    /// Whether @ref stop has been called (or the last producer removed).
    bool is_stopped() const
    {
        std::lock_guard<std::mutex> lock(mutex);
        return stopped;
    }

    /// Values waiting now (a snapshot: other threads may change it at once).
    std::size_t size() const
    {
        std::lock_guard<std::mutex> lock(mutex);
        return items.size();
    }

    /// The most values it holds (as given to the constructor).
    std::size_t capacity() const noexcept { return max_items; }

    /**
     * Input iterator that pops values until the ringbuffer is stopped and
     * drained (as spead2's): <code>for (T value : ring)</code>. Dereferencing
     * moves the value out.
     */
    class iterator
    {
    private:
        ringbuffer *owner = nullptr;
        std::optional<T> current;

        void advance()
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

    public:
        ///@{

        /// Standard input iterator type.
        using iterator_category = std::input_iterator_tag;
        using value_type = T;
        using difference_type = std::ptrdiff_t;
        using pointer = T *;
        using reference = T &&;
        ///@}

        iterator() = default;
        /// An iterator at the next value popped from @a owner (waits for it).
        explicit iterator(ringbuffer &owner) : owner(&owner) { advance(); }
        ///@{

        /// The standard input iterator operation: the current value (to move from), or pop the next.
        T &&operator*() { return std::move(*current); }
        T *operator->() { return &*current; }
        iterator &operator++()
        {
            advance();
            return *this;
        }
        void operator++(int) { advance(); }
        ///@}
        /// Both at the end, or both on the same ringbuffer.
        bool operator==(const iterator &other) const noexcept { return owner == other.owner; }
    };

    /// Pop values until stopped (see @c iterator).
    iterator begin() { return iterator(*this); }
    /// The end of the values (reached once the ringbuffer is stopped and empty).
    iterator end() { return iterator(); }

    /// The "has data" signal (with @c semaphore_fd: poll its get_fd()).
    const DataSemaphore &get_data_sem() const noexcept { return data_sem; }
    /// The "has space" signal (with @c semaphore_fd: poll its get_fd()).
    const SpaceSemaphore &get_space_sem() const noexcept { return space_sem; }
};

}  // namespace lightspead

#endif  // LIGHTSPEAD_COMMON_RINGBUFFER_H
