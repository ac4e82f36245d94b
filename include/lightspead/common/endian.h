/**
 * @file
 * Conversion between host and big-endian (network) byte order for unsigned
 * integers of 16, 32 and 64 bits, and a big-endian load from unaligned
 * memory.
 */
#ifndef LIGHTSPEAD_COMMON_ENDIAN_H
#define LIGHTSPEAD_COMMON_ENDIAN_H

#include <bit>
#include <concepts>
#include <cstdint>
#include <cstring>

namespace lightspead
{

namespace detail
{

template<typename T>
concept endian_integer =
    std::same_as<T, std::uint16_t> || std::same_as<T, std::uint32_t> || std::same_as<T, std::uint64_t>;

template<endian_integer T>
constexpr T byteswap(T value) noexcept
{
    if constexpr (sizeof(T) == 2)
        return __builtin_bswap16(value);
    else if constexpr (sizeof(T) == 4)
        return __builtin_bswap32(value);
    else
        return __builtin_bswap64(value);
}

}  // namespace detail

/// @a value (in host order) in big-endian order.
template<detail::endian_integer T>
constexpr T htobe(T value) noexcept
{
    if constexpr (std::endian::native == std::endian::big)
        return value;
    else
        return detail::byteswap(value);
}

/// @a value (in big-endian order) in host order.
template<detail::endian_integer T>
constexpr T betoh(T value) noexcept
{
    return htobe(value);  // the swap is its own inverse
}

/// The big-endian @a T stored at @a ptr (no alignment needed), in host order.
template<detail::endian_integer T>
T load_be(const std::uint8_t *ptr) noexcept
{
    T value;
    std::memcpy(&value, ptr, sizeof(T));
    return betoh(value);
}

}  // namespace lightspead

#endif  // LIGHTSPEAD_COMMON_ENDIAN_H
