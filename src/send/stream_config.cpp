#include <cmath>
#include <stdexcept>
#include <string>
#include <lightspead/send/stream_config.h>

namespace lightspead::send
{

stream_config &stream_config::set_max_packet_size(std::size_t size)
{
    if (size < min_max_packet_size)
        throw std::invalid_argument("max_packet_size " + std::to_string(size) + " is below the minimum of "
                                    + std::to_string(min_max_packet_size));
    max_packet_size = size;
    return *this;
}

stream_config &stream_config::set_rate(double rate)
{
    if (!std::isfinite(rate) || rate < 0.0)
        throw std::invalid_argument("rate must be a finite number >= 0 (0 means unlimited)");
    this->rate = rate;
    return *this;
}

stream_config &stream_config::set_burst_size(std::size_t size)
{
    if (size == 0)
        throw std::invalid_argument("burst_size must be at least 1 byte");
    burst_size = size;
    return *this;
}

stream_config &stream_config::set_burst_rate_ratio(double ratio)
{
    if (!std::isfinite(ratio) || ratio < 1.0)
        throw std::invalid_argument("burst_rate_ratio must be a finite number >= 1.0");
    burst_rate_ratio = ratio;
    return *this;
}

stream_config &stream_config::set_max_heaps(std::size_t max_heaps)
{
    if (max_heaps == 0)
        throw std::invalid_argument("max_heaps must be at least 1");
    if (max_heaps > max_max_heaps)
        throw std::invalid_argument("max_heaps " + std::to_string(max_heaps) + " exceeds the limit of "
                                    + std::to_string(max_max_heaps));
    this->max_heaps = max_heaps;
    return *this;
}

}  // namespace lightspead::send
