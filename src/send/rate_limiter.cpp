#include <algorithm>
#include <lightspead/send/rate_limiter.h>

namespace lightspead::send
{

rate_limiter::rate_limiter(double rate, double burst_rate) noexcept : rate(rate), burst_rate(burst_rate)
{
}

rate_limiter::clock::duration rate_limiter::time_for(double bytes, double bytes_per_second)
{
    return std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(bytes / bytes_per_second));
}

void rate_limiter::wake(time_point now) noexcept
{
    due = std::max(due, now);
}

void rate_limiter::start_burst(time_point now) noexcept
{
    burst_start = now;
}

rate_limiter::time_point rate_limiter::end_burst(std::size_t bytes) noexcept
{
    if (!is_enabled())
        return burst_start;
    due += time_for(double(bytes), rate);
    return std::max(burst_start + time_for(double(bytes), burst_rate), due);
}

}  // namespace lightspead::send
