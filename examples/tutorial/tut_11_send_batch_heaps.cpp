// Tutorial 11: a sender for small heaps that hands them to the stream in
// batches, one completion per batch instead of one per heap. Two batches
// of about 512 KiB each: one is on the wire while the other is refilled.
//
// Usage: tut_11_send_batch_heaps [-n heaps] [-p packet-size] [-H heap-size] host port

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
#include <sys/mman.h>
#include <unistd.h>
#include <boost/asio.hpp>
#include <lightspead/lightspead.h>

// What one heap of a batch sends, apart from the heap object itself
struct heap_data
{
    std::int8_t *adc_samples = nullptr;  // heap_size bytes of the batches' shared memory
    std::uint64_t timestamp = 0;  // big-endian; the heap sends its low 5 bytes
};

struct batch
{
    std::future<lightspead::item_pointer_t> future;
    std::vector<heap_data> data;
    // Kept apart from data: the first batch sends other heap objects
    // (with descriptors) over the same memory
    std::vector<lightspead::send::heap> heaps;

    batch()
    {
        // A future that is already complete, so the first wait returns at once
        std::promise<lightspead::item_pointer_t> ready;
        ready.set_value(0);
        future = ready.get_future();
    }
};

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
    const std::size_t n_batches = 2;
    const std::size_t batch_heaps = std::max(std::int64_t(2), 512 * 1024 / heap_size);
    // The samples of every batch in one region on (transparent) huge pages,
    // faulted in now rather than while sending, which the stream registers
    // with the kernel once: packets from it skip the pinning of their pages.
    auto allocator = std::make_shared<lightspead::send::registered_allocator>(n_batches * batch_heaps * heap_size);
    lightspead::send::stream_config config;
    config.set_rate(0.0);
    // Small heaps too go to the kernel without copying: their memory is
    // on huge pages, where a packet's payload is one piece.
    config.set_zerocopy(lightspead::send::zerocopy_mode::on);
    config.set_registered_allocator(allocator);
    config.set_max_heaps(n_batches * batch_heaps);  // room for both batches at once
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

    // A batch's heaps over @a data's memory; the very first heap of the
    // stream also carries the descriptors.
    auto make_heaps = [&](std::vector<heap_data> &data, bool first)
    {
        std::vector<lightspead::send::heap> heaps(data.size());
        for (std::size_t j = 0; j < data.size(); j++)
        {
            if (first && j == 0)
            {
                heaps[j].add_descriptor(timestamp_desc);
                heaps[j].add_descriptor(adc_samples_desc);
            }
            // The timestamp item is 40 bits: the last 5 of the 8 big-endian bytes
            heaps[j].add_item(timestamp_desc.id, reinterpret_cast<char *>(&data[j].timestamp) + 3, 5, true);
            heaps[j].add_item(
                adc_samples_desc.id,
                data[j].adc_samples,
                heap_size,
                true);
        }
        return heaps;
    };

    auto samples = allocator->allocate(n_batches * batch_heaps * heap_size);
    std::vector<batch> batches(n_batches);
    std::int8_t *next_samples = reinterpret_cast<std::int8_t *>(samples.get());
    for (auto &b : batches)
    {
        b.data.resize(batch_heaps);
        for (auto &d : b.data)
        {
            d.adc_samples = next_samples;
            next_samples += heap_size;
        }
        b.heaps = make_heaps(b.data, false);
    }
    auto first_heaps = make_heaps(batches[0].data, true);

    auto start = std::chrono::high_resolution_clock::now();
    for (int i = 0; i < n_heaps; i += batch_heaps)
    {
        auto &b = batches[(i / batch_heaps) % batches.size()];
        // The batch last sent from this memory must be on the wire first
        b.future.wait();
        // The last batch may be short
        std::size_t n = std::min(std::size_t(n_heaps - i), batch_heaps);
        for (std::size_t j = 0; j < n; j++)
        {
            std::int64_t heap_index = i + j;
            b.data[j].timestamp = lightspead::htobe(std::uint64_t(heap_index * heap_size));
            std::fill(b.data[j].adc_samples, b.data[j].adc_samples + heap_size, heap_index);
        }
        auto &heaps = (i == 0) ? first_heaps : b.heaps;
        // Each heap's packets in turn, as if sent one by one
        b.future = stream.async_send_heaps(
            heaps.begin(), heaps.begin() + n, boost::asio::use_future, lightspead::send::group_mode::serial);
    }
    for (const auto &b : batches)
        b.future.wait();
    std::chrono::duration<double> elapsed = std::chrono::high_resolution_clock::now() - start;
    std::cout << heap_size * n_heaps / elapsed.count() / 1e6 << " MB/s\n";

    // Tell the receiver that the stream has ended
    lightspead::send::heap heap;
    heap.add_end();
    stream.async_send_heap(heap, boost::asio::use_future).get();
    return 0;
}
