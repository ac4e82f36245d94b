// Receive statistics: the stream_stats container (by name and index,
// combining snapshots), custom statistics in the config, and reading
// statistics while the network thread waits for a slow consumer.
#include <chrono>
#include <future>
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
using namespace recv_test;

namespace
{

recv::stream_stats stats_with(const recv::stream_config &config)
{
    std::vector<std::uint64_t> zero(config.get_stats().size(), 0);
    return recv::stream_stats(std::make_shared<const std::vector<recv::stream_stat_config>>(config.get_stats()), zero);
}

}  // anonymous namespace

TEST(recv_stats, custom_statistics_in_config)
{
    recv::stream_config config;
    const std::size_t base = config.next_stat_index();
    EXPECT_EQ(base, recv::stat_standard_count);
    EXPECT_EQ(config.add_stat("counter"), base);
    EXPECT_EQ(config.add_stat("largest", recv::stream_stat_config::mode::MAXIMUM), base + 1);
    EXPECT_EQ(config.next_stat_index(), base + 2);
    EXPECT_EQ(config.get_stat_index("largest"), base + 1);
    EXPECT_THROW(config.get_stat_index("nothing"), std::out_of_range);
    EXPECT_THROW(config.add_stat("heaps"), std::invalid_argument);
    EXPECT_EQ(config.get_stats()[base + 1],
              recv::stream_stat_config("largest", recv::stream_stat_config::mode::MAXIMUM));
}

TEST(recv_stats, standard_statistics_are_spead2s_and_discards_are_apart)
{
    const std::vector<std::string> spead2_names{"heaps",
                                                "incomplete_heaps_evicted",
                                                "incomplete_heaps_flushed",
                                                "packets",
                                                "batches",
                                                "max_batch",
                                                "single_packet_heaps",
                                                "search_dist",
                                                "worker_blocked"};
    std::vector<std::string> names;
    const recv::stream_config config;
    for (const auto &s : config.get_stats())
        names.push_back(s.get_name());
    EXPECT_EQ(names, spead2_names);
    thread_pool pool;
    recv::ring_stream rs(pool);
    const auto discards = rs.get_discard_stats();
    ASSERT_EQ(discards.size(), recv::discard_stat_count);
    EXPECT_EQ(discards.get_config()[recv::stat_packets_malformed].get_name(), "packets_malformed");
    EXPECT_EQ(discards.get_config()[recv::stat_kernel_dropped].get_name(), "kernel_dropped");
    for (const auto &[name, value] : discards)
        EXPECT_EQ(value, 0u) << name;
    // Snapshots of two streams add up
    EXPECT_EQ((discards + rs.get_discard_stats()).size(), recv::discard_stat_count);
}

TEST(recv_stats, stream_id_is_stored)
{
    recv::stream_config config;
    EXPECT_EQ(config.get_stream_id(), 0u);
    EXPECT_EQ(config.set_stream_id(123).get_stream_id(), 123u);
}

TEST(recv_stats, container_by_name_and_index)
{
    recv::stream_config config;
    config.add_stat("largest", recv::stream_stat_config::mode::MAXIMUM);
    auto s = stats_with(config);
    s["heaps"] = 10;
    s[recv::stat_packets] = 20;
    s["largest"] = 7;
    EXPECT_EQ(s[recv::stat_heaps], 10u);
    EXPECT_EQ(s["packets"], 20u);
    EXPECT_TRUE(s.contains("largest"));
    EXPECT_FALSE(s.contains("nothing"));
    EXPECT_THROW(s["nothing"], std::out_of_range);
    EXPECT_THROW(s.at(1000), std::out_of_range);
    EXPECT_THROW(s.at("nothing"), std::out_of_range);
    std::uint64_t total = 0;
    for (const auto &[name, value] : s)
        total += value;
    EXPECT_EQ(total, 37u);
}

