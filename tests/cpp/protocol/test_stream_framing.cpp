// Splitting a byte stream of back-to-back packets (TCP, memory buffers).
#include <chrono>
#include <cstdint>
#include <limits>
#include <vector>
#include <gtest/gtest.h>
#include <lightspead/protocol/stream_framing.h>
#include "wire.h"

using namespace lightspead;
using bytes = std::vector<std::uint8_t>;

namespace
{

constexpr std::size_t unlimited = std::numeric_limits<std::size_t>::max();

bytes packet_with_payload(std::size_t payload, std::uint64_t cnt)
{
    bytes p = wire::prefix(40, 0, cnt, payload, 0, payload);
    for (std::size_t i = 0; i < payload; i++)
        p.push_back(std::uint8_t(i + cnt));
    return p;
}

struct split
{
    std::vector<std::pair<std::size_t, std::size_t>> packets;  // (offset, size)
    std::size_t garbage = 0;
    std::size_t remainder = 0;
};

// Consume the whole of `data` as a reader would, with next_stream_frame
// or (given one) a stream_framer.
split walk(const bytes &data, std::size_t max_size, bool more_may_follow, stream_framer *framer = nullptr)
{
    split out;
    std::size_t pos = 0;
    while (pos < data.size())
    {
        const auto f = framer ? framer->next(data.data() + pos, data.size() - pos, more_may_follow)
                              : next_stream_frame(data.data() + pos, data.size() - pos, max_size, more_may_follow);
        if (f.kind == stream_frame_kind::incomplete)
        {
            out.remainder = data.size() - pos;
            break;
        }
        EXPECT_GE(f.size, 1u);
        if (f.kind == stream_frame_kind::garbage)
            out.garbage += f.size;
        else
            out.packets.emplace_back(pos, f.size);
        pos += f.size;
    }
    return out;
}

}  // anonymous namespace

TEST(stream_framing, splits_back_to_back_packets)
{
    const bytes a = packet_with_payload(16, 1), b = packet_with_payload(100, 2);
    bytes data = a;
    wire::append(data, b);
    auto f = next_stream_frame(data.data(), data.size(), unlimited, true);
    ASSERT_EQ(f.kind, stream_frame_kind::packet);
    EXPECT_EQ(f.size, a.size());
    EXPECT_EQ(f.packet.heap_cnt, 1);
    EXPECT_EQ(f.packet.payload, data.data() + a.size() - 16);
    f = next_stream_frame(data.data() + a.size(), b.size(), unlimited, false);
    ASSERT_EQ(f.kind, stream_frame_kind::packet);
    EXPECT_EQ(f.size, b.size());
    EXPECT_EQ(f.packet.heap_cnt, 2);
}

TEST(stream_framing, packet_larger_than_the_limit_is_oversized)
{
    const bytes a = packet_with_payload(100, 1);
    auto f = next_stream_frame(a.data(), a.size(), a.size() - 1, true);
    EXPECT_EQ(f.kind, stream_frame_kind::oversized);
    EXPECT_EQ(f.size, a.size());
    f = next_stream_frame(a.data(), a.size(), a.size(), true);
    EXPECT_EQ(f.kind, stream_frame_kind::packet);
}

TEST(stream_framing, partial_packet_waits_only_while_more_may_follow)
{
    const bytes a = packet_with_payload(100, 1);
    // Cut inside the header, the pointers and the payload
    for (std::size_t cut : {std::size_t(1), std::size_t(7), std::size_t(8), std::size_t(20), a.size() - 1})
    {
        auto f = next_stream_frame(a.data(), cut, unlimited, true);
        EXPECT_EQ(f.kind, stream_frame_kind::incomplete) << cut;
        EXPECT_EQ(f.size, 0u);
        f = next_stream_frame(a.data(), cut, unlimited, false);
        EXPECT_EQ(f.kind, stream_frame_kind::garbage) << cut;
        EXPECT_GE(f.size, 1u);
        EXPECT_LE(f.size, cut);
    }
}

TEST(stream_framing, partial_packet_beyond_the_limit_is_oversized_at_once)
{
    const bytes a = packet_with_payload(100, 1);
    // Header and pointers are here and say the packet will need a.size()
    // bytes, more than allowed: oversized at once, whether or not its
    // payload has arrived (so the result does not depend on timing), and
    // skipped whole, not searched for packets inside.
    for (std::size_t cut : {std::size_t(60), a.size() - 1, a.size()})
    {
        const auto f = next_stream_frame(a.data(), cut, a.size() - 1, true);
        EXPECT_EQ(f.kind, stream_frame_kind::oversized) << cut;
        EXPECT_EQ(f.size, a.size()) << cut;
    }
    // Without more to come, a partial packet is garbage as always
    EXPECT_EQ(next_stream_frame(a.data(), 60, a.size() - 1, false).kind, stream_frame_kind::garbage);
    // A payload that runs past its heap's length is no packet, whole or not
    bytes bad = wire::prefix(40, 0, 1, 50, 0, 100);
    bad.resize(bad.size() + 100, 7);
    for (std::size_t cut : {bad.size() - 50, bad.size()})
        EXPECT_EQ(next_stream_frame(bad.data(), cut, 64, true).kind, stream_frame_kind::garbage) << cut;
}

