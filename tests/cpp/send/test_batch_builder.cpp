// Gathering packets into one transmit call: the three limits of a batch.
#include <numeric>
#include <vector>
#include <gtest/gtest.h>
#include <lightspead/protocol/flavour.h>
#include <lightspead/send/batch_builder.h>
#include <lightspead/send/heap.h>

using namespace lightspead;
using namespace lightspead::send;

namespace
{

struct fixture
{
    std::vector<std::uint8_t> data;
    heap h;

    explicit fixture(std::size_t bytes) : data(bytes), h(flavour())
    {
        std::iota(data.begin(), data.end(), 0);
        h.add_item(0x1000, data.data(), data.size(), false);
    }
};

// Fill the builder from one generator until it refuses or is full.
std::size_t fill(batch_builder &builder, packet_generator &gen, std::size_t heap)
{
    std::size_t added = 0;
    while (gen.has_next_packet() && !builder.is_full() && builder.add_packet(gen, 3, heap))
        added++;
    return added;
}

}  // anonymous namespace

TEST(batch_builder, packets_describe_the_heap_in_order)
{
    fixture f(10000);
    packet_generator gen(f.h, 7, 1500);
    batch_builder builder(1024, 64 * 1024, 0);
    const std::size_t n = fill(builder, gen, 42);
    EXPECT_FALSE(gen.has_next_packet());
    const packet_batch &batch = builder.get_batch();
    ASSERT_EQ(batch.packets.size(), n);
    std::size_t bytes = 0, iov_next = 0;
    for (const auto &p : batch.packets)
    {
        EXPECT_EQ(p.iov_first, iov_next);  // pieces follow each other
        std::size_t in_pieces = 0;
        for (std::size_t i = 0; i < p.iov_count; i++)
            in_pieces += batch.iov[p.iov_first + i].iov_len;
        EXPECT_EQ(in_pieces, p.size);
        EXPECT_LE(p.size, 1500u);
        EXPECT_EQ(p.substream, 3u);
        EXPECT_EQ(p.heap, 42u);
        iov_next += p.iov_count;
        bytes += p.size;
    }
    EXPECT_EQ(batch.bytes, bytes);
    EXPECT_GT(bytes, f.data.size());  // headers on top of the payload
}

TEST(batch_builder, stops_at_the_packet_count)
{
    fixture f(100000);
    packet_generator gen(f.h, 1, 1000);
    batch_builder builder(5, 64 * 1024, 0);
    EXPECT_EQ(fill(builder, gen, 0), 5u);
    EXPECT_TRUE(builder.is_full());
    EXPECT_TRUE(gen.has_next_packet());
}

TEST(batch_builder, stops_once_a_burst_of_bytes_is_reached)
{
    fixture f(100000);
    packet_generator gen(f.h, 1, 1000);
    batch_builder builder(1024, 64 * 1024, 2500);
    EXPECT_EQ(fill(builder, gen, 0), 3u);  // 2 x 1000 < 2500 <= 3 x 1000
    EXPECT_TRUE(builder.is_full());
    EXPECT_GE(builder.get_batch().bytes, 2500u);
}

TEST(batch_builder, refuses_a_header_that_does_not_fit_the_arena)
{
    fixture f(100000);
    packet_generator gen(f.h, 1, 1000);
    // A twin generator measures the first three headers (the first carries
    // the item pointer too, so they differ).
    packet_generator twin(f.h, 1, 1000);
    std::size_t three = 0;
    std::vector<iovec> scratch_iov;
    std::vector<std::uint8_t> scratch(twin.max_header_size());
    for (int i = 0; i < 3; i++)
    {
        three += twin.next_header_size();
        twin.next_packet(scratch.data(), scratch_iov);
    }
    batch_builder builder(1024, three + twin.next_header_size() / 2, 0);
    EXPECT_EQ(fill(builder, gen, 0), 3u);
    EXPECT_FALSE(builder.is_full());  // not full: out of header space
    const std::size_t before = builder.get_batch().iov.size();
    EXPECT_FALSE(builder.add_packet(gen, 0, 0));
    EXPECT_EQ(builder.get_batch().iov.size(), before);  // nothing appended
    EXPECT_EQ(builder.get_batch().packets.size(), 3u);
}

TEST(batch_builder, clear_starts_afresh)
{
    fixture f(100000);
    packet_generator gen(f.h, 1, 1000);
    batch_builder builder(2, 64 * 1024, 0);
    fill(builder, gen, 0);
    ASSERT_TRUE(builder.is_full());
    builder.clear();
    EXPECT_FALSE(builder.is_full());
    EXPECT_TRUE(builder.get_batch().packets.empty());
    EXPECT_EQ(builder.get_batch().bytes, 0u);
    EXPECT_EQ(fill(builder, gen, 0), 2u);
}

TEST(batch_builder, rejects_zero_packets)
{
    EXPECT_THROW(batch_builder(0, 1024, 0), std::invalid_argument);
}
