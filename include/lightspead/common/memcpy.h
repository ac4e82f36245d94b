/**
 * @file
 * Copies for payload data. Received payload is written once and read much
 * later (after the whole heap has arrived), so caching it on the way in
 * only evicts useful data: the non-temporal copy writes around the cache.
 */
#ifndef LIGHTSPEAD_COMMON_MEMCPY_H
#define LIGHTSPEAD_COMMON_MEMCPY_H

#include <cstddef>

namespace lightspead
{

/// How a receive stream copies payload into heaps.
enum memcpy_mode : int
{
    MEMCPY_STD = 0,         ///< std::memcpy
    MEMCPY_NONTEMPORAL = 1  ///< streaming stores that bypass the cache (x86-64; elsewhere std::memcpy)
};

/// spead2's name for @ref memcpy_mode.
using memcpy_function_id = memcpy_mode;

/// A copy function with std::memcpy's contract.
using memcpy_function = void *(*)(void *dest, const void *src, std::size_t n) noexcept;

/**
 * Copy with non-temporal (streaming) stores, ordered (fenced) before
 * return: AVX2 where the CPU has it, SSE2 on other x86-64, std::memcpy
 * elsewhere.
 */
void *memcpy_nontemporal(void *dest, const void *src, std::size_t n) noexcept;

#if defined(__x86_64__)
namespace detail
{
/// The variants @ref memcpy_nontemporal chooses from (exposed for tests).
void *memcpy_nontemporal_sse2(void *dest, const void *src, std::size_t n) noexcept;
/// Only where @ref cpu_has_avx2.
void *memcpy_nontemporal_avx2(void *dest, const void *src, std::size_t n) noexcept;
/// As @ref memcpy_nontemporal_sse2 without the closing fence.
void *memcpy_nontemporal_sse2_unfenced(void *dest, const void *src, std::size_t n) noexcept;
/// As @ref memcpy_nontemporal_avx2 without the closing fence.
void *memcpy_nontemporal_avx2_unfenced(void *dest, const void *src, std::size_t n) noexcept;
bool cpu_has_avx2() noexcept;
}  // namespace detail
#endif

/// The function for @a mode. @throws std::invalid_argument for an unknown mode.
memcpy_function get_memcpy(memcpy_mode mode);

namespace detail
{
/**
 * As @ref get_memcpy, but the non-temporal copy does not end with a fence:
 * its stores may still be in flight when it returns, and another thread
 * may see the bytes only after the caller's @ref store_fence. For copies
 * in a row into memory that one thread hands over later (a heap's
 * packets): one fence for the lot instead of one per copy.
 */
memcpy_function get_unfenced_memcpy(memcpy_mode mode);
/// Orders every earlier streaming store before later stores (x86-64 @c sfence; nothing elsewhere).
void store_fence() noexcept;
}  // namespace detail

}  // namespace lightspead

#endif  // LIGHTSPEAD_COMMON_MEMCPY_H
