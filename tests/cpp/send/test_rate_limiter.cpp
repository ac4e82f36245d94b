// The send path's pacing arithmetic, on made-up times: no test here waits.
#include <chrono>
#include <gtest/gtest.h>
#include <lightspead/send/rate_limiter.h>

using namespace lightspead::send;
using namespace std::chrono_literals;
using time_point = rate_limiter::time_point;

namespace
{

const time_point t0 = time_point() + 1000s;

// Times compare to the nanosecond, rounding aside.
void expect_near(time_point actual, time_point expected)
{
    EXPECT_LE(std::chrono::abs(actual - expected), 1us)
        << std::chrono::duration<double>(actual - expected).count() << " s off";
}

}  // anonymous namespace

TEST(rate_limiter, unlimited_never_asks_to_wait)
{
    rate_limiter limiter(0.0, 1.0);
    EXPECT_FALSE(limiter.is_enabled());
    limiter.wake(t0);
    limiter.start_burst(t0 + 5s);
    EXPECT_LE(limiter.end_burst(1 << 30), t0 + 5s);
}

TEST(rate_limiter, average_rate_sets_the_pace_when_sending_is_fast)
{
    rate_limiter limiter(1000.0, 2.0);  // 1 kB/s, catching up at 2 kB/s
    ASSERT_TRUE(limiter.is_enabled());
    limiter.wake(t0);
    limiter.start_burst(t0);
    expect_near(limiter.end_burst(1000), t0 + 1s);  // 1000 B at 1 kB/s
    limiter.start_burst(t0 + 1s);
    expect_near(limiter.end_burst(500), t0 + 1500ms);
}

TEST(rate_limiter, a_late_sender_catches_up_at_the_burst_rate)
{
    rate_limiter limiter(1000.0, 2.0);
    limiter.wake(t0);
    limiter.start_burst(t0);
    // The first burst's transmit took until t0 + 3 s (a slow link): 2 s behind.
    expect_near(limiter.end_burst(1000), t0 + 1s);
    limiter.start_burst(t0 + 3s);
    // Due at t0 + 2 s on average, but no faster than 2 kB/s from this start.
    expect_near(limiter.end_burst(1000), t0 + 3500ms);
    limiter.start_burst(t0 + 3500ms);
    expect_near(limiter.end_burst(1000), t0 + 4000ms);  // the two rates agree here
    limiter.start_burst(t0 + 4s);
    expect_near(limiter.end_burst(2000), t0 + 5s);  // and the backlog is gone: 2 s behind repaid
    limiter.start_burst(t0 + 5s);
    expect_near(limiter.end_burst(1000), t0 + 6s);  // back on the average
}

TEST(rate_limiter, idle_time_is_not_credit)
{
    rate_limiter limiter(1000.0, 4.0);
    limiter.wake(t0);
    limiter.start_burst(t0);
    expect_near(limiter.end_burst(1000), t0 + 1s);
    // Nothing to send for a minute, then work again.
    limiter.wake(t0 + 61s);
    limiter.start_burst(t0 + 61s);
    // Without the rule this would be t0 + 61.25 s (burst rate), then a
    // minute at 4 kB/s; with it the average restarts from the wake.
    expect_near(limiter.end_burst(1000), t0 + 62s);
}

TEST(rate_limiter, waking_early_keeps_what_is_owed)
{
    rate_limiter limiter(1000.0, 1.0);
    limiter.wake(t0);
    limiter.start_burst(t0);
    expect_near(limiter.end_burst(3000), t0 + 3s);
    // Work arrives again before the last burst is paid for: still due at t0 + 3 s.
    limiter.wake(t0 + 1s);
    limiter.start_burst(t0 + 3s);
    expect_near(limiter.end_burst(1000), t0 + 4s);
}

TEST(rate_limiter, bursts_at_their_own_rates)
{
    rate_limiter limiter(0.0, 2.0);  // no default rate: each burst says what it owes
    limiter.wake(t0);
    limiter.start_burst(t0);
    expect_near(limiter.end_burst_paced(2s), t0 + 2s);  // e.g. 2000 B of a 1 kB/s heap
    limiter.start_burst(t0 + 1s);                       // late start: catch up at twice the rate
    expect_near(limiter.end_burst_paced(2s), t0 + 4s);
    limiter.start_burst(t0 + 4s);
    expect_near(limiter.end_burst_paced(1s), t0 + 5s);
}

TEST(rate_limiter, unpaced_bytes_earn_no_credit)
{
    rate_limiter limiter(1000.0, 4.0);
    limiter.wake(t0);
    limiter.start_burst(t0);
    expect_near(limiter.end_burst(1000), t0 + 1s);
    // A minute of unpaced heaps (rate 0): no wait asked for them...
    limiter.start_burst(t0 + 1s);
    expect_near(limiter.end_burst_paced(0s), t0 + 1s);
    limiter.start_burst(t0 + 61s);
    EXPECT_EQ(limiter.end_burst_paced(0s), t0 + 61s);
    // ...and the paced heap after them is held to its average, not let
    // through at 4 kB/s to make up the minute.
    limiter.start_burst(t0 + 61s);
    expect_near(limiter.end_burst(1000), t0 + 62s);
}

TEST(rate_limiter, late_timer_wakeups_keep_the_average_rate)
{
    // 1 kB/s in 100 B bursts (0.1 s each); the timer wakes 30 ms late every time.
    rate_limiter limiter(1000.0, 1.05);
    limiter.wake(t0);
    limiter.start_burst(t0);
    time_point next = limiter.end_burst(100);
    for (int i = 0; i < 100; i++)
    {
        limiter.start_burst_after_wait(next + 30ms);
        next = limiter.end_burst(100);
    }
    // 101 bursts of 0.1 s: due at t0 + 10.1 s, not 30 ms later for each one
    expect_near(next, t0 + 10100ms);
}

TEST(rate_limiter, a_long_delay_after_a_wait_is_repaid_at_the_burst_rate)
{
    rate_limiter limiter(1000.0, 2.0);
    limiter.wake(t0);
    limiter.start_burst(t0);
    expect_near(limiter.end_burst(1000), t0 + 1s);
    // Asked to start at t0 + 1 s, started at t0 + 3 s: only one burst's time
    // (1 s) is forgiven, the other second is repaid no faster than 2 kB/s.
    limiter.start_burst_after_wait(t0 + 3s);
    expect_near(limiter.end_burst(1000), t0 + 2500ms);
    limiter.start_burst_after_wait(t0 + 2500ms);
    expect_near(limiter.end_burst(1000), t0 + 3s);  // on the average again
}
