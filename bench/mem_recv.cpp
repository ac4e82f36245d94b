// Decode-from-memory benchmark: a buffer holding the packets of 1 GiB of
// heaps (cut as the tutorial sender cuts them) is fed through a mem_reader
// into a ring stream whose heaps come from a pre-touched memory pool.
// Measures the receive path alone, with no network.
//
// Usage: mem_recv [-H heap-size] [-n heaps] [-p packet-size] [-r runs]
// Prints one "N MB/s" line per run (payload bytes per second).

#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>
#include <unistd.h>
#include <boost/asio.hpp>
#include <lightspead/lightspead.h>
#include "vector_buf.h"

int main(int argc, char *const argv[])
{
    std::int64_t heap_size = 64 << 20;
    int n_heaps = 16;
    int packet_size = 9000;
    int runs = 1;
    int opt;
    while ((opt = getopt(argc, argv, "H:n:p:r:")) != -1)
    {
        switch (opt)
        {
        case 'H':
            heap_size = std::stoll(optarg);
            break;
        case 'n':
            n_heaps = std::stoi(optarg);
            break;
        case 'p':
            packet_size = std::stoi(optarg);
            break;
        case 'r':
            runs = std::stoi(optarg);
            break;
        default:
            std::cerr << "Usage: " << argv[0] << " [-H heap-size] [-n heaps] [-p packet-size] [-r runs]\n";
            return 2;
        }
    }

    // Build the packets once
    vector_buf buf;
    {
        lightspead::thread_pool pool;
        lightspead::send::stream_config config;
        config.set_max_packet_size(packet_size);
        lightspead::send::streambuf_stream stream(pool, buf, config);
        std::vector<std::int8_t> samples(heap_size);
        for (int i = 0; i < n_heaps; i++)
        {
            std::fill(samples.begin(), samples.end(), i);
            lightspead::send::heap heap;
            heap.add_item(0x1600, std::int64_t(i) * heap_size);
            heap.add_item(0x3300, samples.data(), samples.size(), true);
            stream.async_send_heap(heap, boost::asio::use_future).get();
        }
    }

    for (int run = 0; run < runs; run++)
    {
        lightspead::thread_pool pool;
        lightspead::recv::stream_config config;
        config.set_max_heaps(2);
        lightspead::recv::ring_stream_config ring_config;
        ring_config.set_heaps(2);
        const int pool_heaps = config.get_max_heaps() + ring_config.get_heaps() + 1;
        config.set_memory_allocator(
            std::make_shared<lightspead::memory_pool>(0, heap_size + 8192, pool_heaps, pool_heaps));
        lightspead::recv::ring_stream stream(pool, config, ring_config);
        auto start = std::chrono::steady_clock::now();
        stream.emplace_reader<lightspead::recv::mem_reader>(buf.data.data(), buf.data.size());
        std::int64_t received = 0;
        for (const auto &heap : stream)
        {
            for (const auto &item : heap.get_items())
                if (item.id == 0x3300)
                    received += item.length;
        }
        std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
        if (received != heap_size * n_heaps)
        {
            std::cerr << "received " << received << " bytes, expected " << heap_size * n_heaps << '\n';
            return 1;
        }
        std::cout << received / elapsed.count() / 1e6 << " MB/s\n";
    }
    return 0;
}
