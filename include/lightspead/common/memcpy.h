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
bool cpu_has_avx2() noexcept;
}  // namespace detail
#endif

/// The function for @a mode. @throws std::invalid_argument for an unknown mode.
memcpy_function get_memcpy(memcpy_mode mode);

}  // namespace lightspead

#endif  // LIGHTSPEAD_COMMON_MEMCPY_H