TEST(stream_framing, pointers_beyond_the_limit_are_garbage_whole_or_not)
{
    const bytes a = packet_with_payload(100, 1);  // 8 + 4 * 8 bytes of header and pointers
    for (std::size_t cut : {std::size_t(20), std::size_t(60), a.size()})
    {
        const auto f = next_stream_frame(a.data(), cut, 32, true);
        EXPECT_EQ(f.kind, stream_frame_kind::garbage) << cut;
        EXPECT_LE(f.size, cut);
    }
}

TEST(stream_framing, garbage_is_skipped_to_the_next_candidate)
{
    bytes data{0x00, 0x11, 0x53, 0x00, 0x22};
    const bytes a = packet_with_payload(8, 3);
    wire::append(data, a);
    const auto f = next_stream_frame(data.data(), data.size(), unlimited, true);
    EXPECT_EQ(f.kind, stream_frame_kind::garbage);
    EXPECT_EQ(f.size, 5u);  // 0x53 0x00 is no candidate: magic without version
    const auto g = next_stream_frame(data.data() + 5, data.size() - 5, unlimited, true);
    EXPECT_EQ(g.kind, stream_frame_kind::packet);
    EXPECT_EQ(g.packet.heap_cnt, 3);
}

TEST(stream_framing, empty_input_is_incomplete)
{
    const std::uint8_t byte = 0;
    for (bool more : {false, true})
    {
        const auto f = next_stream_frame(&byte, 0, unlimited, more);
        EXPECT_EQ(f.kind, stream_frame_kind::incomplete);
        EXPECT_EQ(f.size, 0u);
    }
}

TEST(stream_framing, every_byte_is_a_packet_or_skipped)
{
    bytes data{0x01, 0x02};
    wire::append(data, packet_with_payload(24, 1));
    data.push_back(0x53);
    wire::append(data, packet_with_payload(40, 2));
    const bytes b = packet_with_payload(300, 3);
    data.insert(data.end(), b.begin(), b.begin() + 50);  // cut short
    const auto s = walk(data, unlimited, false);
    std::size_t in_packets = 0;
    for (const auto &[offset, size] : s.packets)
        in_packets += size;
    EXPECT_EQ(s.packets.size(), 2u);
    EXPECT_EQ(in_packets + s.garbage, data.size());
    EXPECT_EQ(s.remainder, 0u);
}

TEST(stream_framing, any_split_of_the_input_gives_the_same_packets)
{
    bytes data{0x53, 0x04, 0x00};
    wire::append(data, packet_with_payload(24, 1));
    wire::append(data, packet_with_payload(200, 2));
    data.push_back(0x53);
    wire::append(data, packet_with_payload(0, 3));
    const auto whole = walk(data, unlimited, true);
    ASSERT_EQ(whole.packets.size(), 3u);
    for (std::size_t cut = 0; cut <= data.size(); cut++)
    {
        // A reader's buffer: the first piece, then the rest once it waits.
        bytes buffer(data.begin(), data.begin() + cut);
        std::size_t pos = 0, consumed = 0;
        bool appended = false;
        std::vector<std::pair<std::size_t, std::size_t>> packets;
        for (;;)
        {
            const auto f = next_stream_frame(buffer.data() + pos, buffer.size() - pos, unlimited, true);
            if (f.kind == stream_frame_kind::incomplete)
            {
                if (appended)
                    break;
                buffer.insert(buffer.end(), data.begin() + cut, data.end());
                appended = true;
                continue;
            }
            if (f.kind != stream_frame_kind::garbage)
                packets.emplace_back(consumed, f.size);
            pos += f.size;
            consumed += f.size;
            if (pos == buffer.size() && appended)
                break;
        }
        EXPECT_EQ(packets, whole.packets) << "cut at " << cut;
    }
}

TEST(stream_framing, a_short_prefix_that_cannot_start_a_packet_is_not_waited_for)
{
    // Fewer than 8 bytes: only a magic byte, or magic and version, can be
    // the start of a packet (found by the fuzzer: waiting on the others made
    // the result depend on how the bytes arrived).
    const bytes junk{0x53, 0x00, 0x01}, other{0x11, 0x53}, start{0x53, 0x04, 0x02}, magic{0x53};
    EXPECT_EQ(next_stream_frame(junk.data(), junk.size(), unlimited, true).kind, stream_frame_kind::garbage);
    EXPECT_EQ(next_stream_frame(other.data(), other.size(), unlimited, true).kind, stream_frame_kind::garbage);
    EXPECT_EQ(next_stream_frame(start.data(), start.size(), unlimited, true).kind, stream_frame_kind::incomplete);
    EXPECT_EQ(next_stream_frame(magic.data(), magic.size(), unlimited, true).kind, stream_frame_kind::incomplete);
}

