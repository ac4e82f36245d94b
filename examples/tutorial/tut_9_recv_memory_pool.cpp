// Tutorial 9: receiving big heaps without page faults. Heap memory comes
// from a pool of pre-touched buffers that are recycled once a heap has been
// processed.
//
// Usage: tut_9_recv_memory_pool [-H heap-size] port

#include <cstddef>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
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
static double mean_power(const std::int8_t *adc_samples, std::size_t length)
{
    std::int64_t sum = 0;
    for (std::size_t i = 0; i < length; i++)
        sum += adc_samples[i] * adc_samples[i];
    return double(sum) / length;
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
    if (argc - optind != 1)
    {
        usage(argv[0]);
        return 2;
    }

    lightspead::thread_pool thread_pool;
    lightspead::recv::stream_config config;
    config.set_max_heaps(2);
    lightspead::recv::ring_stream_config ring_config;
    ring_config.set_heaps(2);
    // Enough buffers for every heap that can exist at once: in assembly, in
    // the ringbuffer, and the one being processed here.
    const int pool_heaps = config.get_max_heaps() + ring_config.get_heaps() + 1;
    config.set_memory_allocator(std::make_shared<lightspead::memory_pool>(
        0,                  // lower
        heap_size + 8192,   // upper: room for the descriptors of the first heap
        pool_heaps,         // max_free
        pool_heaps));       // initial
    lightspead::recv::ring_stream stream(thread_pool, config, ring_config);
    boost::asio::ip::udp::endpoint endpoint(boost::asio::ip::address_v4::any(), std::stoi(argv[optind]));
    stream.emplace_reader<lightspead::recv::udp_reader>(endpoint);
    std::int64_t n_heaps = 0;
    for (const lightspead::recv::heap &heap : stream)
    {
        std::int64_t timestamp = -1;
        const std::int8_t *adc_samples = nullptr;
        std::size_t length = 0;
        for (const auto &item : heap.get_items())
        {
            if (item.id == 0x1600 && item.is_immediate)
                timestamp = item.immediate_value;
            else if (item.id == 0x3300)
            {
                adc_samples = reinterpret_cast<const std::int8_t *>(item.ptr);
                length = item.length;
            }
        }
        if (timestamp >= 0 && adc_samples != nullptr)
        {
            n_heaps++;
            std::cout << "Timestamp: " << std::setw(10) << std::left << timestamp
                      << " Power: " << mean_power(adc_samples, length) << '\n';
        }
    }
    std::cout << "Received " << n_heaps << " heaps\n";
    // What the stream saw, including every packet it had to discard
    for (const auto &stats : {stream.get_stats(), stream.get_discard_stats()})
        for (const auto &[name, value] : stats)
            if (value != 0)
                std::cout << name << ": " << value << '\n';
    return 0;
}
