// registered_allocator: the region's layout, first-fit allocation with
// coalescing, the header space kept apart, and clear failures.
#include <cstdint>
#include <memory>
#include <new>
#include <stdexcept>
#include <vector>
#include <gtest/gtest.h>
#include <lightspead/send/registered_allocator.h>

using lightspead::send::registered_allocator;

TEST(registered_allocator, region_holds_the_size_and_the_header_space)
{
    auto a = std::make_shared<registered_allocator>(1000);
    EXPECT_EQ(a->get_size(), 1024u);  // rounded up to the alignment
    EXPECT_EQ(a->get_free(), 1024u);
    EXPECT_GE(a->get_region_size(), a->get_size() + registered_allocator::header_space);
    EXPECT_EQ(a->get_region_size() % (2 * 1024 * 1024), 0u);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a->get_region()) % (2 * 1024 * 1024), 0u);
}

TEST(registered_allocator, zero_size_is_refused)
{
    EXPECT_THROW(registered_allocator(0), std::invalid_argument);
}

TEST(registered_allocator, buffers_are_aligned_inside_and_disjoint)
{
    auto a = std::make_shared<registered_allocator>(1 << 20);
    std::vector<registered_allocator::pointer> buffers;
    for (std::size_t size : {1, 63, 64, 65, 4096, 100})
    {
        auto p = a->allocate(size);
        ASSERT_TRUE(p);
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p.get()) % registered_allocator::alignment, 0u);
        EXPECT_TRUE(a->contains(p.get(), size));
        EXPECT_EQ(p.get_deleter().get_size() % registered_allocator::alignment, 0u);
        EXPECT_GE(p.get_deleter().get_size(), size);
        for (const auto &q : buffers)
            EXPECT_TRUE(p.get() + size <= q.get() || q.get() + q.get_deleter().get_size() <= p.get());
        std::fill(p.get(), p.get() + size, 0xab);  // writable
        buffers.push_back(std::move(p));
    }
    EXPECT_EQ(a->get_free(), (1u << 20) - (64 + 64 + 64 + 128 + 4096 + 128));
}

TEST(registered_allocator, full_region_throws_and_freed_ranges_join)
{
    auto a = std::make_shared<registered_allocator>(3 * 4096);
    auto p1 = a->allocate(4096);
    auto p2 = a->allocate(4096);
    auto p3 = a->allocate(4096);
    EXPECT_EQ(a->get_free(), 0u);
    EXPECT_THROW(a->allocate(1), std::bad_alloc);
    EXPECT_THROW(a->allocate(std::size_t(1) << 40), std::bad_alloc);
    // Free the first and third, then the middle one: one range of 3 pages again
    p1.reset();
    p3.reset();
    EXPECT_THROW(a->allocate(2 * 4096), std::bad_alloc);  // two separate pages
    p2.reset();
    EXPECT_EQ(a->get_free(), 3u * 4096);
    auto whole = a->allocate(3 * 4096);
    EXPECT_EQ(whole.get(), a->get_region());
}

TEST(registered_allocator, header_space_is_apart_and_bounded)
{
    auto a = std::make_shared<registered_allocator>(4096);
    std::vector<registered_allocator::pointer> arenas;
    for (;;)
    {
        auto h = a->allocate_headers(256 * 1024);
        if (!h)
            break;
        EXPECT_TRUE(a->contains(h.get(), 256 * 1024));
        EXPECT_GE(h.get(), a->get_region() + a->get_size()) << "headers must not take the application's part";
        arenas.push_back(std::move(h));
    }
    EXPECT_GE(arenas.size(), registered_allocator::header_space / (256 * 1024));
    EXPECT_EQ(a->get_free(), 4096u);  // the application's part is untouched
    arenas.pop_back();
    EXPECT_TRUE(a->allocate_headers(256 * 1024));  // freed space is used again
}

TEST(registered_allocator, contains_checks_both_ends)
{
    auto a = std::make_shared<registered_allocator>(4096);
    const std::uint8_t *start = a->get_region();
    const std::size_t size = a->get_region_size();
    EXPECT_TRUE(a->contains(start, size));
    EXPECT_TRUE(a->contains(start + size - 1, 1));
    EXPECT_FALSE(a->contains(start + size - 1, 2));
    EXPECT_FALSE(a->contains(start - 1, 1));
    EXPECT_FALSE(a->contains(start + 1, SIZE_MAX));
}

TEST(registered_allocator, buffers_keep_the_region_alive)
{
    auto a = std::make_shared<registered_allocator>(4096);
    auto p = a->allocate(4096);
    a.reset();
    std::fill(p.get(), p.get() + 4096, 1);  // still mapped (ASan would object otherwise)
    EXPECT_EQ(p[4095], 1);
}
