#include <algorithm>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <lightspead/common/memcpy.h>
#if defined(__x86_64__)
# include <immintrin.h>
#endif

namespace lightspead
{

namespace
{

void *std_memcpy(void *dest, const void *src, std::size_t n) noexcept
{
    return std::memcpy(dest, src, n);
}

}  // anonymous namespace

void *memcpy_nontemporal(void *dest, const void *src, std::size_t n) noexcept
{
#if defined(__x86_64__)
    auto *d = static_cast<std::uint8_t *>(dest);
    auto *s = static_cast<const std::uint8_t *>(src);
    // Streaming stores need 16-byte aligned destinations: copy the head
    // normally, then whole 64-byte lines, then the tail.
    const std::size_t head = std::min(n, (16 - reinterpret_cast<std::uintptr_t>(d) % 16) % 16);
    std::memcpy(d, s, head);
    d += head;
    s += head;
    n -= head;
    while (n >= 64)
    {
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i *>(s));
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i *>(s + 16));
        const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i *>(s + 32));
        const __m128i e = _mm_loadu_si128(reinterpret_cast<const __m128i *>(s + 48));
        _mm_stream_si128(reinterpret_cast<__m128i *>(d), a);
        _mm_stream_si128(reinterpret_cast<__m128i *>(d + 16), b);
        _mm_stream_si128(reinterpret_cast<__m128i *>(d + 32), c);
        _mm_stream_si128(reinterpret_cast<__m128i *>(d + 48), e);
        d += 64;
        s += 64;
        n -= 64;
    }
    std::memcpy(d, s, n);
    // Streaming stores are weakly ordered: make them visible before the
    // heap can be handed to another thread.
    _mm_sfence();
    return dest;
#else
    return std::memcpy(dest, src, n);
#endif
}

memcpy_function get_memcpy(memcpy_mode mode)
{
    switch (mode)
    {
    case MEMCPY_STD:
        return std_memcpy;
    case MEMCPY_NONTEMPORAL:
        return memcpy_nontemporal;
    }
    throw std::invalid_argument("unknown memcpy mode " + std::to_string(int(mode)));
}

}  // namespace lightspead
