// Shutdown and lifetime: thread pools, receive streams and send streams
// stopped in any order, from any thread, with sends in flight and readers
// and consumers blocked. Every scenario runs under a deadline: a hang
// aborts the test binary with a message instead of stalling CI.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <random>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>
#include <boost/asio.hpp>
#include <gtest/gtest.h>
#include <lightspead/lightspead.h>

using namespace lightspead;
using boost::asio::ip::make_address;
using namespace std::chrono_literals;

namespace
{

// Run f on another thread; abort the whole binary if it has not finished
// within `limit` (a deadlock is the failure being tested for).
template<typename F>
void within(std::chrono::seconds limit, const char *what, F &&f)
{
    auto done = std::async(std::launch::async, std::forward<F>(f));
    if (done.wait_for(limit) != std::future_status::ready)
    {
        std::fprintf(stderr, "DEADLOCK: %s did not finish within %d s\n", what, int(limit.count()));
        std::fflush(stderr);
        std::abort();
    }
    done.get();
}

boost::asio::ip::udp::endpoint udp_loopback(unsigned short port = 0)
{
    return {make_address("127.0.0.1"), port};
}

// A UDP socket that is bound but never read: a destination that accepts
// packets (no ICMP errors) without a receiver.
struct udp_hole
{
    boost::asio::io_context io;
    boost::asio::ip::udp::socket socket{io, udp_loopback()};
    boost::asio::ip::udp::endpoint endpoint() const { return socket.local_endpoint(); }
};

// Heaps whose send is tracked through promises (of error codes, not
// exceptions: libstdc++'s exception_ptr is invisible to ThreadSanitizer).
struct sends
{
    std::vector<std::uint8_t> data;
    std::vector<std::unique_ptr<send::heap>> heaps;
    std::vector<std::future<boost::system::error_code>> futures;

    explicit sends(std::size_t size) : data(size, 0x5a) {}

    void queue(send::stream &s, int n)
    {
        for (int i = 0; i < n; i++)
        {
            auto h = std::make_unique<send::heap>();
            h->add_item(0x1000, data.data(), data.size(), false);
            auto done = std::make_shared<std::promise<boost::system::error_code>>();
            futures.push_back(done->get_future());
            s.async_send_heap(*h, [done](boost::system::error_code ec, item_pointer_t) { done->set_value(ec); });
            heaps.push_back(std::move(h));
        }
    }

    // Every send completes; returns how many failed with operation_aborted
    // (any other failure fails the test).
    int aborted()
    {
        int n = 0;
        for (auto &f : futures)
        {
            EXPECT_EQ(f.wait_for(10s), std::future_status::ready);
            const auto ec = f.get();
            if (ec)
            {
                EXPECT_EQ(ec, boost::asio::error::operation_aborted) << ec.message();
                n++;
            }
        }
        futures.clear();
        return n;
    }
};

}  // anonymous namespace

TEST(lifetime, pool_stop_stops_receive_stream_with_blocked_reader_and_consumer)
{
    within(30s, "pool stop with a blocked reader and consumer",
           []
           {
               thread_pool pool(2);
               recv::ring_stream rs(pool);
               ASSERT_TRUE(rs.emplace_reader<recv::udp_reader>(udp_loopback()));
               ASSERT_TRUE(
                   rs.emplace_reader<recv::tcp_reader>(boost::asio::ip::tcp::endpoint(make_address("127.0.0.1"), 0)));
               auto consumer = std::async(std::launch::async, [&rs] { EXPECT_THROW(rs.pop(), ringbuffer_stopped); });
               std::this_thread::sleep_for(50ms);
               pool.stop();
               consumer.get();
               // Stopping again, in the other order, is harmless
               rs.stop();
               pool.stop();
               EXPECT_EQ(rs.emplace_reader<recv::udp_reader>(udp_loopback()), nullptr);
           });
}

