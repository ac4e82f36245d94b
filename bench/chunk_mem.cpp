// Chunk-receive-from-memory benchmark: the packets of many small heaps are
// fed through a mem_reader into a chunk ring stream that places them into
// large pre-faulted chunks (as tutorial 12 does). Measures the chunk
// receive path alone, with no network.
//
// Usage: chunk_mem [-H heap-size] [-c heaps-per-chunk] [-n chunks] [-p packet-size] [-r runs]
// Prints one "N MB/s" line per run (payload bytes per second).

#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <numeric>
#include <string>
#include <utility>
#include <vector>
#include <sys/mman.h>
#include <unistd.h>
#include <boost/asio.hpp>
#include <lightspead/lightspead.h>
#include "vector_buf.h"

int main(int argc, char *const argv[])
{
    std::int64_t heap_size = 8192;
    std::int64_t chunk_heaps = 8192;
    int n_chunks = 8;
    int packet_size = 9000;
    int runs = 1;
    int opt;
    while ((opt = getopt(argc, argv, "H:c:n:p:r:")) != -1)
    {
        switch (opt)
        {
        case 'H':
            heap_size = std::stoll(optarg);
            break;
        case 'c':
            chunk_heaps = std::stoll(optarg);
            break;
        case 'n':
            n_chunks = std::stoi(optarg);
            break;
        case 'p':
            packet_size = std::stoi(optarg);
            break;
        case 'r':
            runs = std::stoi(optarg);
            break;
        default:
            std::cerr << "Usage: " << argv[0]
                      << " [-H heap-size] [-c heaps-per-chunk] [-n chunks] [-p packet-size] [-r runs]\n";
            return 2;
        }
    }
    const std::int64_t chunk_size = heap_size * chunk_heaps;
    const std::int64_t n_heaps = chunk_heaps * n_chunks;

    // Build the packets once: a timestamp item and heap_size bytes of samples per heap
    vector_buf buf;
    {
        lightspead::thread_pool pool;
        lightspead::send::stream_config config;
        config.set_max_packet_size(packet_size);
        lightspead::send::streambuf_stream stream(pool, buf, config);
        std::vector<std::int8_t> samples(heap_size, 1);
        for (std::int64_t i = 0; i < n_heaps; i++)
        {
            lightspead::send::heap heap;
            heap.add_item(0x1600, i * heap_size);
            heap.add_item(0x3300, samples.data(), samples.size(), true);
            stream.async_send_heap(heap, boost::asio::use_future).get();
        }
    }

    for (int run = 0; run < runs; run++)
    {
        lightspead::thread_pool pool;
        lightspead::recv::stream_config config;
        config.set_max_heaps(4);
        lightspead::recv::chunk_stream_config chunk_config;
        chunk_config.set_items({lightspead::HEAP_LENGTH_ID, 0x1600}).set_max_chunks(2);
        chunk_config.set_place(
            [heap_size, chunk_size](lightspead::recv::chunk_place_data *data, std::size_t)
            {
                const std::int64_t length = data->items[0], timestamp = data->items[1];
                if (timestamp < 0 || length != heap_size)
                    return;
                data->chunk_id = timestamp / chunk_size;
                data->heap_offset = timestamp % chunk_size;
                data->heap_index = data->heap_offset / heap_size;
            });
        using ringbuffer = lightspead::ringbuffer<std::unique_ptr<lightspead::recv::chunk>>;
        auto data_ring = std::make_shared<ringbuffer>(4);
        auto free_ring = std::make_shared<ringbuffer>(4);
        lightspead::recv::chunk_ring_stream stream(pool, config, chunk_config, data_ring, free_ring);
        auto allocator = std::make_shared<lightspead::mmap_allocator>(MAP_POPULATE);
        for (int i = 0; i < 4; i++)
        {
            auto chunk = std::make_unique<lightspead::recv::chunk>();
            chunk->present = allocator->allocate(chunk_heaps);
            chunk->present_size = chunk_heaps;
            chunk->data = allocator->allocate(chunk_size);
            stream.add_free_chunk(std::move(chunk));
        }
        auto start = std::chrono::steady_clock::now();
        stream.emplace_reader<lightspead::recv::mem_reader>(buf.data.data(), buf.data.size());
        std::int64_t received = 0;
        for (std::unique_ptr<lightspead::recv::chunk> chunk : *data_ring)
        {
            received += std::accumulate(chunk->present.get(), chunk->present.get() + chunk_heaps, std::int64_t(0));
            stream.add_free_chunk(std::move(chunk));
        }
        std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
        if (received != n_heaps)
        {
            std::cerr << "received " << received << " heaps, expected " << n_heaps << '\n';
            return 1;
        }
        std::cout << received * heap_size / elapsed.count() / 1e6 << " MB/s\n";
    }
    return 0;
}
