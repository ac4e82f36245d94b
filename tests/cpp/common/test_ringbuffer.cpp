// The bounded queue between network threads and consumers.
#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <gtest/gtest.h>
#include <lightspead/common/ringbuffer.h>

using namespace lightspead;

TEST(ringbuffer, bounded_fifo_without_waiting)
{
    EXPECT_THROW(ringbuffer<int>(0), std::invalid_argument);
    ringbuffer<int> rb(2);
    EXPECT_THROW(rb.try_pop(), ringbuffer_empty);
    rb.try_push(1);
    rb.emplace(2);
    EXPECT_THROW(rb.try_push(3), ringbuffer_full);
    EXPECT_THROW(rb.try_emplace(3), ringbuffer_full);
    EXPECT_EQ(rb.size(), 2u);
    EXPECT_EQ(rb.capacity(), 2u);
    EXPECT_EQ(rb.try_pop(), 1);
    EXPECT_EQ(rb.pop(), 2);
}

TEST(ringbuffer, emplace_constructs_from_arguments)
{
    ringbuffer<std::string> rb(2);
    rb.emplace(3, 'x');
    rb.try_emplace("ab");
    EXPECT_EQ(rb.pop(), "xxx");
    EXPECT_EQ(rb.pop(), "ab");
}

TEST(ringbuffer, stop_drains_then_reports_stopped)
{
    ringbuffer<int> rb(4);
    rb.push(7);
    EXPECT_TRUE(rb.stop());
    EXPECT_FALSE(rb.stop());  // already stopped
    EXPECT_TRUE(rb.is_stopped());
    EXPECT_THROW(rb.try_push(1), ringbuffer_stopped);
    EXPECT_THROW(rb.emplace(1), ringbuffer_stopped);
    EXPECT_EQ(rb.pop(), 7);
    EXPECT_THROW(rb.pop(), ringbuffer_stopped);
    EXPECT_THROW(rb.try_pop(), ringbuffer_stopped);
}

TEST(ringbuffer, stop_wakes_a_waiting_consumer)
{
    ringbuffer<int> rb(1);
    auto waiting = std::async(std::launch::async, [&rb] { return rb.pop(); });
    EXPECT_EQ(waiting.wait_for(std::chrono::milliseconds(20)), std::future_status::timeout);
    rb.stop();
    EXPECT_THROW(waiting.get(), ringbuffer_stopped);
}

TEST(ringbuffer, last_producer_to_leave_stops_it)
{
    ringbuffer<int> rb(4);
    EXPECT_THROW(rb.remove_producer(), std::logic_error);
    rb.add_producer();
    rb.add_producer();
    rb.push(1);
    EXPECT_FALSE(rb.remove_producer());
    EXPECT_FALSE(rb.is_stopped());
    rb.push(2);
    EXPECT_TRUE(rb.remove_producer());
    EXPECT_TRUE(rb.is_stopped());
    EXPECT_EQ(rb.pop(), 1);
    EXPECT_EQ(rb.pop(), 2);
    EXPECT_THROW(rb.pop(), ringbuffer_stopped);
}
