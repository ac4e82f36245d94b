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

/// Copy with non-temporal (streaming) stores; ordered before return.
void *memcpy_nontemporal(void *dest, const void *src, std::size_t n) noexcept;

/// The function for @a mode. @throws std::invalid_argument for an unknown mode.
memcpy_function get_memcpy(memcpy_mode mode);

}  // namespace lightspead

#endif  // LIGHTSPEAD_COMMON_MEMCPY_H