TEST(recv_stats, container_as_spead2_has_it)
{
    recv::stream_config config;
    config.add_stat("largest", recv::stream_stat_config::mode::MAXIMUM);
    auto s = stats_with(config);
    // spead2's named members and index constants
    s.heaps = 5;
    s.worker_blocked += 2;
    EXPECT_EQ(s[recv::stream_stat_indices::heaps], 5u);
    EXPECT_EQ(s.at(recv::stream_stat_indices::worker_blocked), 2u);
    EXPECT_EQ(config.get_stat_index("largest"), recv::stream_stat_indices::custom);
    // Map-like: find, count, iteration as (name, value), writes through
    EXPECT_EQ(s.count("largest"), 1u);
    EXPECT_EQ(s.count("nothing"), 0u);
    EXPECT_EQ(s.find("nothing"), s.end());
    auto it = s.find("largest");
    ASSERT_NE(it, s.end());
    EXPECT_EQ(it->first, "largest");
    (*it).second = 42;
    EXPECT_EQ(s["largest"], 42u);
    EXPECT_EQ(s.end() - s.begin(), std::ptrdiff_t(s.size()));
    EXPECT_EQ((*s.rbegin()).first, "largest");
    EXPECT_EQ(s.begin()[recv::stat_packets].first, "packets");
    EXPECT_FALSE(s.empty());
    const auto &cs = s;
    recv::stream_stats::const_iterator cit = s.begin();  // mutable converts to const
    EXPECT_EQ(cit, cs.cbegin());
    EXPECT_EQ(cs.find("heaps")->second, 5u);
    // Copies and assignments keep the named members on their own values
    recv::stream_stats copy = s;
    copy.heaps = 100;
    EXPECT_EQ(s.heaps, 5u);
    EXPECT_EQ(copy["heaps"], 100u);
    recv::stream_stats other;  // the standard statistics only: fewer values
    other = copy;
    EXPECT_EQ(other.size(), copy.size());
    EXPECT_EQ(other.heaps, 100u);
    other.heaps = 7;
    EXPECT_EQ(other["heaps"], 7u);
    EXPECT_EQ(copy.heaps, 100u);
    recv::stream_stats moved = std::move(other);
    EXPECT_EQ(moved.heaps, 7u);
    EXPECT_EQ(moved["largest"], 42u);
    EXPECT_THROW(recv::stream_stats(std::make_shared<const std::vector<recv::stream_stat_config>>(config.get_stats()),
                                    std::vector<std::uint64_t>(3, 0)),
                 std::invalid_argument);
}

TEST(recv_stats, combine_by_mode)
{
    recv::stream_config config;
    config.add_stat("largest", recv::stream_stat_config::mode::MAXIMUM);
    auto a = stats_with(config), b = stats_with(config);
    a["heaps"] = 1;
    b["heaps"] = 2;
    a["max_batch"] = 9;
    b["max_batch"] = 4;
    a["largest"] = 3;
    b["largest"] = 30;
    auto sum = a + b;
    EXPECT_EQ(sum["heaps"], 3u);
    EXPECT_EQ(sum["max_batch"], 9u);
    EXPECT_EQ(sum["largest"], 30u);
    a += b;
    EXPECT_EQ(a["heaps"], 3u);
    EXPECT_EQ(a["largest"], 30u);
    recv::stream_stats standard;
    EXPECT_THROW(standard + a, std::invalid_argument);
    EXPECT_THROW(a += standard, std::invalid_argument);
}

// The network thread blocks on a full ringbuffer holding the stream's lock;
// get_stats must still answer, and already show worker_blocked.
TEST(recv_stats, readable_while_worker_blocked)
{
    auto data = pattern(100, 1);
    send::heap h;
    h.add_item(0x1000, data.data(), data.size(), false);
    bytes buffer;
    for (int i = 1; i <= 10; i++)
    {
        auto p = concat(packets_of(h, i, 1472));
        buffer.insert(buffer.end(), p.begin(), p.end());
    }
    thread_pool pool;
    recv::ring_stream_config ring_config;
    ring_config.set_heaps(4);
    recv::ring_stream s(pool, recv::stream_config(), ring_config);
    s.emplace_reader<recv::mem_reader>(buffer.data(), buffer.size());
    auto blocked = std::async(std::launch::async,
                              [&s]
                              {
                                  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
                                  while (s.get_stats()[recv::stat_worker_blocked] == 0)
                                  {
                                      if (std::chrono::steady_clock::now() > deadline)
                                          return false;
                                      std::this_thread::sleep_for(std::chrono::milliseconds(1));
                                  }
                                  return true;
                              });
    if (blocked.wait_for(std::chrono::seconds(20)) != std::future_status::ready)
    {
        s.stop();  // releases the worker, and so the waiting get_stats
        FAIL() << "get_stats waited for the blocked network thread";
    }
    EXPECT_TRUE(blocked.get());
    EXPECT_EQ(s.get_stats()[recv::stat_worker_blocked], 1u);
    s.stop();
    EXPECT_EQ(s.get_stats()[recv::stat_heaps], 10u);
}
