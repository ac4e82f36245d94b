/**
 * @file
 * A Boost.Asio io_context with its own worker threads, optionally pinned to
 * CPU cores. Streams do their I/O on a thread pool's threads.
 */
#ifndef LIGHTSPEAD_COMMON_THREAD_POOL_H
#define LIGHTSPEAD_COMMON_THREAD_POOL_H

#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>  // Boost 1.74 Asio needs it in C++20
#include <vector>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace lightspead
{

/**
 * An io_context run by @c num_threads threads.
 *
 * Streams built on the pool register with it, so the pool and its streams
 * may be stopped in any order and from any thread outside the pool:
 * @ref stop first stops every stream still registered (a receive stream
 * stops its readers and wakes its consumers, a send stream fails the heaps
 * it has not finished with @c operation_aborted), then joins the threads.
 * A stream built on an already stopped pool starts out stopped.
 *
 * The pool object itself must outlive the streams that refer to it (or
 * they can hold it through a @c std::shared_ptr, see @ref io_context_ref).
 */
class thread_pool
{
private:
    struct user
    {
        std::mutex mutex;               // held while on_stop runs
        std::function<void()> on_stop;  // empty once unregistered
    };

    boost::asio::io_context io_context;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work;
    std::vector<std::thread> workers;
    std::mutex stop_mutex;           // serialises stop()
    mutable std::mutex users_mutex;  // protects users and stopping
    std::list<std::shared_ptr<user>> users;
    bool stopping = false;

    void run_worker();

public:
    /**
     * Start @a num_threads threads with no CPU affinity.
     *
     * @throws std::invalid_argument if @a num_threads < 1.
     */
    explicit thread_pool(int num_threads = 1);

    /**
     * Start @a num_threads threads; thread i is pinned to core
     * affinity[i % affinity.size()]. An empty @a affinity means no pinning.
     *
     * @throws std::invalid_argument if @a num_threads < 1 or a core is negative.
     */
    thread_pool(int num_threads, const std::vector<int> &affinity);

    /// Stops the pool (see @ref stop).
    ~thread_pool();

    thread_pool(const thread_pool &) = delete;
    thread_pool &operator=(const thread_pool &) = delete;

    /// The io_context the threads run.
    boost::asio::io_context &get_io_context() noexcept { return io_context; }

    /**
     * Stop every registered stream, let the threads finish the work queued
     * so far, then join them. Idempotent and thread-safe.
     *
     * @throws std::logic_error if called from one of the pool's own threads
     * (the pool cannot join the thread that is running the call).
     */
    void stop();

    /// Whether @ref stop has begun.
    bool is_stopped() const;

    /**
     * Registration of a stream (or anything else that does I/O on the
     * pool) with the pool; destroying it unregisters, waiting for an
     * @c on_stop call that is under way to return.
     */
    using registration = std::shared_ptr<void>;

    /**
     * Register @a on_stop to be called (once, from the thread that calls
     * @ref stop, before the threads are joined) when the pool stops.
     * Returns an empty registration, without calling @a on_stop, if the
     * pool has already begun to stop.
     */
    registration add_user(std::function<void()> on_stop);

    /**
     * Pin the calling thread to CPU @a core. If the operating system
     * refuses (for example, the core does not exist), a warning is logged
     * and the thread keeps its affinity.
     *
     * @throws std::invalid_argument if @a core is negative.
     */
    static void set_affinity(int core);
};

/**
 * Refers to the io_context a stream runs on: a thread pool's, or one the
 * application runs itself. Holding a @c std::shared_ptr to a pool keeps it
 * alive as long as the reference.
 */
class io_context_ref
{
private:
    boost::asio::io_context *io;
    thread_pool *pool_ptr = nullptr;
    std::shared_ptr<thread_pool> pool;

public:
    ///@{

    /// Refer to @a io (which the application runs), to a thread pool's io_context, or to a shared pool's (kept alive).
    io_context_ref(boost::asio::io_context &io) : io(&io) {}
    io_context_ref(thread_pool &pool) : io(&pool.get_io_context()), pool_ptr(&pool) {}
    io_context_ref(std::shared_ptr<thread_pool> pool)
        : io(&pool->get_io_context()), pool_ptr(pool.get()), pool(std::move(pool))
    {
    }
    ///@}

    /// The io_context.
    boost::asio::io_context &get() const noexcept { return *io; }
    /// The thread pool, or null for an io_context the application runs.
    thread_pool *get_pool() const noexcept { return pool_ptr; }
    /// Whether the calling thread is running the io_context's handlers.
    bool running_in_this_thread() const noexcept { return io->get_executor().running_in_this_thread(); }
    ///@{

    /// The io_context, as a pointer would give it.
    boost::asio::io_context &operator*() const noexcept { return *io; }
    boost::asio::io_context *operator->() const noexcept { return io; }
    ///@}
};

/**
 * How a stream (send or receive) belongs to the thread pool it runs on, so
 * that stopping the pool stops the stream: one registration, made once and
 * dropped once, safe against a pool that is stopping on another thread.
 *
 * Thread-safe. The owner calls @ref leave before it stops being able to
 * handle @c on_stop (at the latest first thing in its destructor).
 */
class pool_membership
{
private:
    std::mutex mutex;
    thread_pool::registration registration;
    bool decided = false;  // join or leave has run
    bool member_or_no_pool = false;

public:
    /**
     * Register @a on_stop with the pool behind @a io (if it is a pool).
     * Only the first call registers; every call returns the first one's
     * answer: true if registered or there is no pool (the application runs
     * the io_context itself), false if the pool had already begun to stop
     * or @ref leave came first.
     */
    bool join(const io_context_ref &io, std::function<void()> on_stop);

    /**
     * Unregister, waiting for an @c on_stop call that the pool is making
     * to return. After it, @ref join returns false. Idempotent.
     */
    void leave();
};

}  // namespace lightspead

#endif  // LIGHTSPEAD_COMMON_THREAD_POOL_H
