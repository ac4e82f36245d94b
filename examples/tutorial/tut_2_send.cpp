// Tutorial 2: a first sender. Sends 100 heaps of random ADC samples with a
// timestamp to 127.0.0.1:8888 at 100 MB/s, then an end-of-stream heap.

#include <cstdint>
#include <future>
#include <random>
#include <string>
#include <utility>
#include <vector>
#include <boost/asio.hpp>
#include <lightspead/lightspead.h>

int main()
{
    lightspead::thread_pool thread_pool;
    lightspead::send::stream_config config;
    config.set_rate(100e6);
    boost::asio::ip::udp::endpoint endpoint(boost::asio::ip::make_address("127.0.0.1"), 8888);
    lightspead::send::udp_stream stream(thread_pool, {endpoint}, config);

    const int n_heaps = 100;
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

    std::mt19937 generator;
    std::uniform_int_distribution<std::int8_t> distribution(-100, 100);
    std::vector<std::int8_t> adc_samples(heap_size);

    for (int i = 0; i < n_heaps; i++)
    {
        lightspead::send::heap heap;
        // The first heap tells receivers what the items are
        if (i == 0)
        {
            heap.add_descriptor(timestamp_desc);
            heap.add_descriptor(adc_samples_desc);
        }
        for (auto &sample : adc_samples)
            sample = distribution(generator);
        heap.add_item(timestamp_desc.id, i * heap_size);
        heap.add_item(adc_samples_desc.id, adc_samples.data(),
                      adc_samples.size() * sizeof(adc_samples[0]), true);
        // Wait for the heap to be sent before touching adc_samples again
        stream.async_send_heap(heap, boost::asio::use_future).get();
    }

    // Tell the receiver that the stream has ended
    lightspead::send::heap heap;
    heap.add_end();
    stream.async_send_heap(heap, boost::asio::use_future).get();
    return 0;
}
