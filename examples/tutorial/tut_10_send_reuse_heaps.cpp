// Tutorial 10: a sender for small heaps. Each slot of the pipeline builds
// its heap once and keeps it; every later heap only rewrites the slot's
// samples and timestamp in place. The pipeline is about 1 MiB deep.
//
// Usage: tut_10_send_reuse_heaps [-n heaps] [-p packet-size] [-H heap-size] host port

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <future>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>
#include <unistd.h>
#include <boost/asio.hpp>
#include <lightspead/lightspead.h>

struct state
{
    std::future<lightspead::item_pointer_t> future;
    std::vector<std::int8_t> adc_samples;
    std::uint64_t timestamp = 0;  // big-endian; the heap sends its low 5 bytes
    lightspead::send::heap heap;

    state()
    {
        // A future that is already complete, so the first wait returns at once
        std::promise<lightspead::item_pointer_t> ready;
        ready.set_value(0);
        future = ready.get_future();
    }
};

// Points @a heap's items at @a s's memory (the heap keeps pointers, not copies).
static void add_items(
    lightspead::send::heap &heap,
    state &s,
    const lightspead::descriptor &timestamp_desc,
    const lightspead::descriptor &adc_samples_desc)
{
    // The timestamp item is 40 bits: the last 5 of the 8 big-endian bytes
    heap.add_item(timestamp_desc.id, reinterpret_cast<char *>(&s.timestamp) + 3, 5, true);
    heap.add_item(
        adc_samples_desc.id,
        s.adc_samples.data(),
        s.adc_samples.size() * sizeof(s.adc_samples[0]),
        true);
}

static void usage(const char *name)
{
    std::cerr << "Usage: " << name << " [-n heaps] [-p packet-size] [-H heap-size] host port\n";
}

int main(int argc, char *const argv[])
{
    int opt;
    int n_heaps = 1000;
    std::optional<int> packet_size;
    std::int64_t heap_size = 1024 * 1024;
    while ((opt = getopt(argc, argv, "n:p:H:")) != -1)
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
    lightspead::send::stream_config config;
    config.set_rate(0.0);
    // About 1 MiB in flight, and never fewer than two heaps
    config.set_max_heaps(std::max(std::int64_t(2), 1024 * 1024 / heap_size));
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

    // Every heap is built once, here, and sent again and again
    std::vector<state> states(config.get_max_heaps());
    for (auto &s : states)
    {
        s.adc_samples.resize(heap_size);
        add_items(s.heap, s, timestamp_desc, adc_samples_desc);
    }
    // The first heap also carries the descriptors; it shares slot 0's memory
    lightspead::send::heap first_heap;
    first_heap.add_descriptor(timestamp_desc);
    first_heap.add_descriptor(adc_samples_desc);
    add_items(first_heap, states[0], timestamp_desc, adc_samples_desc);

    auto start = std::chrono::high_resolution_clock::now();
    for (int i = 0; i < n_heaps; i++)
    {
        auto &s = states[i % states.size()];
        // The heap last sent from this slot must be on the wire first
        s.future.wait();
        s.timestamp = lightspead::htobe(std::uint64_t(i * heap_size));
        std::fill(s.adc_samples.begin(), s.adc_samples.end(), i);
        auto &heap = (i == 0) ? first_heap : s.heap;
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
