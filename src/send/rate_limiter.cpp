#include <algorithm>
#include <lightspead/send/rate_limiter.h>

namespace lightspead::send
{

rate_limiter::rate_limiter(double rate, double burst_rate_ratio) noexcept
    : rate(rate), burst_rate_ratio(burst_rate_ratio)
{
}

void rate_limiter::wake(time_point now) noexcept
{
    due = std::max(due, now);
}

void rate_limiter::start_burst(time_point now) noexcept
{
    burst_start = now;
}

void rate_limiter::start_burst_after_wait(time_point now) noexcept
{
    burst_start = now > next_start ? std::max(next_start, now - last_burst) : now;
}

rate_limiter::time_point rate_limiter::end_burst(std::size_t bytes) noexcept
{
    return end_burst_paced(std::chrono::duration<double>(rate > 0.0 ? double(bytes) / rate : 0.0));
}

rate_limiter::time_point rate_limiter::end_burst_paced(std::chrono::duration<double> at_rates) noexcept
{
    if (at_rates.count() <= 0.0)
    {
        // Unpaced bytes earn no credit for the paced ones after them.
        due = std::max(due, burst_start);
        next_start = burst_start;
        last_burst = {};
        return burst_start;
    }
    last_burst = std::chrono::duration_cast<clock::duration>(at_rates);
    due += last_burst;
    const auto at_burst_rate = std::chrono::duration_cast<clock::duration>(at_rates / burst_rate_ratio);
    next_start = std::max(burst_start + at_burst_rate, due);
    return next_start;
}

}  // namespace lightspead::send
