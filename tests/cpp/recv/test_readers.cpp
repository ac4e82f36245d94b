// Receive readers on their own: in-process and UDP round trips, stopping
// a waiting reader, and kernel drop counts.
#include <algorithm>
#include <map>
#include <mutex>
#include <numeric>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>
#include <boost/asio.hpp>
#include <gtest/gtest.h>
#include <lightspead/lightspead.h>
#include "heap_packets.h"
#include "recv/receive_helpers.h"
#include "wire.h"

using namespace lightspead;
using bytes = std::vector<std::uint8_t>;
using namespace recv_test;

TEST(recv_stream, inproc_round_trip)
{
    thread_pool pool(2);
    auto queue = std::make_shared<inproc_queue>();
    recv::ring_stream rs(pool);
    rs.emplace_reader<recv::inproc_reader>(queue);
    send::inproc_stream ss(pool, {queue});
    std::vector<bytes> sent;
    for (int i = 0; i < 20; i++)
        sent.push_back(pattern(10000 + i, i));
    for (int i = 0; i < 20; i++)
    {
        send::heap h;
        h.add_item(0x1000, item_pointer_t(i));
        h.add_item(0x1001, sent[i].data(), sent[i].size(), false);
        ss.async_send_heap(h, boost::asio::use_future).get();
    }
    send::heap end;
    end.add_end();
    ss.async_send_heap(end, boost::asio::use_future).get();
    int i = 0;
    for (const auto &heap : rs)
    {
        ASSERT_LT(i, 20);
        EXPECT_EQ(find_item(heap, 0x1000)->immediate_value, item_pointer_t(i));
        EXPECT_EQ(item_bytes(*find_item(heap, 0x1001)), sent[i]);
        i++;
    }
    EXPECT_EQ(i, 20);
}

TEST(recv_stream, udp_round_trip)
{
    thread_pool pool(2);
    recv::ring_stream rs(pool);
    rs.emplace_reader<recv::udp_reader>(
        boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 8891));
    send::stream_config config;
    config.set_max_packet_size(9000).set_rate(100e6);
    send::udp_stream ss(pool, {boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 8891)},
                        config);
    std::vector<bytes> sent;
    for (int i = 0; i < 10; i++)
        sent.push_back(pattern(200000 + i, i));
    for (int i = 0; i < 10; i++)
    {
        send::heap h;
        h.add_item(0x1001, sent[i].data(), sent[i].size(), false);
        ss.async_send_heap(h, boost::asio::use_future).get();
    }
    send::heap end;
    end.add_end();
    ss.async_send_heap(end, boost::asio::use_future).get();
    int i = 0;
    for (const auto &heap : rs)
    {
        ASSERT_LT(i, 10);
        EXPECT_EQ(item_bytes(*find_item(heap, 0x1001)), sent[i]);
        i++;
    }
    EXPECT_EQ(i, 10);
    EXPECT_EQ(rs.get_stats()["heaps"], 10u);
}

TEST(recv_stream, stop_while_reader_waits)
{
    thread_pool pool;
    auto r = std::make_unique<recv::ring_stream<>>(pool);
    r->emplace_reader<recv::udp_reader>(boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    auto queue = std::make_shared<inproc_queue>();
    r->emplace_reader<recv::inproc_reader>(queue);
    r->stop();
    EXPECT_THROW(r->pop(), ringbuffer_stopped);
    r.reset();  // destruction after stop is clean
}

TEST(recv_stream, kernel_drops_are_counted)
{
    // A small socket buffer and a consumer that does not consume: the
    // network thread blocks on the full ringbuffer, the socket fills and
    // the kernel drops datagrams, which the stream must report.
    thread_pool pool(2);
    recv::ring_stream_config ring_config;
    ring_config.set_heaps(1);
    recv::ring_stream rs(pool, recv::stream_config(), ring_config);
    auto *reader = rs.emplace_reader<recv::udp_reader>(
        boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0),
        recv::udp_reader::default_max_size, 256 * 1024);
    ASSERT_TRUE(reader);
    send::stream_config config;
    config.set_max_packet_size(9000);
    send::udp_stream ss(pool, {reader->get_local_endpoint()}, config);
    auto data = pattern(200000, 13);
    for (int i = 0; i < 40; i++)
    {
        send::heap h;
        h.add_item(0x1000, data.data(), data.size(), false);
        ss.async_send_heap(h, boost::asio::use_future).get();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    // Consume what got through (the stop heap may have been dropped too):
    // whole heaps are lost, but every heap that arrives is intact.
    std::size_t heaps = 0;
    auto check = [&](const recv::heap &h)
    {
        heaps++;
        ASSERT_EQ(h.get_items().size(), 1u);
        EXPECT_EQ(item_bytes(h.get_items()[0]), data);
    };
    for (;;)
    {
        try
        {
            check(rs.try_pop());
        }
        catch (ringbuffer_empty &)
        {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            try
            {
                check(rs.try_pop());
            }
            catch (ringbuffer_empty &)
            {
                break;
            }
        }
    }
    rs.stop();
    const auto stats = rs.get_stats();
    EXPECT_GT(rs.get_discard_stats()["kernel_dropped"], 0u);
    EXPECT_LT(heaps, 40u);
    EXPECT_GE(stats["worker_blocked"], 1u);
}
