#include <cstdlib>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <system_error>
#include <pthread.h>
#include <sched.h>
#include <lightspead/common/logging.h>
#include <lightspead/common/thread_pool.h>

namespace lightspead
{

thread_pool::thread_pool(int num_threads) : thread_pool(num_threads, {})
{
}

thread_pool::thread_pool(int num_threads, const std::vector<int> &affinity)
    : work(boost::asio::make_work_guard(io_context))
{
    if (num_threads < 1)
        throw std::invalid_argument("thread_pool needs at least one thread");
    for (int core : affinity)
        if (core < 0)
            throw std::invalid_argument("CPU core " + std::to_string(core) + " is negative");
    workers.reserve(num_threads);
    try
    {
        for (int i = 0; i < num_threads; i++)
        {
            if (affinity.empty())
                workers.emplace_back([this] { run_worker(); });
            else
            {
                int core = affinity[i % affinity.size()];
                workers.emplace_back(
                    [this, core]
                    {
                        set_affinity(core);
                        run_worker();
                    });
            }
        }
    }
    catch (std::system_error &e)
    {
        // Out of threads (or of address space for their stacks): the
        // threads made so far must end before the pool goes, or their
        // destructors would terminate the process.
        work.reset();
        io_context.stop();
        for (auto &w : workers)
            w.join();
        throw std::system_error(e.code(),
                                "thread_pool could not start thread " + std::to_string(workers.size() + 1) + " of "
                                    + std::to_string(num_threads));
    }
}

void thread_pool::run_worker()
{
    // A handler that throws must not take the whole pool down: log it and
    // keep serving the other streams.
    for (;;)
    {
        try
        {
            io_context.run();
            return;
        }
        catch (std::exception &e)
        {
            log_warning(std::string("unhandled exception in thread pool: ") + e.what());
        }
    }
}

thread_pool::~thread_pool()
{
    if (io_context.get_executor().running_in_this_thread())
    {
        // The io_context would be destroyed under the handler that is
        // running this: there is no way to carry on safely.
        log_warning("a thread_pool was destroyed from one of its own threads; aborting");
        std::abort();
    }
    stop();
}

void thread_pool::stop()
{
    if (io_context.get_executor().running_in_this_thread())
        throw std::logic_error("thread_pool::stop called from one of the pool's own threads");
    std::lock_guard<std::mutex> stop_lock(stop_mutex);
    std::list<std::shared_ptr<user>> to_stop;
    {
        std::lock_guard<std::mutex> lock(users_mutex);
        stopping = true;
        to_stop = users;
    }
    // Not under users_mutex: a stream that is being destroyed meanwhile
    // unregisters (waiting on its own mutex), and stopping a stream may
    // need the threads, which may be registering new users.
    for (auto &u : to_stop)
    {
        std::lock_guard<std::mutex> lock(u->mutex);
        if (u->on_stop)
        {
            auto on_stop = std::move(u->on_stop);
            u->on_stop = nullptr;
            on_stop();
        }
    }
    work.reset();
    for (auto &worker : workers)
        if (worker.joinable())
            worker.join();
    workers.clear();
}

bool thread_pool::is_stopped() const
{
    std::lock_guard<std::mutex> lock(users_mutex);
    return stopping;
}

thread_pool::registration thread_pool::add_user(std::function<void()> on_stop)
{
    std::lock_guard<std::mutex> lock(users_mutex);
    if (stopping)
        return nullptr;
    auto u = std::make_shared<user>();
    u->on_stop = std::move(on_stop);
    auto pos = users.insert(users.end(), u);
    // The deleter runs when the registration goes: it waits for an on_stop
    // call in progress (u->mutex), then leaves the list.
    return registration(u.get(),
                        [this, u, pos](void *)
                        {
                            {
                                std::lock_guard<std::mutex> user_lock(u->mutex);
                                u->on_stop = nullptr;
                            }
                            std::lock_guard<std::mutex> list_lock(users_mutex);
                            users.erase(pos);
                        });
}

void thread_pool::set_affinity(int core)
{
    if (core < 0)
        throw std::invalid_argument("CPU core " + std::to_string(core) + " is negative");
    cpu_set_t set;
    CPU_ZERO(&set);
    if (core >= CPU_SETSIZE)
    {
        log_warning("cannot bind to CPU " + std::to_string(core) + ": beyond CPU_SETSIZE");
        return;
    }
    CPU_SET(core, &set);
    int status = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
    if (status != 0)
        log_warning("cannot bind to CPU " + std::to_string(core) + ": " + std::strerror(status));
}

bool pool_membership::join(const io_context_ref &io, std::function<void()> on_stop)
{
    std::lock_guard<std::mutex> lock(mutex);
    if (decided)
        return member_or_no_pool;
    decided = true;
    if (thread_pool *pool = io.get_pool())
        registration = pool->add_user(std::move(on_stop));
    member_or_no_pool = registration || !io.get_pool();
    return member_or_no_pool;
}

void pool_membership::leave()
{
    thread_pool::registration dropped;
    {
        std::lock_guard<std::mutex> lock(mutex);
        dropped = std::move(registration);
        member_or_no_pool = false;
        decided = true;
    }
    dropped.reset();  // outside the lock: waits for a stop the pool is making
}

}  // namespace lightspead
