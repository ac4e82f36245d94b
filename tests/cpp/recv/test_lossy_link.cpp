// Property test: a seeded, in-process lossy link (drops, duplicates,
// truncation, reordering) never corrupts a heap or delivers one twice.
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

namespace
{

// A seeded, in-process lossy link: drops, duplicates, truncates and
// reorders (within a window) the packets of a sequence of heaps.
struct link_settings
{
    double drop = 0, duplicate = 0, truncate = 0;
    std::size_t reorder_window = 1;
};

std::vector<bytes> lossy_link(std::vector<bytes> packets, const link_settings &s, std::mt19937_64 &rng)
{
    std::uniform_real_distribution<double> u(0, 1);
    std::vector<bytes> out;
    for (auto &p : packets)
    {
        if (u(rng) < s.drop)
            continue;
        if (u(rng) < s.truncate)
            p.resize(rng() % p.size());
        out.push_back(p);
        if (u(rng) < s.duplicate)
            out.push_back(p);
    }
    // Shuffle within blocks, so no packet moves by a window or more.
    for (std::size_t start = 0; start < out.size(); start += s.reorder_window)
    {
        const std::size_t end = std::min(out.size(), start + s.reorder_window);
        std::shuffle(out.begin() + start, out.begin() + end, rng);
    }
    return out;
}

}  // anonymous namespace

TEST(recv_property, lossy_link_never_corrupts_or_repeats)
{
    const link_settings profiles[] = {
        {0, 0, 0, 1}, {0.05, 0, 0, 1}, {0, 0.1, 0, 1}, {0, 0, 0.05, 1}, {0, 0, 0, 8}, {0.03, 0.05, 0.02, 6},
    };
    for (int seed = 0; seed < 12; seed++)
        for (bool out_of_order : {false, true})
            for (const auto &profile : profiles)
            {
                std::mt19937_64 rng(seed);
                // Heaps of random sizes and contents, cut into packets
                std::map<s_item_pointer_t, std::pair<bytes, item_pointer_t>> sent;
                std::vector<bytes> packets;
                for (int cnt = 1; cnt <= 40; cnt++)
                {
                    bytes data(rng() % 20000);
                    for (auto &b : data)
                        b = rng();
                    const item_pointer_t value = rng() & 0xffffffffff;
                    sent[cnt] = {data, value};
                    send::heap h;
                    h.add_item(0x1000, value);
                    h.add_item(0x1001, data.data(), data.size(), false);
                    for (auto &p : packets_of(h, cnt, 1472))
                        packets.push_back(std::move(p));
                }
                auto delivered = lossy_link(packets, profile, rng);
                // Feed them as datagrams through an in-process queue
                thread_pool pool;
                recv::stream_config config;
                // Enough slots for every heap a reordering block can interleave,
                // plus the one crossing into the next block
                config.set_allow_out_of_order(out_of_order).set_max_heaps(profile.reorder_window + 2);
                recv::ring_stream_config ring_config;
                ring_config.set_contiguous_only(false).set_heaps(64);
                recv::ring_stream rs(pool, config, ring_config);
                auto queue = std::make_shared<inproc_queue>();
                rs.emplace_reader<recv::inproc_reader>(queue);
                for (auto &p : delivered)
                    queue->push(std::move(p));
                queue->stop();
                std::set<s_item_pointer_t> seen;
                std::size_t complete = 0, incomplete = 0;
                try
                {
                    for (;;)
                    {
                        auto any = rs.pop_any();
                        if (auto *h = std::get_if<recv::heap>(&any))
                        {
                            complete++;
                            ASSERT_TRUE(sent.count(h->get_cnt()));
                            EXPECT_TRUE(seen.insert(h->get_cnt()).second) << "heap delivered twice";
                            const auto &[data, value] = sent[h->get_cnt()];
                            auto *imm = find_item(*h, 0x1000);
                            ASSERT_TRUE(imm);
                            EXPECT_EQ(imm->immediate_value, value);
                            auto *arr = find_item(*h, 0x1001);
                            if (data.empty())
                            {
                                EXPECT_FALSE(arr);
                            }
                            else
                            {
                                ASSERT_TRUE(arr);
                                EXPECT_EQ(item_bytes(*arr), data);
                            }
                        }
                        else
                            incomplete++;
                    }
                }
                catch (ringbuffer_stopped &)
                {
                }
                received r;
                r.take_stats(rs);
                SCOPED_TRACE("seed " + std::to_string(seed) + " out_of_order " + std::to_string(out_of_order));
                expect_counters_add_up(r);
                EXPECT_EQ(r.stat(recv::stat_packets), delivered.size());
                EXPECT_EQ(r.stat(recv::stat_heaps), complete);
                EXPECT_EQ(r.stat(recv::stat_incomplete_heaps_evicted) + r.stat(recv::stat_incomplete_heaps_flushed),
                          incomplete);
                if (profile.drop == 0 && profile.truncate == 0 && (profile.reorder_window == 1 || out_of_order))
                {
                    EXPECT_EQ(complete, sent.size()) << "a clean (or merely reordered) link loses nothing";
                }
            }
}
