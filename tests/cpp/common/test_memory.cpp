// Memory: pools, allocators and the copy functions the receive path uses.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <fstream>
#include <map>
#include <mutex>
#include <numeric>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>
#include <sys/mman.h>
#include <unistd.h>
#include <boost/asio.hpp>
#include <gtest/gtest.h>
#include <lightspead/lightspead.h>
#include "heap_packets.h"
#include "recv/receive_helpers.h"
#include "wire.h"

using namespace lightspead;
using bytes = std::vector<std::uint8_t>;
using namespace recv_test;

TEST(memory_pool, recycles_buffers)
{
    auto pool = std::make_shared<memory_pool>(100, 1000, 2, 1);
    EXPECT_EQ(pool->free_buffers(), 1u);
    std::uint8_t *first;
    {
        auto p = pool->allocate(500);
        first = p.get();
        EXPECT_EQ(pool->free_buffers(), 0u);
        p[999] = 1;  // pool buffers are `upper` bytes
    }
    EXPECT_EQ(pool->free_buffers(), 1u);
    auto q = pool->allocate(1000);
    EXPECT_EQ(q.get(), first);
    auto big = pool->allocate(5000);  // outside the range: not pooled
    big.reset();
    EXPECT_EQ(pool->free_buffers(), 0u);
    EXPECT_THROW(memory_pool(10, 5, 1, 0), std::invalid_argument);
    EXPECT_THROW(memory_pool(0, 0, 1, 0), std::invalid_argument);
    EXPECT_THROW(memory_pool(0, 10, 1, 2), std::invalid_argument);
}

TEST(memory_pool, mmap_allocator)
{
    auto a = std::make_shared<mmap_allocator>(MAP_POPULATE, true);
    auto p = a->allocate(1 << 20);
    p[0] = 1;
    p[(1 << 20) - 1] = 2;
    EXPECT_EQ(p[0] + p[(1 << 20) - 1], 3);
    // The flags reach mmap: huge pages of 2^31 bytes do not exist
    mmap_allocator impossible(MAP_HUGETLB | (31 << MAP_HUGE_SHIFT));
    EXPECT_THROW(impossible.allocate(4096), std::bad_alloc);
}

namespace
{

/// AnonHugePages, in KiB, of the mapping that starts at @a addr (from /proc/self/smaps).
long huge_kib_at(const void *addr)
{
    std::ifstream smaps("/proc/self/smaps");
    std::string line;
    bool in_mapping = false;
    while (std::getline(smaps, line))
    {
        const auto dash = line.find('-');
        if (dash != std::string::npos && dash > 0 && line.find(' ') > dash && std::isxdigit(line[0]))
            in_mapping = std::stoull(line.substr(0, dash), nullptr, 16) <= reinterpret_cast<std::uintptr_t>(addr)
                && reinterpret_cast<std::uintptr_t>(addr)
                    < std::stoull(line.substr(dash + 1, line.find(' ') - dash - 1), nullptr, 16);
        else if (in_mapping && line.rfind("AnonHugePages:", 0) == 0)
            return std::stol(line.substr(14));
    }
    return -1;
}

bool transparent_huge_pages_possible()
{
    std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
    std::string modes;
    std::getline(f, modes);
    return modes.find("[never]") == std::string::npos && !modes.empty();
}

}  // namespace

