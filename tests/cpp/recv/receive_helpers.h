// Helpers of the receive-side tests: run bytes through a stream and
// collect what comes out.
#ifndef LIGHTSPEAD_TESTS_RECEIVE_HELPERS_H
#define LIGHTSPEAD_TESTS_RECEIVE_HELPERS_H

#include <cstdint>
#include <mutex>
#include <string>
#include <variant>
#include <vector>
#include <gtest/gtest.h>
#include <lightspead/lightspead.h>

namespace recv_test
{

using namespace lightspead;
using bytes = std::vector<std::uint8_t>;

// Collects the core's log lines while it lives (or until stop()).
class log_capture
{
private:
    std::mutex m;
    std::vector<std::string> lines;
    log_function old;
    bool active = true;

public:
    log_capture()
        : old(set_log_function(
            [this](log_level, const std::string &msg)
            {
                std::lock_guard<std::mutex> lock(m);
                lines.push_back(msg);
            }))
    {
    }
    ~log_capture() { stop(); }
    log_capture(const log_capture &) = delete;
    log_capture &operator=(const log_capture &) = delete;

    std::vector<std::string> stop()
    {
        if (active)
            set_log_function(old);
        active = false;
        std::lock_guard<std::mutex> lock(m);
        return lines;
    }
};

}  // namespace recv_test

namespace recv_test
{

struct received
{
    std::vector<recv::heap> heaps;
    std::vector<recv::incomplete_heap> incomplete;
    std::vector<std::uint64_t> stats;
    std::vector<std::uint64_t> discards;

    std::uint64_t stat(recv::stat_index i) const { return stats.at(i); }
    std::uint64_t stat(recv::discard_stat_index i) const { return discards.at(i); }

    // Copy the statistics of stream @a s.
    void take_stats(const recv::stream &s)
    {
        stats = s.get_stats().values();
        discards = s.get_discard_stats().values();
    }
};

inline bytes concat(const std::vector<bytes> &packets)
{
    bytes out;
    for (const auto &p : packets)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}

// Feed `buffer` (back-to-back packets) through a mem_reader into a ring
// stream that keeps incomplete heaps too, and collect everything.
inline received receive_buffer(const bytes &buffer, recv::stream_config config = recv::stream_config())
{
    thread_pool pool;
    recv::ring_stream_config ring_config;
    ring_config.set_contiguous_only(false).set_heaps(16).set_incomplete_keep_payload_ranges(true);
    recv::ring_stream s(pool, config, ring_config);
    s.emplace_reader<recv::mem_reader>(buffer.data(), buffer.size());
    received out;
    try
    {
        for (;;)
        {
            auto h = s.pop_any();
            if (auto *complete = std::get_if<recv::heap>(&h))
                out.heaps.push_back(std::move(*complete));
            else
                out.incomplete.push_back(std::move(std::get<recv::incomplete_heap>(h)));
        }
    }
    catch (ringbuffer_stopped &)
    {
    }
    out.take_stats(s);
    return out;
}

inline bytes pattern(std::size_t n, int seed)
{
    bytes out(n);
    for (std::size_t i = 0; i < n; i++)
        out[i] = std::uint8_t(i * 31 + seed);
    return out;
}

inline bytes item_bytes(const recv::item &it)
{
    return bytes(it.ptr, it.ptr + it.length);
}

inline const recv::item *find_item(const recv::heap &h, s_item_pointer_t id)
{
    for (const auto &it : h.get_items())
        if (it.id == id)
            return &it;
    return nullptr;
}

// Every packet must be explained: accepted or discarded for some reason.
inline void expect_counters_add_up(const received &r)
{
    std::uint64_t explained = r.stat(recv::stat_packets_accepted);
    for (std::size_t i = recv::stat_packets_malformed; i <= recv::stat_packets_stale; i++)
        explained += r.discards[i];
    EXPECT_EQ(r.stat(recv::stat_packets), explained);
}

inline send::heap sample_heap(const flavour &f, const bytes &data, const bytes &small)
{
    send::heap h(f);
    h.add_item(0x1000, item_pointer_t(123456));
    h.add_item(0x1001, data.data(), data.size(), false);
    h.add_item(0x1002, small.data(), small.size(), true);
    return h;
}

}  // namespace recv_test

#endif
