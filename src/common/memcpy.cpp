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

#if defined(__x86_64__)
namespace detail
{

// Source bytes are fetched this far ahead of the loads. The hardware
// prefetchers alone leave a copy from memory (a buffer reader's input) at
// about 60% of the speed it reaches with this; 256 bytes gains nothing,
// 1 KiB or more less (bench/RESULTS.md: the copy microbenchmark). A source
// already in cache (a packet just received) costs one instruction per line.
// Prefetches never fault, so reaching past the source is harmless.
constexpr std::size_t prefetch_distance = 512;

// Streaming stores need aligned destinations: each variant copies the head
// normally up to the next 64-byte line, then whole lines with streaming
// stores, then the tail normally. The line matters, not just the vector
// width: numpy's large arrays start 16 bytes past a line, and an AVX2 copy
// aligned only to 32 bytes wrote every line in halves from two steps, which
// placed 8 KiB heaps into numpy chunks at 10.5 GB/s instead of 14.5
// (bench/chunk_bench, one process, passes alternating with spead2's).
// Streaming stores are weakly ordered, so each ends with a fence: the bytes
// are visible before the heap or chunk can be handed to another thread. The
// unfenced variants leave the fence to their caller: a receive stream
// copies a heap's packets with them and fences once per heap, before the
// heap leaves the network thread. A fence per 9000-byte packet held 64 MiB
// heaps decoded from memory at 121-131 Gb/s, one per heap gave 140-150
// (bench/RESULTS.md, issue 14).

namespace
{

template<bool Fence>
void *nontemporal_sse2(void *dest, const void *src, std::size_t n) noexcept
{
    auto *d = static_cast<std::uint8_t *>(dest);
    auto *s = static_cast<const std::uint8_t *>(src);
    const std::size_t head = std::min(n, (64 - reinterpret_cast<std::uintptr_t>(d) % 64) % 64);
    std::memcpy(d, s, head);
    d += head;
    s += head;
    n -= head;
    while (n >= 64)
    {
        _mm_prefetch(reinterpret_cast<const char *>(s) + prefetch_distance, _MM_HINT_T0);
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
    if constexpr (Fence)
        _mm_sfence();
    return dest;
}

// Twice the width, two lines per step: about 10% faster than SSE2 into
// cold memory on the Zen 4 development machine (bench figures in
// bench/RESULTS.md).
template<bool Fence>
__attribute__((target("avx2"))) void *nontemporal_avx2(void *dest, const void *src, std::size_t n) noexcept
{
    auto *d = static_cast<std::uint8_t *>(dest);
    auto *s = static_cast<const std::uint8_t *>(src);
    const std::size_t head = std::min(n, (64 - reinterpret_cast<std::uintptr_t>(d) % 64) % 64);
    std::memcpy(d, s, head);
    d += head;
    s += head;
    n -= head;
    while (n >= 128)
    {
        _mm_prefetch(reinterpret_cast<const char *>(s) + prefetch_distance, _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char *>(s) + prefetch_distance + 64, _MM_HINT_T0);
        const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(s));
        const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(s + 32));
        const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(s + 64));
        const __m256i e = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(s + 96));
        _mm256_stream_si256(reinterpret_cast<__m256i *>(d), a);
        _mm256_stream_si256(reinterpret_cast<__m256i *>(d + 32), b);
        _mm256_stream_si256(reinterpret_cast<__m256i *>(d + 64), c);
        _mm256_stream_si256(reinterpret_cast<__m256i *>(d + 96), e);
        d += 128;
        s += 128;
        n -= 128;
    }
    std::memcpy(d, s, n);
    if constexpr (Fence)
        _mm_sfence();
    return dest;
}

}  // anonymous namespace

void *memcpy_nontemporal_sse2(void *dest, const void *src, std::size_t n) noexcept
{
    return nontemporal_sse2<true>(dest, src, n);
}

__attribute__((target("avx2"))) void *memcpy_nontemporal_avx2(void *dest, const void *src, std::size_t n) noexcept
{
    return nontemporal_avx2<true>(dest, src, n);
}

void *memcpy_nontemporal_sse2_unfenced(void *dest, const void *src, std::size_t n) noexcept
{
    return nontemporal_sse2<false>(dest, src, n);
}

__attribute__((target("avx2"))) void *memcpy_nontemporal_avx2_unfenced(void *dest, const void *src,
                                                                       std::size_t n) noexcept
{
    return nontemporal_avx2<false>(dest, src, n);
}

bool cpu_has_avx2() noexcept
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}

}  // namespace detail
#endif

namespace
{

// The best streaming copy this CPU has, with or without its closing
// fence, chosen on first use.
template<bool Fence>
memcpy_function nontemporal_function() noexcept
{
#if defined(__x86_64__)
    static const memcpy_function chosen = detail::cpu_has_avx2()
        ? (Fence ? detail::memcpy_nontemporal_avx2 : detail::memcpy_nontemporal_avx2_unfenced)
        : (Fence ? detail::memcpy_nontemporal_sse2 : detail::memcpy_nontemporal_sse2_unfenced);
    return chosen;
#else
    return std_memcpy;
#endif
}

}  // anonymous namespace

void *memcpy_nontemporal(void *dest, const void *src, std::size_t n) noexcept
{
    return nontemporal_function<true>()(dest, src, n);
}

memcpy_function get_memcpy(memcpy_mode mode)
{
    switch (mode)
    {
    case MEMCPY_STD:
        return std_memcpy;
    case MEMCPY_NONTEMPORAL:
        return nontemporal_function<true>();
    }
    throw std::invalid_argument("unknown memcpy mode " + std::to_string(int(mode)));
}

namespace detail
{

memcpy_function get_unfenced_memcpy(memcpy_mode mode)
{
    return mode == MEMCPY_NONTEMPORAL ? nontemporal_function<false>() : get_memcpy(mode);
}

void store_fence() noexcept
{
#if defined(__x86_64__)
    _mm_sfence();
#endif
}

}  // namespace detail

}  // namespace lightspead
