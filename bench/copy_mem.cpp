// Copy-into-chunks microbenchmark: the copy a chunk stream does for each
// packet of a buffer reader, alone. Payloads of `heap` bytes, spaced as
// 9000-byte packets in a large source buffer, are copied one after another
// into 4 cycling chunks of 64 MiB, with std::memcpy, lightspead's
// memcpy_nontemporal, and (x86-64 with AVX2) the same streaming loop with
// the source prefetched at several distances, to show where
// memcpy.cpp's prefetch distance comes from. With -o the chunks start that
// many bytes past a 4 KiB boundary: numpy's large arrays start 16 bytes
// past one, which is what made memcpy.cpp align to whole 64-byte lines
// (the prefetch loops need 32-byte alignment and are left out otherwise).
//
// Usage: copy_mem [-H heap-size] [-m source-MiB] [-o chunk-offset] [-r rounds]
// Prints one line per round: MB/s for each copy.

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iomanip>
#include <iostream>
#include <string>
#include <utility>
#include <vector>
#include <unistd.h>
#include <lightspead/common/memcpy.h>
#if defined(__x86_64__)
# include <immintrin.h>
#endif

namespace
{

using copy_function = void *(*)(void *, const void *, std::size_t) noexcept;

void *std_copy(void *dest, const void *src, std::size_t n) noexcept
{
    return std::memcpy(dest, src, n);
}

#if defined(__x86_64__)
// The streaming loop with the source prefetched Distance bytes ahead (0: none).
// Assumes what the benchmark gives it: 32-byte aligned dest, n a multiple of 128.
template<std::size_t Distance>
__attribute__((target("avx2"))) void *stream_prefetch(void *dest, const void *src, std::size_t n) noexcept
{
    auto *d = static_cast<char *>(dest);
    auto *s = static_cast<const char *>(src);
    for (std::size_t i = 0; i < n; i += 128)
    {
        if constexpr (Distance > 0)
        {
            _mm_prefetch(s + i + Distance, _MM_HINT_T0);
            _mm_prefetch(s + i + Distance + 64, _MM_HINT_T0);
        }
        for (std::size_t j = 0; j < 128; j += 32)
            _mm256_stream_si256(reinterpret_cast<__m256i *>(d + i + j),
                                _mm256_loadu_si256(reinterpret_cast<const __m256i *>(s + i + j)));
    }
    _mm_sfence();
    return dest;
}
#endif

}  // anonymous namespace

int main(int argc, char *const argv[])
{
    std::size_t heap = 8192, source_mib = 2048, offset = 0;
    int rounds = 3, opt;
    while ((opt = getopt(argc, argv, "H:m:o:r:")) != -1)
    {
        switch (opt)
        {
        case 'H':
            heap = std::stoul(optarg);
            break;
        case 'm':
            source_mib = std::stoul(optarg);
            break;
        case 'o':
            offset = std::stoul(optarg);
            break;
        case 'r':
            rounds = std::stoi(optarg);
            break;
        default:
            std::cerr << "Usage: " << argv[0] << " [-H heap-size] [-m source-MiB] [-o chunk-offset] [-r rounds]\n";
            return 2;
        }
    }
    constexpr std::size_t chunk = std::size_t(64) << 20, stride_extra = 808;  // a 9000-byte packet's header room
    if (heap == 0 || heap % 128 != 0 || heap > chunk || offset >= 4096)
    {
        std::cerr << "heap size must be a positive multiple of 128 up to 64 MiB, the offset below 4096\n";
        return 2;
    }
    const std::size_t stride = heap + stride_extra;
    const std::size_t heaps = (source_mib << 20) / heap;
    std::vector<char> source(heaps * stride + 64, 1);  // touched: no page faults when timed
    std::vector<char *> chunks;
    for (int i = 0; i < 4; i++)
    {
        auto *p = static_cast<char *>(std::aligned_alloc(4096, chunk + 4096));
        if (!p)
        {
            std::cerr << "out of memory\n";
            return 1;
        }
        std::memset(p, 0, chunk + 4096);
        chunks.push_back(p);
    }
    std::vector<std::pair<std::string, copy_function>> copies{
        {"memcpy", std_copy},
        {"lightspead_nontemporal", lightspead::memcpy_nontemporal},
    };
#if defined(__x86_64__)
    if (lightspead::detail::cpu_has_avx2() && offset % 32 == 0)
    {
        copies.emplace_back("stream_no_prefetch", stream_prefetch<0>);
        copies.emplace_back("stream_prefetch_256", stream_prefetch<256>);
        copies.emplace_back("stream_prefetch_512", stream_prefetch<512>);
        copies.emplace_back("stream_prefetch_1024", stream_prefetch<1024>);
        copies.emplace_back("stream_prefetch_2048", stream_prefetch<2048>);
    }
#endif
    const std::size_t per_chunk = chunk / heap;
    for (int round = 0; round < rounds; round++)
    {
        std::cout << "round " << round + 1 << ':';
        for (const auto &[name, copy] : copies)
        {
            const auto start = std::chrono::steady_clock::now();
            for (std::size_t h = 0; h < heaps; h++)
                copy(chunks[(h / per_chunk) % 4] + offset + (h % per_chunk) * heap, source.data() + h * stride + 64,
                     heap);
            const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
            std::cout << ' ' << name << ' ' << std::fixed << std::setprecision(0)
                      << double(heaps * heap) / elapsed.count() / 1e6;
        }
        std::cout << " (MB/s)\n";
    }
    for (char *p : chunks)
        std::free(p);
    return 0;
}
