/**
 * @file
 * Settings shared by every kind of send stream.
 */
#ifndef LIGHTSPEAD_SEND_STREAM_CONFIG_H
#define LIGHTSPEAD_SEND_STREAM_CONFIG_H

#include <cstddef>
#include <memory>
#include <utility>

namespace lightspead::send
{

class registered_allocator;

/**
 * How a stream keeps to its rate, as spead2 names the choices. spead2's
 * hardware pacing exists only for ibverbs streams, which lightspead does
 * not have: every method paces in software here (see
 * docs/migrating-from-spead2.md); the choice is kept so that configs move
 * over unchanged.
 */
enum class rate_method
{
    SW,   ///< pace in software
    HW,   ///< hardware pacing where the transport has it (none here), else software
    AUTO  ///< whichever is expected to be better (software here)
};

/**
 * Whether a stream hands the memory of its heaps to the kernel instead of
 * having it copied (Linux @c MSG_ZEROCOPY; only UDP streams can, others
 * always copy). A heap sent without copying completes only once the
 * kernel has released its memory. See docs/design/send.md.
 */
enum class zerocopy_mode
{
    off,              ///< always copy
    on,               ///< every heap, even where the kernel reports that it copied (for tests and measurement)
    automatic,        ///< heaps of at least the threshold, until the kernel reports that it copies (loopback)
    OFF = off,        ///< Python's spelling of @c off
    ON = on,          ///< Python's spelling of @c on
    AUTO = automatic  ///< Python's spelling of @c automatic
};

/**
 * Packet size, rate and queue depth of a send stream. Every setter checks
 * its argument and throws @c std::invalid_argument (leaving the config
 * unchanged) if it is out of range; setters return the config so that calls
 * can be chained.
 */
class stream_config
{
public:
    static constexpr std::size_t default_max_packet_size = 1472;  ///< default largest packet (fits a 1500-byte MTU)
    static constexpr std::size_t default_max_heaps = 4;           ///< default heaps queued at once
    static constexpr std::size_t default_burst_size = 65536;      ///< default bytes sent back to back
    static constexpr double default_burst_rate_ratio = 1.05;      ///< default catch-up rate over the rate
    static constexpr rate_method default_rate_method = rate_method::AUTO;  ///< default rate method
    /// default zero-copy mode
    static constexpr zerocopy_mode default_zerocopy = zerocopy_mode::automatic;
    /// default smallest heap payload (bytes) sent without copying in @c zerocopy_mode::automatic
    static constexpr std::size_t default_zerocopy_threshold = 4 * 1024 * 1024;
    /// Smallest packet size limit a heap can be cut into.
    static constexpr std::size_t min_max_packet_size = 56;
    /// The most heaps a stream may hold queued (2^24): it sets aside a slot for each when it is built.
    static constexpr std::size_t max_max_heaps = std::size_t(1) << 24;

private:
    std::size_t max_packet_size = default_max_packet_size;
    double rate = 0.0;
    std::size_t burst_size = default_burst_size;
    double burst_rate_ratio = default_burst_rate_ratio;
    std::size_t max_heaps = default_max_heaps;
    rate_method method = default_rate_method;
    zerocopy_mode zerocopy = default_zerocopy;
    std::size_t zerocopy_threshold = default_zerocopy_threshold;
    std::shared_ptr<registered_allocator> registered;

public:
    /**
     * Largest packet in bytes, SPEAD header included (not IP/UDP headers);
     * rounded down to a multiple of 8 when heaps are cut. At least 56.
     */
    stream_config &set_max_packet_size(std::size_t size);
    /// See @ref set_max_packet_size.
    std::size_t get_max_packet_size() const noexcept { return max_packet_size; }

    /// Long-term rate in bytes per second (packet headers included); 0 = as fast as possible.
    stream_config &set_rate(double rate);
    /// See @ref set_rate.
    double get_rate() const noexcept { return rate; }

    /// Bytes that may go out back to back before the rate limiter intervenes (at least 1).
    stream_config &set_burst_size(std::size_t size);
    /// See @ref set_burst_size.
    std::size_t get_burst_size() const noexcept { return burst_size; }

    /**
     * How much faster than @c get_rate the stream may go while it catches
     * up after falling behind (at least 1.0).
     */
    stream_config &set_burst_rate_ratio(double ratio);
    /// See @ref set_burst_rate_ratio.
    double get_burst_rate_ratio() const noexcept { return burst_rate_ratio; }
    /// The catch-up rate: rate * burst_rate_ratio.
    double get_burst_rate() const noexcept { return rate * burst_rate_ratio; }

    /// How the rate is kept (see @ref rate_method).
    stream_config &set_rate_method(rate_method method) noexcept
    {
        this->method = method;
        return *this;
    }
    /// See @ref set_rate_method.
    rate_method get_rate_method() const noexcept { return method; }

    /// Heaps that may be queued or in flight at once (at least 1, at most @ref max_max_heaps).
    stream_config &set_max_heaps(std::size_t max_heaps);
    /// See @ref set_max_heaps.
    std::size_t get_max_heaps() const noexcept { return max_heaps; }

    /// Whether heaps go to the kernel without copying (see @ref zerocopy_mode).
    stream_config &set_zerocopy(zerocopy_mode mode) noexcept
    {
        zerocopy = mode;
        return *this;
    }
    /// See @ref set_zerocopy.
    zerocopy_mode get_zerocopy() const noexcept { return zerocopy; }

    /**
     * Smallest heap payload in bytes that @c zerocopy_mode::automatic sends
     * without copying (smaller heaps are copied: for them, waiting for the
     * kernel's release costs more than the copy).
     */
    stream_config &set_zerocopy_threshold(std::size_t bytes) noexcept
    {
        zerocopy_threshold = bytes;
        return *this;
    }
    /// See @ref set_zerocopy_threshold.
    std::size_t get_zerocopy_threshold() const noexcept { return zerocopy_threshold; }

    /**
     * Memory the stream registers with the kernel (UDP streams; others
     * ignore it): heaps sent without copying whose items lie in @a
     * allocator's region skip the pinning of their pages (see @ref
     * registered_allocator). Null (the default) for none.
     */
    stream_config &set_registered_allocator(std::shared_ptr<registered_allocator> allocator) noexcept
    {
        registered = std::move(allocator);
        return *this;
    }
    /// See @ref set_registered_allocator.
    const std::shared_ptr<registered_allocator> &get_registered_allocator() const noexcept { return registered; }
};

}  // namespace lightspead::send

#endif  // LIGHTSPEAD_SEND_STREAM_CONFIG_H
