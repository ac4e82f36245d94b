// The thread pool: arguments, pinning and affinity failures.
#include <future>
#include <string>
#include <thread>
#include <utility>  // before Boost 1.74's asio, which forgets it in C++20 mode
#include <sched.h>
#include <boost/asio.hpp>
#include <gtest/gtest.h>
#include <lightspead/lightspead.h>

using namespace lightspead;

TEST(thread_pool, rejects_invalid_arguments)
{
    EXPECT_THROW(thread_pool(0), std::invalid_argument);
    EXPECT_THROW(thread_pool(1, {-1}), std::invalid_argument);
    EXPECT_THROW(thread_pool::set_affinity(-1), std::invalid_argument);
}

TEST(thread_pool, runs_work_on_pinned_threads)
{
    thread_pool pool(2, {0});
    std::promise<int> p;
    boost::asio::post(pool.get_io_context(), [&p] { p.set_value(sched_getcpu()); });
    EXPECT_EQ(p.get_future().get(), 0);
    pool.stop();
    pool.stop();  // idempotent
}

TEST(thread_pool, impossible_affinity_only_warns)
{
    std::string logged;
    auto old = set_log_function([&](log_level, const std::string &msg) { logged = msg; });
    std::thread t([] { thread_pool::set_affinity(100000); });
    t.join();
    set_log_function(old);
    EXPECT_NE(logged.find("100000"), std::string::npos);
}