namespace
{

// A candidate header with n item pointers (SPEAD-64-48), repeated: junk in
// which a packet could start every 8 bytes, each claiming up to 512 KiB of
// pointers that overlap the next ones'.
bytes header_junk(std::size_t size, std::uint16_t n_items)
{
    bytes junk;
    while (junk.size() < size)
        junk.insert(junk.end(),
                    {0x53, 0x04, 0x02, 0x06, 0x00, 0x00, std::uint8_t(n_items >> 8), std::uint8_t(n_items)});
    return junk;
}

double seconds_to_walk(const bytes &data, std::size_t max_size, split &out)
{
    const auto start = std::chrono::steady_clock::now();
    stream_framer framer(max_size);
    out = walk(data, max_size, false, &framer);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // anonymous namespace

TEST(stream_framer, resynchronises_in_linear_time)
{
    // 8 MiB of such junk took next_stream_frame 16-22 s (each candidate
    // read its 65535 pointers); the framer reads each byte a bounded number
    // of times. The bound is generous (about 0.05 s here, and a sanitizer
    // build is slower): a quadratic walk cannot meet it.
    const bytes good = packet_with_payload(100, 7);
    for (const std::size_t limit : {unlimited, std::size_t(65536)})
    {
        bytes data = header_junk(8 << 20, 0xffff);
        data.insert(data.end(), good.begin(), good.end());
        split out;
        EXPECT_LT(seconds_to_walk(data, limit, out), 5.0);
        ASSERT_EQ(out.packets.size(), 1u);
        EXPECT_EQ(out.packets[0], std::make_pair(data.size() - good.size(), good.size()));
        EXPECT_EQ(out.garbage, data.size() - good.size());
    }
}

TEST(stream_framer, finds_what_next_stream_frame_finds)
{
    // Candidates with many pointers, some of them the special ones, go
    // through the index; the result must not change. A packet with 200
    // pointers, junk whose candidates fail for each reason, and packets.
    bytes big = wire::prefix(48, 196, 3, 40, 0, 40);
    for (std::uint64_t i = 0; i < 196; i++)
        wire::imm(big, 48, 0x1000 + i, i);
    big.resize(big.size() + 40, 0xab);
    bytes data = header_junk(4096, 300);
    data.insert(data.end(), big.begin(), big.end());
    const bytes small = packet_with_payload(10, 4);
    data.insert(data.end(), small.begin(), small.end());
    bytes specials = header_junk(64, 40);
    wire::imm(specials, 48, 1, 9);  // a heap counter and a payload offset, no payload length
    wire::imm(specials, 48, 3, 0);
    for (int k = 0; k < 3; k++)
        data.insert(data.end(), specials.begin(), specials.end());
    data.insert(data.end(), big.begin(), big.end());
    for (const std::size_t limit : {unlimited, std::size_t(64), std::size_t(2000)})
        for (const bool more : {false, true})
        {
            stream_framer framer(limit);
            const split framed = walk(data, limit, more, &framer);
            const split plain = walk(data, limit, more);
            EXPECT_EQ(framed.packets, plain.packets) << limit << " " << more;
            EXPECT_EQ(framed.garbage, plain.garbage);
            EXPECT_EQ(framed.remainder, plain.remainder);
        }
    stream_framer framer(unlimited);
    EXPECT_EQ(walk(data, unlimited, false, &framer).packets.size(), 3u);
}

TEST(stream_framer, an_oversized_packet_inside_garbage_is_garbage)
{
    // A header claiming a huge payload, found while resynchronising, is
    // most likely junk: skipping it whole (as a real oversized packet is)
    // threw away the good packets after it.
    const bytes good = packet_with_payload(100, 7);
    const bytes bogus = wire::prefix(40, 0, 5, 1 << 20, 0, 1 << 20);  // 1 MiB of payload, not there
    bytes data{1, 2, 3};
    data.insert(data.end(), bogus.begin(), bogus.end());
    data.insert(data.end(), good.begin(), good.end());
    stream_framer framer(65536);
    const split framed = walk(data, 65536, true, &framer);
    ASSERT_EQ(framed.packets.size(), 1u);
    EXPECT_EQ(framed.packets[0].first, 3 + bogus.size());
    // next_stream_frame alone skips it whole, the good packet inside it
    const split plain = walk(data, 65536, true);
    ASSERT_EQ(plain.packets.size(), 1u);
    EXPECT_EQ(plain.packets[0], std::make_pair(std::size_t(3), bogus.size() + (1 << 20)));
    // A real oversized packet, straight after a packet (or at the start), is skipped whole
    bytes in_sync = good;
    const bytes large = packet_with_payload(70000, 8);
    in_sync.insert(in_sync.end(), large.begin(), large.end());
    in_sync.insert(in_sync.end(), good.begin(), good.end());
    stream_framer again(65536);
    const split synced = walk(in_sync, 65536, true, &again);
    EXPECT_EQ(synced.packets.size(), 3u);  // the oversized one is listed, with its size
    EXPECT_EQ(synced.packets[1].second, large.size());
    EXPECT_EQ(synced.garbage, 0u);
    EXPECT_FALSE(again.is_resynchronising());
}