TEST(lifetime, pool_stop_fails_udp_heaps_in_flight)
{
    within(30s, "pool stop with rate-limited UDP sends in flight",
           []
           {
               udp_hole hole;
               thread_pool pool(1);
               send::stream_config config;
               config.set_rate(1e6);  // 100 heaps of 100 kB would take 10 s
               config.set_max_heaps(100);
               send::udp_stream ss(pool, {hole.endpoint()}, config);
               sends s(100000);
               s.queue(ss, 100);
               std::this_thread::sleep_for(100ms);
               const auto start = std::chrono::steady_clock::now();
               pool.stop();
               EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
               const int aborted = s.aborted();
               EXPECT_GT(aborted, 90);
               EXPECT_LT(aborted, 100);  // the first heap had time to go out
               // Later sends fail at once: nothing runs the stream any more
               s.queue(ss, 1);
               EXPECT_EQ(s.aborted(), 1);
           });
}

TEST(lifetime, pool_stop_fails_tcp_heaps_blocked_on_a_peer_that_does_not_read)
{
    within(30s, "pool stop with a TCP send blocked on a full socket",
           []
           {
               boost::asio::io_context io;
               boost::asio::ip::tcp::acceptor acceptor(io, {make_address("127.0.0.1"), 0});
               thread_pool pool(1);
               send::tcp_stream ss(pool, acceptor.local_endpoint(), send::stream_config(), 65536);
               auto peer = acceptor.accept();  // never reads
               sends s(4 << 20);
               s.queue(ss, 4);
               std::this_thread::sleep_for(200ms);  // the socket fills and the writer waits
               pool.stop();
               EXPECT_EQ(s.aborted(), 4);
           });
}

TEST(lifetime, send_stream_stop_with_heaps_in_flight)
{
    within(30s, "send stream stop",
           []
           {
               udp_hole hole;
               thread_pool pool(1);
               send::stream_config config;
               config.set_rate(1e6);
               config.set_max_heaps(20);
               send::udp_stream ss(pool, {hole.endpoint()}, config);
               sends s(100000);
               s.queue(ss, 20);
               std::this_thread::sleep_for(50ms);
               ss.stop();
               EXPECT_GE(s.aborted(), 18);
               ss.stop();  // idempotent
               s.queue(ss, 1);
               EXPECT_EQ(s.aborted(), 1);
               ss.flush();  // nothing left to wait for
           });
}

TEST(lifetime, send_stream_stop_from_its_own_completion_handler)
{
    within(30s, "send stream stopped from a completion handler",
           []
           {
               udp_hole hole;
               thread_pool pool(1);  // one thread: a wait there would be forever
               send::stream_config config;
               config.set_rate(10e6);
               config.set_max_heaps(10);
               send::udp_stream ss(pool, {hole.endpoint()}, config);
               std::vector<std::uint8_t> data(100000);
               send::heap h;
               h.add_item(0x1000, data.data(), data.size(), false);
               std::promise<void> first;
               std::atomic<int> aborted{0}, completed{0};
               ss.async_send_heap(h,
                                  [&](boost::system::error_code ec, item_pointer_t)
                                  {
                                      EXPECT_FALSE(ec);
                                      ss.stop();
                                      completed++;
                                      first.set_value();
                                  });
               for (int i = 0; i < 5; i++)
                   ss.async_send_heap(h,
                                      [&](boost::system::error_code ec, item_pointer_t)
                                      {
                                          aborted += ec == boost::asio::error::operation_aborted;
                                          completed++;
                                      });
               first.get_future().get();
               ss.flush();
               EXPECT_EQ(completed, 6);
               EXPECT_GE(aborted, 4);
           });
}

TEST(lifetime, receive_stream_stop_from_a_pool_thread)
{
    within(30s, "receive stream stopped from one of its pool's threads",
           []
           {
               thread_pool pool(1);
               recv::ring_stream rs(pool);
               ASSERT_TRUE(rs.emplace_reader<recv::udp_reader>(udp_loopback()));
               auto consumer = std::async(std::launch::async, [&rs] { EXPECT_THROW(rs.pop(), ringbuffer_stopped); });
               std::promise<void> stopped;
               boost::asio::post(pool.get_io_context(),
                                 [&]
                                 {
                                     rs.stop();  // must not wait for the reader: it needs this thread
                                     stopped.set_value();
                                 });
               stopped.get_future().get();
               consumer.get();
           });  // the destructor, on this thread, waits for the reader to finish
}