TEST(memory_pool, mmap_allocator_populates_huge_pages)
{
    // MAP_POPULATE with huge pages preferred: every page is resident before
    // the first write, and the pages are huge ones (populating before the
    // madvise would fault in 4 KiB pages).
    const std::size_t size = 16 << 20;
    auto a = std::make_shared<mmap_allocator>(MAP_POPULATE, true);
    auto p = a->allocate(size);
    const std::size_t page = sysconf(_SC_PAGESIZE);
    std::vector<unsigned char> resident(size / page);
    ASSERT_EQ(mincore(p.get(), size, resident.data()), 0);
    EXPECT_EQ(std::count_if(resident.begin(), resident.end(), [](unsigned char r) { return r & 1; }),
              std::ptrdiff_t(resident.size()));
    // Sizes whose rounding up to whole huge pages would wrap are refused.
    EXPECT_THROW(a->allocate(SIZE_MAX), std::bad_alloc);
    EXPECT_THROW(a->allocate(SIZE_MAX - (1 << 20)), std::bad_alloc);
    // A buffer smaller than a huge page gets one to itself, aligned.
    auto small = a->allocate(512 * 1024);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(small.get()) % (2 << 20), 0u);
    EXPECT_EQ(allocation_size(small), 512u * 1024u);
    // Without MAP_POPULATE nothing is faulted in.
    auto lazy = std::make_shared<mmap_allocator>(0, true)->allocate(size);
    ASSERT_EQ(mincore(lazy.get(), size, resident.data()), 0);
    EXPECT_EQ(std::count_if(resident.begin(), resident.end(), [](unsigned char r) { return r & 1; }), 0);
    // What needs the kernel's huge pages comes last: all of the above holds without them.
    if (!transparent_huge_pages_possible())
        GTEST_SKIP() << "transparent huge pages are disabled on this machine";
    // The kernel may not find free 2 MiB blocks for all of it, but for some.
    EXPECT_GT(huge_kib_at(p.get()), 0);
    EXPECT_GT(huge_kib_at(small.get()), 0);
}

namespace
{

// A user's allocator as spead2 programs write one: allocate(size, hint)
// overridden, buffers freed by a function deleter.
class function_deleter_allocator : public memory_allocator
{
public:
    std::size_t allocated = 0, freed = 0;
    bool hints_null = true;

    pointer allocate(std::size_t size, void *hint) override
    {
        allocated++;
        hints_null = hints_null && hint == nullptr;
        return pointer(new std::uint8_t[size],
                       [this](std::uint8_t *p)
                       {
                           freed++;
                           delete[] p;
                       });
    }
};

}  // anonymous namespace

TEST(memory_allocator, user_allocator_with_function_deleter_receives_heaps)
{
    auto allocator = std::make_shared<function_deleter_allocator>();
    const auto data = pattern(20000, 3);
    send::heap h;
    h.add_item(0x1000, data.data(), data.size(), false);
    recv::stream_config config;
    config.set_memory_allocator(allocator);
    {
        auto r = receive_buffer(concat(packets_of(h, 1, 9000)), config);
        ASSERT_EQ(r.heaps.size(), 1u);
        EXPECT_EQ(item_bytes(*find_item(r.heaps[0], 0x1000)), data);
        EXPECT_GE(allocator->allocated, 1u);
        EXPECT_TRUE(allocator->hints_null);
    }
    EXPECT_EQ(allocator->freed, allocator->allocated);  // the heap has gone
}

TEST(memory_allocator, deleter_says_where_buffers_go)
{
    auto allocator = std::make_shared<memory_allocator>();
    auto p = allocator->allocate(16);
    EXPECT_EQ(p.get_deleter().get_allocator(), allocator);
    EXPECT_EQ(p.get_deleter().get_user(), nullptr);
    int calls = 0;
    {
        memory_allocator::pointer q(new std::uint8_t[4],
                                    [&calls](std::uint8_t *ptr)
                                    {
                                        calls++;
                                        delete[] ptr;
                                    });
        EXPECT_EQ(q.get_deleter().get_allocator(), nullptr);
    }
    EXPECT_EQ(calls, 1);
    memory_allocator::deleter d(allocator, &calls);
    EXPECT_EQ(d.get_user(), &calls);
    memory_allocator::deleter none;
    none(nullptr);  // an empty deleter does nothing
}

TEST(memory_pool, warn_on_empty_can_be_turned_off)
{
    auto pool = std::make_shared<memory_pool>(0, 4096, 1, 0);
    EXPECT_TRUE(pool->get_warn_on_empty());
    pool->set_warn_on_empty(false);
    EXPECT_FALSE(pool->get_warn_on_empty());
    EXPECT_NE(pool->allocate(100).get(), nullptr);  // still allocates, silently
}

