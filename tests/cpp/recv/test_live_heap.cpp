// A live heap's item pointers: the bound on how many distinct ones a heap
// may collect, and their order and uniqueness however many there are; and
// which copy writes its payload.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>
#include <gtest/gtest.h>
#include <lightspead/lightspead.h>
#include "wire.h"

using namespace lightspead;

namespace
{

constexpr int bits = 48;

// One packet of a 16-byte heap: 8 payload bytes at offset, and an
// immediate item for each ID in ids.
wire::bytes packet(std::uint64_t cnt, std::uint64_t offset, const std::vector<std::uint64_t> &ids)
{
    wire::bytes out = wire::prefix(bits, int(ids.size()), cnt, 16, offset, 8);
    for (std::uint64_t id : ids)
        wire::imm(out, bits, id, id + 1);
    out.insert(out.end(), 8, std::uint8_t(offset));
    return out;
}

recv::add_status add(recv::live_heap &h, const wire::bytes &bytes_, const recv::live_heap_limits &limits)
{
    packet_view p;
    EXPECT_EQ(decode_packet(bytes_.data(), bytes_.size(), p), packet_status::ok);
    const auto allocator = std::make_shared<memory_allocator>();  // allocators are shared
    return h.add_packet(p, limits, *allocator);
}

}  // anonymous namespace

TEST(live_heap, pointer_bound_counts_only_new_pointers)
{
    recv::live_heap_limits limits{1 << 20, false, get_memcpy(MEMCPY_STD), 3};
    recv::live_heap h(1, bits);
    ASSERT_EQ(add(h, packet(1, 0, {0x1000, 0x1001, 0x1002}), limits), recv::add_status::accepted);
    // Three more pointers in the packet, but none new: still within the bound.
    ASSERT_EQ(add(h, packet(1, 8, {0x1002, 0x1001, 0x1000}), limits), recv::add_status::accepted);
    EXPECT_TRUE(h.is_complete());
    EXPECT_EQ(h.get_pointers().size(), 3u);

    // A fourth distinct pointer is refused, and the refused packet changes nothing.
    recv::live_heap other(2, bits);
    ASSERT_EQ(add(other, packet(2, 0, {0x1000, 0x1001}), limits), recv::add_status::accepted);
    EXPECT_EQ(add(other, packet(2, 8, {0x1000, 0x1002, 0x1003}), limits), recv::add_status::too_many_pointers);
    EXPECT_EQ(other.get_pointers().size(), 2u);
    EXPECT_EQ(other.get_received_length(), 8u);
    EXPECT_FALSE(other.is_complete());
}

TEST(live_heap, many_pointers_stay_distinct_in_arrival_order)
{
    // More than the few kept inside the heap and than the threshold for an index.
    recv::live_heap_limits limits{1 << 20, false, get_memcpy(MEMCPY_STD)};
    recv::live_heap h(1, bits);
    std::vector<std::uint64_t> first, second;
    for (std::uint64_t id = 0x1000; id < 0x1000 + 30; id++)
        first.push_back(id);
    for (std::uint64_t id = 0x1000 + 50; id-- > 0x1000 + 20;)  // 20 new, 10 repeated, descending
        second.push_back(id);
    ASSERT_EQ(add(h, packet(1, 0, first), limits), recv::add_status::accepted);
    ASSERT_EQ(add(h, packet(1, 8, second), limits), recv::add_status::accepted);
    const pointer_codec codec(bits);
    std::vector<std::uint64_t> ids;
    for (item_pointer_t ptr : h.get_pointers())
        ids.push_back(codec.get_id(ptr));
    std::vector<std::uint64_t> expected = first;
    for (std::uint64_t id = 0x1000 + 50; id-- > 0x1000 + 30;)
        expected.push_back(id);
    EXPECT_EQ(ids, expected);
}

namespace
{

int std_copies = 0, large_copies = 0;

void *counting_std_copy(void *dest, const void *src, std::size_t n) noexcept
{
    std_copies++;
    return std::memcpy(dest, src, n);
}

void *counting_large_copy(void *dest, const void *src, std::size_t n) noexcept
{
    large_copies++;
    return std::memcpy(dest, src, n);
}

// Exposes the limits a stream gives its heaps.
class limits_stream : public recv::stream
{
public:
    using recv::stream::get_limits;
    limits_stream(thread_pool &pool, const recv::stream_config &config) : recv::stream(pool, config) {}
    ~limits_stream() override { stop(); }

private:
    void heap_ready(recv::live_heap &&) override {}
};

}  // anonymous namespace

TEST(live_heap, large_heaps_take_the_large_copy)
{
    // 16-byte heaps: at or over large_heap_size they are "large"
    for (const std::size_t threshold : {std::size_t(16), std::size_t(17)})
    {
        std_copies = large_copies = 0;
        recv::live_heap_limits limits{1 << 20, false, counting_std_copy, 1 << 20, counting_large_copy, threshold};
        recv::live_heap h(1, bits);
        ASSERT_EQ(add(h, packet(1, 0, {}), limits), recv::add_status::accepted);
        ASSERT_EQ(add(h, packet(1, 8, {}), limits), recv::add_status::accepted);
        ASSERT_TRUE(h.is_complete());
        EXPECT_EQ(large_copies, threshold == 16 ? 2 : 0);
        EXPECT_EQ(std_copies, threshold == 16 ? 0 : 2);
        EXPECT_EQ(h.get_payload()[0], 0);
        EXPECT_EQ(h.get_payload()[8], 8);
    }

    // Payload placed in memory the heap does not own keeps the ordinary copy
    std_copies = large_copies = 0;
    recv::live_heap_limits limits{1 << 20, false, counting_std_copy, 1 << 20, counting_large_copy, 1};
    recv::live_heap placed(2, bits);
    std::uint8_t memory[16];
    std::memset(memory, 0xff, sizeof(memory));
    placed.place_payload(memory, sizeof(memory));
    ASSERT_EQ(add(placed, packet(2, 0, {}), limits), recv::add_status::accepted);
    EXPECT_EQ(std_copies, 1);
    EXPECT_EQ(large_copies, 0);
    EXPECT_EQ(memory[0], 0);     // the packet's payload (its offset, 0)
    EXPECT_EQ(memory[8], 0xff);  // the second packet has not come
}

TEST(live_heap, streams_write_large_heaps_around_the_cache_unless_told)
{
    thread_pool pool;
    recv::stream_config config;
    {
        limits_stream s(pool, config);
        EXPECT_EQ(s.get_limits().copy, get_memcpy(MEMCPY_STD));
        // Streaming copies without a fence each: the stream fences once per heap
        EXPECT_EQ(s.get_limits().large_copy, detail::get_unfenced_memcpy(MEMCPY_NONTEMPORAL));
        EXPECT_EQ(s.get_limits().large_heap_size, recv::stream_config::nontemporal_heap_size);
    }
    {
        // Once the application chooses the copy, every heap gets that one
        config.set_memcpy(MEMCPY_STD);
        limits_stream s(pool, config);
        EXPECT_EQ(s.get_limits().copy, get_memcpy(MEMCPY_STD));
        EXPECT_EQ(s.get_limits().large_copy, nullptr);
    }
    config.set_memcpy(MEMCPY_NONTEMPORAL);
    limits_stream s(pool, config);
    EXPECT_EQ(s.get_limits().copy, detail::get_unfenced_memcpy(MEMCPY_NONTEMPORAL));
    EXPECT_EQ(s.get_limits().large_copy, nullptr);
}