TEST(lifetime, thread_pool_stop_from_its_own_thread_is_refused)
{
    within(30s, "thread_pool::stop from its own thread",
           []
           {
               thread_pool pool(1);
               std::promise<bool> refused;
               boost::asio::post(pool.get_io_context(),
                                 [&]
                                 {
                                     try
                                     {
                                         pool.stop();
                                         refused.set_value(false);
                                     }
                                     catch (std::logic_error &)
                                     {
                                         refused.set_value(true);
                                     }
                                 });
               EXPECT_TRUE(refused.get_future().get());
           });
}

TEST(lifetime, streams_built_on_a_stopped_pool_are_stopped)
{
    within(30s, "streams on a stopped pool",
           []
           {
               thread_pool pool(1);
               pool.stop();
               EXPECT_TRUE(pool.is_stopped());
               recv::ring_stream rs(pool);
               EXPECT_EQ(rs.emplace_reader<recv::udp_reader>(udp_loopback()), nullptr);
               EXPECT_THROW(rs.pop(), ringbuffer_stopped);
               udp_hole hole;
               send::udp_stream ss(pool, {hole.endpoint()});
               sends s(1000);
               s.queue(ss, 1);
               EXPECT_EQ(s.aborted(), 1);
           });
}

TEST(lifetime, everything_stopped_concurrently_in_random_orders)
{
    // A sender streaming to a receiver over loopback UDP, a consumer
    // popping, then the pool, the receive stream, the send stream and the
    // consumer's stream stopped from four threads at once, in an order that
    // changes from round to round; then destruction.
    std::mt19937 rng(12345);
    for (int round = 0; round < 30; round++)
    {
        within(30s, "concurrent stops",
               [&rng, round]
               {
                   auto pool = std::make_shared<thread_pool>(2);
                   recv::ring_stream_config ring_config;
                   ring_config.set_heaps(2);
                   auto rs = std::make_unique<recv::ring_stream<>>(pool, recv::stream_config(), ring_config);
                   auto *reader = rs->emplace_reader<recv::udp_reader>(udp_loopback());
                   ASSERT_TRUE(reader);
                   send::stream_config config;
                   config.set_max_packet_size(9000);
                   config.set_max_heaps(16);
                   if (round % 2)
                       config.set_rate(200e6);
                   auto ss = std::make_unique<send::udp_stream>(
                       pool, std::vector<boost::asio::ip::udp::endpoint>{reader->get_local_endpoint()}, config);
                   sends s(200000);
                   s.queue(*ss, 16);
                   std::atomic<int> popped{0};
                   auto consumer = std::async(std::launch::async,
                                              [&]
                                              {
                                                  try
                                                  {
                                                      for (;;)
                                                      {
                                                          rs->pop();
                                                          popped++;
                                                          if (round % 3 == 0)
                                                              std::this_thread::sleep_for(
                                                                  1ms);  // a slow consumer: worker blocks
                                                      }
                                                  }
                                                  catch (ringbuffer_stopped &)
                                                  {
                                                  }
                                              });
                   std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
                   std::vector<std::function<void()>> stops{
                       [&] { pool->stop(); },
                       [&] { rs->stop(); },
                       [&] { ss->stop(); },
                       [&] { ss->flush(); },
                   };
                   std::shuffle(stops.begin(), stops.end(), rng);
                   std::vector<std::thread> threads;
                   for (auto &stop : stops)
                       threads.emplace_back(stop);
                   for (auto &t : threads)
                       t.join();
                   consumer.get();
                   s.aborted();  // every heap completed, sent or aborted
                   // Destroy in a changing order too
                   if (round % 2)
                   {
                       ss.reset();
                       rs.reset();
                   }
                   else
                   {
                       rs.reset();
                       ss.reset();
                   }
                   pool.reset();
               });
    }
}