namespace
{

// Every destination alignment and the lengths around each variant's line
// and alignment sizes, checked byte for byte, bytes around untouched.
void check_copies_every_alignment_and_length(memcpy_function copy)
{
    auto src = pattern(1000, 11);
    for (std::size_t offset = 0; offset < 70; offset++)  // every residue of a 64-byte line
        for (std::size_t n :
             {0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 200, 511, 512, 513, 575, 576, 577, 640, 900})
        {
            bytes dest(1000 + 80, 0xee);
            ASSERT_EQ(copy(dest.data() + offset, src.data() + 3, n), dest.data() + offset);
            for (std::size_t i = 0; i < dest.size(); i++)
            {
                const std::uint8_t expected = (i >= offset && i < offset + n) ? src[3 + i - offset] : 0xee;
                ASSERT_EQ(dest[i], expected) << "offset " << offset << " n " << n << " i " << i;
            }
        }
}

}  // anonymous namespace

TEST(memcpy, nontemporal_copies_every_alignment_and_length)
{
    check_copies_every_alignment_and_length(memcpy_nontemporal);
    check_copies_every_alignment_and_length(get_memcpy(MEMCPY_NONTEMPORAL));
    check_copies_every_alignment_and_length(get_memcpy(MEMCPY_STD));
    EXPECT_THROW(get_memcpy(memcpy_mode(7)), std::invalid_argument);
}

// Checked after store_fence, as a stream reads them: the same bytes as the
// fenced copies, and a different function only where there is a fence to leave out.
static void *unfenced_then_fence(void *dest, const void *src, std::size_t n) noexcept
{
    void *ret = detail::get_unfenced_memcpy(MEMCPY_NONTEMPORAL)(dest, src, n);
    detail::store_fence();
    return ret;
}

TEST(memcpy, unfenced_copies_copy_every_alignment_and_length)
{
    check_copies_every_alignment_and_length(unfenced_then_fence);
    EXPECT_EQ(detail::get_unfenced_memcpy(MEMCPY_STD), get_memcpy(MEMCPY_STD));
    EXPECT_THROW(detail::get_unfenced_memcpy(memcpy_mode(7)), std::invalid_argument);
#if defined(__x86_64__)
    EXPECT_NE(detail::get_unfenced_memcpy(MEMCPY_NONTEMPORAL), get_memcpy(MEMCPY_NONTEMPORAL));
#endif
}

#if defined(__x86_64__)
TEST(memcpy, each_nontemporal_variant_copies_every_alignment_and_length)
{
    check_copies_every_alignment_and_length(detail::memcpy_nontemporal_sse2);
    check_copies_every_alignment_and_length(
        [](void *dest, const void *src, std::size_t n) noexcept
        {
            void *ret = detail::memcpy_nontemporal_sse2_unfenced(dest, src, n);
            detail::store_fence();
            return ret;
        });
    if (!detail::cpu_has_avx2())
        GTEST_SKIP() << "no AVX2 on this CPU";
    check_copies_every_alignment_and_length(detail::memcpy_nontemporal_avx2);
    check_copies_every_alignment_and_length(
        [](void *dest, const void *src, std::size_t n) noexcept
        {
            void *ret = detail::memcpy_nontemporal_avx2_unfenced(dest, src, n);
            detail::store_fence();
            return ret;
        });
    EXPECT_EQ(get_memcpy(MEMCPY_NONTEMPORAL), memcpy_function(detail::memcpy_nontemporal_avx2));
    EXPECT_EQ(detail::get_unfenced_memcpy(MEMCPY_NONTEMPORAL),
              memcpy_function(detail::memcpy_nontemporal_avx2_unfenced));
}
#endif

TEST(memory_pool, refills_in_the_background)
{
    thread_pool pool;
    auto mp = std::make_shared<memory_pool>(pool, 0, 4096, 8, 2, 4);
    EXPECT_EQ(mp->free_buffers(), 2u);
    {
        auto a = mp->allocate(100);  // leaves 1 < low_water 4: refill starts
        for (int i = 0; i < 100 && mp->free_buffers() < 4; i++)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        EXPECT_EQ(mp->free_buffers(), 4u);
    }
    EXPECT_EQ(mp->free_buffers(), 5u);  // a came back; max_free is 8
    EXPECT_THROW(memory_pool(pool, 0, 10, 2, 1, 3), std::invalid_argument);
}
