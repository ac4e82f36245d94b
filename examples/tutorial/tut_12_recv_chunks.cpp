// Tutorial 12: receiving heaps straight into large chunks. A place callback
// maps each heap, by its timestamp, to a chunk and an offset in it; the
// stream writes the samples there (no heap objects, no copy per heap) and
// marks which heaps arrived. Chunks cycle between the stream and this
// program through two ringbuffers.
//
// Usage: tut_12_recv_chunks [-H heap-size] port

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <memory>
#include <numeric>
#include <string>
#include <utility>
#include <sys/mman.h>
#include <unistd.h>
#include <boost/asio.hpp>
#include <lightspead/lightspead.h>

static void usage(const char *name)
{
    std::cerr << "Usage: " << name << " [-H heap-size] port\n";
}

#if defined(__GNUC__) && defined(__x86_64__)
// Vectorise this loop with AVX2 (remove the attribute on CPUs without it)
[[gnu::target("avx2")]]
#endif
// Mean of the squared samples of the heaps that arrived.
static double mean_power(const std::int8_t *samples, const std::uint8_t *present, std::size_t heap_size,
                         std::size_t heaps)
{
    std::int64_t sum = 0;
    std::size_t n = 0;
    for (std::size_t h = 0; h < heaps; h++)
    {
        if (!present[h])
            continue;
        for (std::size_t i = 0; i < heap_size; i++)
        {
            const std::int64_t s = samples[h * heap_size + i];
            sum += s * s;
        }
        n += heap_size;
    }
    return double(sum) / n;
}

int main(int argc, char *const argv[])
{
    int opt;
    std::int64_t heap_size = 1024 * 1024;
    while ((opt = getopt(argc, argv, "H:")) != -1)
    {
        switch (opt)
        {
        case 'H':
            heap_size = std::stoll(optarg);
            break;
        default:
            usage(argv[0]);
            return 2;
        }
    }
    if (argc - optind != 1 || heap_size <= 0)
    {
        usage(argv[0]);
        return 2;
    }
    // About 1 MiB per chunk, a whole number of heaps.
    const std::int64_t chunk_heaps = std::max<std::int64_t>(1, 1024 * 1024 / heap_size);
    const std::int64_t chunk_size = chunk_heaps * heap_size;

    lightspead::thread_pool thread_pool;
    lightspead::recv::stream_config config;
    config.set_max_heaps(2);
    lightspead::recv::chunk_stream_config chunk_config;
    // The callback sees these items of each heap's first packet: its length
    // and the timestamp (item 0x1600). A heap of another length (the first
    // one also carries the descriptors) or without a timestamp is not placed.
    chunk_config.set_items({lightspead::HEAP_LENGTH_ID, 0x1600});
    chunk_config.set_max_chunks(1);
    chunk_config.set_place(
        [heap_size, chunk_size](lightspead::recv::chunk_place_data *data, std::size_t)
        {
            const std::int64_t length = data->items[0];
            const std::int64_t timestamp = data->items[1];
            if (timestamp < 0 || length != heap_size)
                return;  // chunk_id stays -1: not received
            data->chunk_id = timestamp / chunk_size;
            data->heap_offset = timestamp % chunk_size;
            data->heap_index = data->heap_offset / heap_size;
        });

    using ringbuffer = lightspead::ringbuffer<std::unique_ptr<lightspead::recv::chunk>>;
    auto data_ring = std::make_shared<ringbuffer>(2);
    auto free_ring = std::make_shared<ringbuffer>(4);
    lightspead::recv::chunk_ring_stream stream(thread_pool, config, chunk_config, data_ring, free_ring);
    // Chunk memory from mmap, faulted in now rather than on the network thread.
    auto allocator = std::make_shared<lightspead::mmap_allocator>(MAP_POPULATE);
    for (std::size_t i = 0; i < free_ring->capacity(); i++)
    {
        auto chunk = std::make_unique<lightspead::recv::chunk>();
        chunk->present = allocator->allocate(chunk_heaps);
        chunk->present_size = chunk_heaps;
        chunk->data = allocator->allocate(chunk_size);
        stream.add_free_chunk(std::move(chunk));
    }

    boost::asio::ip::udp::endpoint endpoint(boost::asio::ip::address_v4::any(), std::stoi(argv[optind]));
    stream.emplace_reader<lightspead::recv::udp_reader>(endpoint);
    std::int64_t n_heaps = 0;
    // Each finished chunk, in order, until the stream stops.
    for (std::unique_ptr<lightspead::recv::chunk> chunk : *data_ring)
    {
        const std::uint8_t *present = chunk->present.get();
        const auto n = std::accumulate(present, present + chunk_heaps, std::int64_t(0));
        if (n > 0)
        {
            n_heaps += n;
            const auto *samples = reinterpret_cast<const std::int8_t *>(chunk->data.get());
            std::cout << "Timestamp: " << std::setw(10) << std::left << chunk->chunk_id * chunk_size
                      << " Power: " << mean_power(samples, present, heap_size, chunk_heaps) << '\n';
        }
        stream.add_free_chunk(std::move(chunk));  // back to the stream, presence cleared
    }
    std::cout << "Received " << n_heaps << " heaps\n";
    return 0;
}
