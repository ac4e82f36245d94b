// Hostile input against the memory bound: packets for many heaps, each
// declaring a heap length (some far beyond max_heap_size), each heap filled
// except for its last byte so that it never completes and every page of
// it is touched. The process's peak RSS while receiving must stay within
// max_heaps x substreams x max_heap_size (plus a fixed allowance).
//
// Exit status 0 on success; prints the measured figures.

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <utility>
#include <vector>
#include <boost/asio.hpp>
#include <lightspead/lightspead.h>

using namespace lightspead;

namespace
{

// Peak resident set size of this process so far, in bytes (VmHWM).
std::size_t peak_rss()
{
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmHWM:", 0) == 0)
            return std::stoull(line.substr(6)) * 1024;
    return 0;
}

void put(std::vector<std::uint8_t> &out, item_pointer_t value)
{
    for (int k = 7; k >= 0; k--)
        out.push_back(std::uint8_t(value >> (8 * k)));
}

void add_packet(std::vector<std::uint8_t> &out, item_pointer_t cnt, item_pointer_t heap_length, item_pointer_t offset,
                std::size_t length)
{
    const pointer_codec codec(40);
    const std::uint8_t header[8] = {0x53, 4, 3, 5, 0, 0, 0, 4};
    out.insert(out.end(), header, header + 8);
    put(out, codec.encode_immediate(HEAP_CNT_ID, cnt));
    put(out, codec.encode_immediate(HEAP_LENGTH_ID, heap_length));
    put(out, codec.encode_immediate(PAYLOAD_OFFSET_ID, offset));
    put(out, codec.encode_immediate(PAYLOAD_LENGTH_ID, length));
    out.insert(out.end(), length, std::uint8_t(cnt));
}

}  // anonymous namespace

int main()
{
    constexpr std::size_t max_heap_size = 8 << 20;
    constexpr std::size_t max_heaps = 4, substreams = 2;
    constexpr std::size_t bound = max_heaps * substreams * max_heap_size;
    constexpr std::size_t allowance = 48 << 20;  // code, thread stacks, allocator slack
    constexpr std::size_t chunk = 65000;

    std::vector<std::uint8_t> buffer;
    buffer.reserve(41 * (max_heap_size + max_heap_size / chunk * 48 + 2048));
    for (item_pointer_t cnt = 1; cnt <= 40; cnt++)
    {
        // A packet claiming a 512 GiB heap: refused before any allocation
        add_packet(buffer, 1000 + cnt, item_pointer_t(1) << 39, 0, 1000);
        // A heap at the limit, filled all but its last byte
        for (item_pointer_t offset = 0; offset + 1 < max_heap_size; offset += chunk)
            add_packet(buffer, cnt, max_heap_size, offset, std::min<std::size_t>(chunk, max_heap_size - 1 - offset));
    }
    // Start the peak from here: building the buffer had its own peak.
    {
        std::ofstream clear("/proc/self/clear_refs");
        clear << "5";
    }
    const std::size_t baseline = peak_rss();

    std::size_t evicted = 0, too_large = 0, heaps = 0;
    {
        thread_pool pool;
        recv::stream_config config;
        config.set_max_heap_size(max_heap_size).set_max_heaps(max_heaps).set_substreams(substreams);
        recv::ring_stream stream(pool, config);
        stream.emplace_reader<recv::mem_reader>(buffer.data(), buffer.size());
        for (const auto &heap : stream)
            heaps += heap.get_cnt() > 0;
        const auto stats = stream.get_stats();
        evicted = stats["incomplete_heaps_evicted"] + stats["incomplete_heaps_flushed"];
        too_large = stream.get_discard_stats()["packets_heap_too_large"];
    }
    const std::size_t growth = peak_rss() - baseline;
    std::printf("peak RSS growth %.1f MiB; bound %.1f MiB + allowance %.1f MiB; "
                "%zu heaps, %zu incomplete, %zu packets refused as too large\n",
                growth / 1048576.0, bound / 1048576.0, allowance / 1048576.0, heaps, evicted, too_large);
    bool ok = true;
    if (growth > bound + allowance)
    {
        std::printf("FAIL: peak RSS grew beyond the bound\n");
        ok = false;
    }
    if (heaps != 0 || evicted != 40 || too_large != 40)
    {
        std::printf("FAIL: expected 0 heaps, 40 incomplete and 40 refused\n");
        ok = false;
    }
    return ok ? 0 : 1;
}
