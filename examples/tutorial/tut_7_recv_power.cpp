// Tutorial 7: doing something with the data. Prints the mean power of the
// ADC samples in every heap, then how many heaps arrived.
//
// Usage: tut_7_recv_power port

#include <cstddef>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <string>
#include <utility>
#include <boost/asio.hpp>
#include <lightspead/lightspead.h>

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

int main(int argc, char *argv[])
{
    if (argc != 2)
    {
        std::cerr << "Usage: " << argv[0] << " port\n";
        return 2;
    }
    lightspead::thread_pool thread_pool;
    lightspead::recv::ring_stream stream(thread_pool);
    boost::asio::ip::udp::endpoint endpoint(boost::asio::ip::address_v4::any(), std::stoi(argv[1]));
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
    return 0;
}
