// Tutorial 3: a first receiver. Listens on UDP port 8888 and prints the
// timestamp and first sample of every heap until the sender ends the stream.

#include <cstdint>
#include <iostream>
#include <utility>
#include <boost/asio.hpp>
#include <lightspead/lightspead.h>

int main()
{
    lightspead::thread_pool thread_pool;
    lightspead::recv::ring_stream stream(thread_pool);
    boost::asio::ip::udp::endpoint endpoint(boost::asio::ip::address_v4::any(), 8888);
    stream.emplace_reader<lightspead::recv::udp_reader>(
        endpoint, lightspead::recv::udp_reader::default_max_size, 1024 * 1024);
    for (const lightspead::recv::heap &heap : stream)
    {
        std::int64_t timestamp = -1;
        const std::int8_t *adc_samples = nullptr;
        for (const auto &item : heap.get_items())
        {
            if (item.id == 0x1600 && item.is_immediate)
                timestamp = item.immediate_value;
            else if (item.id == 0x3300 && item.length > 0)
                adc_samples = reinterpret_cast<const std::int8_t *>(item.ptr);
        }
        std::cout << "Received heap " << heap.get_cnt() << " timestamp " << timestamp;
        if (adc_samples)
            std::cout << " first sample " << int(adc_samples[0]);
        std::cout << '\n';
    }
    return 0;
}
