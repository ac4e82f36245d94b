#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
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
    for (int i = 0; i < num_threads; i++)
    {
        if (affinity.empty())
            workers.emplace_back([this] { run_worker(); });
        else
        {
            int core = affinity[i % affinity.size()];
            workers.emplace_back([this, core] {
                set_affinity(core);
                run_worker();
            });
        }
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
    stop();
}

void thread_pool::stop()
{
    work.reset();
    for (auto &worker : workers)
        if (worker.joinable())
            worker.join();
    workers.clear();
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

} // namespace lightspead
