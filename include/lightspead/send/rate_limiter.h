/**
 * @file
 * The send path's pacing arithmetic, apart from any clock or timer so that
 * it can be tested without waiting. @c stream asks it, after each burst,
 * when the next burst may start, and waits on its own timer.
 */
#ifndef LIGHTSPEAD_SEND_RATE_LIMITER_H
#define LIGHTSPEAD_SEND_RATE_LIMITER_H

#include <chrono>
#include <cstddef>

namespace lightspead::send
{

/**
 * Paces bursts of bytes: on average no faster than their rate, and from
 * the start of one burst to the start of the next no faster than
 * @c burst_rate_ratio times it (the rate at which a stream that fell
 * behind catches up).
 *
 * Bytes may carry different rates (spead2 lets each heap have its own):
 * a burst is then described by the time its bytes take at their own rates,
 * @ref end_burst_paced.
 *
 * The rule that matters: idle time is not credit. When the sender has had
 * nothing to send it calls @ref wake, and the average is then measured
 * from that moment, so a stream idle for a minute does not then send a
 * minute's worth at the burst rate. Nor is time spent sending unpaced
 * bytes: a paced heap after a run of unpaced ones starts on the average.
 *
 * Times are given by the caller (a steady clock in the stream, anything in
 * tests). Not thread-safe: the stream's writer is its only user.
 */
class rate_limiter
{
public:
    using clock = std::chrono::steady_clock;  ///< the clock rates are measured against
    using time_point = clock::time_point;     ///< a time on that clock

private:
    double rate;  // bytes per second; 0 means no limit
    double burst_rate_ratio;
    time_point due{};  // when the bytes sent so far are due at their average rates
    time_point burst_start{};
    time_point next_start{};       // what the last end_burst returned
    clock::duration last_burst{};  // the last burst's time at its average rates

public:
    /**
     * @param rate              average bytes per second for @ref end_burst
     *                          (0: unlimited; then @ref end_burst never asks
     *                          the sender to wait)
     * @param burst_rate_ratio  how much faster than the average the sender
     *                          may go to catch up (>= 1)
     */
    rate_limiter(double rate, double burst_rate_ratio) noexcept;

    /// Whether the default rate is limited at all.
    bool is_enabled() const noexcept { return rate > 0.0; }

    /// The sender has work again after having none: time before @a now is not credit.
    void wake(time_point now) noexcept;

    /// A burst starts going out at @a now.
    void start_burst(time_point now) noexcept;

    /**
     * A burst starts going out at @a now, after the sender waited for the
     * time the last @ref end_burst returned. A timer wakes up late (timer
     * slack, scheduling): that lateness, up to the last burst's time at
     * its average rate, is not held against the burst rate, so that late
     * wake-ups do not lower the average rate. A longer delay counts as
     * the sender falling behind, repaid at the burst rate.
     */
    void start_burst_after_wait(time_point now) noexcept;

    /**
     * The burst begun at the last @ref start_burst put @a bytes on the
     * wire, all at the rate given to the constructor. Returns when the
     * next burst may start: the later of the burst rate's and the average
     * rate's times (it may already have passed).
     */
    time_point end_burst(std::size_t bytes) noexcept;

    /**
     * As @ref end_burst, for a burst whose bytes take @a at_rates at
     * their own rates (the sum of bytes / rate over its packets; 0 if
     * none is paced).
     */
    time_point end_burst_paced(std::chrono::duration<double> at_rates) noexcept;
};

}  // namespace lightspead::send

#endif  // LIGHTSPEAD_SEND_RATE_LIMITER_H
