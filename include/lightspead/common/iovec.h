/**
 * @file
 * Scatter/gather helpers shared by the send and receive paths.
 */
#ifndef LIGHTSPEAD_COMMON_IOVEC_H
#define LIGHTSPEAD_COMMON_IOVEC_H

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <sys/uio.h>

namespace lightspead
{

/// The most pieces one system call takes (Linux's IOV_MAX, UIO_MAXIOV).
inline constexpr std::size_t max_iov = 1024;

/**
 * Copy bytes [@a from, @a from + @a n) of the data that the pieces
 * starting at @a iov describe, in order, to @a out.
 *
 * @pre the pieces hold at least @a from + @a n bytes (the caller knows
 * their total from the message or packet length).
 */
inline void gather(const iovec *iov, std::size_t from, std::size_t n, std::uint8_t *out) noexcept
{
    for (; n > 0; iov++)
    {
        if (from >= iov->iov_len)
        {
            from -= iov->iov_len;
            continue;
        }
        const std::size_t take = std::min(n, iov->iov_len - from);
        std::memcpy(out, static_cast<const std::uint8_t *>(iov->iov_base) + from, take);
        out += take;
        n -= take;
        from = 0;
    }
}

}  // namespace lightspead

#endif  // LIGHTSPEAD_COMMON_IOVEC_H
