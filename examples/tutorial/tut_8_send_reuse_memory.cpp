// Tutorial 8: a sender that reuses two heaps' worth of memory
// ("double-buffering") instead of allocating a fresh buffer per heap.
//
// Usage: tut_8_send_reuse_memory [-n heaps] [-p packet-size] [-H heap-size] [-r MB/s] host port
//
// -r paces the stream (0, the default, sends as fast as it can); spead2's
// chapter 8 has no such option: make demo uses it.

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstdint>
#include <future>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>
#include <sys/mman.h>
#include <unistd.h>
#include <boost/asio.hpp>
#include <lightspead/lightspead.h>

struct state
{
    std::future<lightspead::item_pointer_t> future;
    lightspead::memory_allocator::pointer adc_samples;  // heap_size bytes
    lightspead::send::heap heap;

    state()
    {
        // A future that is already complete, so the first wait returns at once
        std::promise<lightspead::item_pointer_t> ready;
        ready.set_value(0);
        future = ready.get_future();
    }
};

static void usage(const char *name)
{
    std::cerr << "Usage: " << name << " [-n heaps] [-p packet-size] [-H heap-size] [-r MB/s] host port\n";
}

int main(int argc, char *const argv[])
{
    int opt;
    int n_heaps = 1000;
    std::optional<int> packet_size;
    std::int64_t heap_size = 1024 * 1024;
    double rate = 0.0;  // MB/s, 0 for unlimited
    while ((opt = getopt(argc, argv, "n:p:H:r:")) != -1)
    {
        switch (opt)
        {
        case 'n':
            n_heaps = std::stoi(optarg);
            break;
        case 'p':
            packet_size = std::stoi(optarg);
            break;
        case 'H':
            heap_size = std::stoll(optarg);
            break;
        case 'r':
        {
            char *end;
            rate = std::strtod(optarg, &end);
            if (end == optarg || *end != '\0' || !std::isfinite(rate) || rate < 0.0)
            {
                std::cerr << "-r: expected a rate in MB/s, 0 or more (0 for unlimited)\n";
                return 2;
            }
            break;
        }
        default:
            usage(argv[0]);
            return 2;
        }
    }
    if (argc - optind != 2)
    {
        usage(argv[0]);
        return 2;
    }

    // One network thread on core 0; this thread fills heaps on core 1
    lightspead::thread_pool thread_pool(1, {0});
    lightspead::thread_pool::set_affinity(1);
    // Samples on (transparent) huge pages, faulted in now rather than while
    // sending, in a region the stream registers with the kernel once: the
    // stream hands heaps of 4 MiB or more to the kernel without copying,
    // on huge pages a packet's payload is one piece of memory for the
    // kernel instead of three, and registered pages need no pinning per send.
    // (Room for two heaps, each rounded up to the allocator's alignment)
    auto allocator = std::make_shared<lightspead::send::registered_allocator>(
        2 * (heap_size + lightspead::send::registered_allocator::alignment));
    lightspead::send::stream_config config;
    config.set_registered_allocator(allocator);
    config.set_rate(rate * 1e6);  // bytes per second
    // Paced, the stream sleeps between bursts: bursts of 1 MiB wake it less often
    config.set_burst_size(1024 * 1024);
    config.set_max_heaps(2);
    if (packet_size)
        config.set_max_packet_size(packet_size.value());
    boost::asio::ip::udp::endpoint endpoint(
        boost::asio::ip::make_address(argv[optind]),
        std::stoi(argv[optind + 1]));
    lightspead::send::udp_stream stream(thread_pool, {endpoint}, config);

    lightspead::descriptor timestamp_desc;
    timestamp_desc.id = 0x1600;
    timestamp_desc.name = "timestamp";
    timestamp_desc.description = "Index of the first sample";
    timestamp_desc.format.emplace_back('u', lightspead::flavour().get_heap_address_bits());
    lightspead::descriptor adc_samples_desc;
    adc_samples_desc.id = 0x3300;
    adc_samples_desc.name = "adc_samples";
    adc_samples_desc.description = "ADC converter output";
    adc_samples_desc.numpy_header =
        "{'shape': (" + std::to_string(heap_size) + ",), 'fortran_order': False, 'descr': 'i1'}";

    std::array<state, 2> states;
    for (auto &s : states)
        s.adc_samples = allocator->allocate(heap_size);
    auto start = std::chrono::high_resolution_clock::now();
    for (int i = 0; i < n_heaps; i++)
    {
        auto &s = states[i % states.size()];
        // The previous heap that used this memory must be on the wire first
        s.future.wait();
        auto &heap = s.heap;
        auto &adc_samples = s.adc_samples;

        heap = lightspead::send::heap();  // back to an empty heap
        if (i == 0)
        {
            // Receivers learn what the items are from the first heap
            heap.add_descriptor(timestamp_desc);
            heap.add_descriptor(adc_samples_desc);
        }
        std::fill(adc_samples.get(), adc_samples.get() + heap_size, i);
        heap.add_item(timestamp_desc.id, i * heap_size);
        heap.add_item(
            adc_samples_desc.id,
            adc_samples.get(),
            heap_size,
            true);
        s.future = stream.async_send_heap(heap, boost::asio::use_future);
    }
    for (const auto &s : states)
        s.future.wait();
    std::chrono::duration<double> elapsed = std::chrono::high_resolution_clock::now() - start;
    std::cout << heap_size * n_heaps / elapsed.count() / 1e6 << " MB/s\n";

    // Tell the receiver that the stream has ended
    lightspead::send::heap heap;
    heap.add_end();
    stream.async_send_heap(heap, boost::asio::use_future).get();
    return 0;
}
