// Tutorial 6: packet size. As tutorial 5, with the packet size as an option
// (-p): bigger packets mean fewer per-packet costs.
//
// Usage: tut_6_send_pktsize [-n heaps] [-p packet-size] host port

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <future>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>
#include <unistd.h>
#include <boost/asio.hpp>
#include <lightspead/lightspead.h>

// Everything that must stay alive while a heap is in flight
struct state
{
    std::future<lightspead::item_pointer_t> future;
    std::vector<std::int8_t> adc_samples;
    lightspead::send::heap heap;
};

static void usage(const char *name)
{
    std::cerr << "Usage: " << name << " [-n heaps] [-p packet-size] host port\n";
}

int main(int argc, char *const argv[])
{
    int opt;
    int n_heaps = 1000;
    std::optional<int> packet_size;
    while ((opt = getopt(argc, argv, "n:p:")) != -1)
    {
        switch (opt)
        {
        case 'n':
            n_heaps = std::stoi(optarg);
            break;
        case 'p':
            packet_size = std::stoi(optarg);
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

    lightspead::thread_pool thread_pool(1, {0});
    lightspead::thread_pool::set_affinity(1);
    lightspead::send::stream_config config;
    config.set_rate(0.0);
    config.set_max_heaps(2);
    if (packet_size)
        config.set_max_packet_size(packet_size.value());
    boost::asio::ip::udp::endpoint endpoint(
        boost::asio::ip::make_address(argv[optind]),
        std::stoi(argv[optind + 1]));
    lightspead::send::udp_stream stream(thread_pool, {endpoint}, config);

    const std::int64_t heap_size = 1024 * 1024;
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

    std::unique_ptr<state> old_state;
    auto start = std::chrono::high_resolution_clock::now();
    for (int i = 0; i < n_heaps; i++)
    {
        auto new_state = std::make_unique<state>();
        auto &heap = new_state->heap;
        auto &adc_samples = new_state->adc_samples;
        adc_samples.resize(heap_size);
        if (i == 0)
        {
            heap.add_descriptor(timestamp_desc);
            heap.add_descriptor(adc_samples_desc);
        }
        std::fill(adc_samples.begin(), adc_samples.end(), i);
        heap.add_item(timestamp_desc.id, i * heap_size);
        heap.add_item(adc_samples_desc.id, adc_samples.data(),
                      adc_samples.size() * sizeof(adc_samples[0]), true);
        new_state->future = stream.async_send_heap(heap, boost::asio::use_future);
        // Only now wait for the previous heap: it was sent while we filled this one
        if (old_state)
            old_state->future.get();
        old_state = std::move(new_state);
    }
    old_state->future.get();
    std::chrono::duration<double> elapsed = std::chrono::high_resolution_clock::now() - start;
    std::cout << heap_size * n_heaps / elapsed.count() / 1e6 << " MB/s\n";

    lightspead::send::heap heap;
    heap.add_end();
    stream.async_send_heap(heap, boost::asio::use_future).get();
    return 0;
}
