/**
 * @file
 * A Boost.Asio io_context with its own worker threads, optionally pinned to
 * CPU cores. Streams do their I/O on a thread pool's threads.
 */
#ifndef LIGHTSPEAD_COMMON_THREAD_POOL_H
#define LIGHTSPEAD_COMMON_THREAD_POOL_H

#include <memory>
#include <optional>
#include <thread>
#include <vector>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace lightspead
{

/**
 * An io_context run by @c num_threads threads.
 *
 * Streams that use the pool must be destroyed (or, for receive streams,
 * stopped) before the pool is: their destructors wait for the pool's
 * threads to finish their work.
 */
class thread_pool
{
private:
    boost::asio::io_context io_context;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work;
    std::vector<std::thread> workers;

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
     * Let the threads finish the work queued so far, then join them.
     * Idempotent; call it from outside the pool's own threads.
     */
    void stop();

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
    std::shared_ptr<thread_pool> pool;

public:
    io_context_ref(boost::asio::io_context &io) : io(&io) {}
    io_context_ref(thread_pool &pool) : io(&pool.get_io_context()) {}
    io_context_ref(std::shared_ptr<thread_pool> pool)
        : io(&pool->get_io_context()), pool(std::move(pool)) {}

    boost::asio::io_context &get() const noexcept { return *io; }
    boost::asio::io_context &operator*() const noexcept { return *io; }
    boost::asio::io_context *operator->() const noexcept { return io; }
};

} // namespace lightspead

#endif // LIGHTSPEAD_COMMON_THREAD_POOL_H
