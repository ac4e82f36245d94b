// Flavours, item pointers and packet decoding.
#include <random>
#include <stdexcept>
#include <gtest/gtest.h>
#include <lightspead/lightspead.h>
#include "wire.h"

using namespace lightspead;

TEST(flavour, defaults_to_64_40)
{
    flavour f;
    EXPECT_EQ(f.get_version(), 4);
    EXPECT_EQ(f.get_item_pointer_bits(), 64);
    EXPECT_EQ(f.get_heap_address_bits(), 40);
    EXPECT_EQ(f.get_bug_compat(), 0u);
    EXPECT_EQ(f.get_id_limit(), std::uint64_t(1) << 23);
    EXPECT_EQ(f.get_address_limit(), std::uint64_t(1) << 40);
}

TEST(flavour, accepts_every_multiple_of_8)
{
    for (int a = 8; a < 64; a += 8)
    {
        flavour f(4, 64, a, BUG_COMPAT_PYSPEAD_0_5_2);
        EXPECT_EQ(f.get_heap_address_bits(), a);
        EXPECT_EQ(f.get_immediate_bytes(), a / 8);
    }
}

TEST(flavour, rejects_bad_fields)
{
    EXPECT_THROW(flavour(3, 64, 40), std::invalid_argument);
    EXPECT_THROW(flavour(4, 128, 40), std::invalid_argument);
    EXPECT_THROW(flavour(4, 64, 0), std::invalid_argument);
    EXPECT_THROW(flavour(4, 64, 64), std::invalid_argument);
    EXPECT_THROW(flavour(4, 64, 44), std::invalid_argument);
    EXPECT_THROW(flavour(4, 64, -8), std::invalid_argument);
    EXPECT_THROW(flavour(40, 8), std::invalid_argument);
    EXPECT_THROW(flavour(40, 0x80000000u), std::invalid_argument);
}

TEST(pointer_codec, round_trips)
{
    pointer_codec c(48);
    auto p = c.encode_immediate(0x1234, 0xabcdef);
    EXPECT_TRUE(pointer_codec::is_immediate(p));
    EXPECT_EQ(c.get_id(p), 0x1234u);
    EXPECT_EQ(c.get_value(p), 0xabcdefu);
    auto q = c.encode_address(0x7fff, (std::uint64_t(1) << 48) - 1);
    EXPECT_FALSE(pointer_codec::is_immediate(q));
    EXPECT_EQ(c.get_id(q), 0x7fffu);
    EXPECT_EQ(c.get_value(q), (std::uint64_t(1) << 48) - 1);
}

namespace
{

wire::bytes simple_packet(int a = 40)
{
    wire::bytes p = wire::prefix(a, 1, 7, 16, 8, 8);
    wire::addr(p, a, 0x50, 0);  // fits the 7-bit IDs of 64-56
    wire::append(p, wire::bytes{1, 2, 3, 4, 5, 6, 7, 8});
    return p;
}

}  // anonymous namespace

TEST(decode_packet, decodes_valid_packet)
{
    for (int a : {40, 48, 8, 56})
    {
        auto p = simple_packet(a);
        auto r = decode_packet(p.data(), p.size());
        ASSERT_TRUE(r) << to_string(r.status);
        EXPECT_EQ(r.packet.heap_cnt, 7);
        EXPECT_EQ(r.packet.heap_length, 16);
        EXPECT_EQ(r.packet.payload_offset, 8);
        EXPECT_EQ(r.packet.payload_length, 8);
        EXPECT_EQ(r.packet.heap_address_bits, a);
        EXPECT_EQ(r.packet.n_items, 5u);
        EXPECT_EQ(r.packet.size, p.size());
        EXPECT_EQ(r.packet.payload, p.data() + 48);
        EXPECT_EQ(pointer_codec(a).get_id(r.packet.pointer(4)), 0x50u);
    }
}

TEST(decode_packet, reports_size_of_first_packet_in_longer_buffer)
{
    auto p = simple_packet();
    auto two = p;
    wire::append(two, p);
    auto r = decode_packet(two.data(), two.size());
    ASSERT_TRUE(r);
    EXPECT_EQ(r.packet.size, p.size());
}

TEST(decode_packet, heap_length_is_optional)
{
    wire::bytes p = wire::header(40, 3);
    wire::imm(p, 40, 1, 3);
    wire::imm(p, 40, 3, 0);
    wire::imm(p, 40, 4, 2);
    wire::append(p, wire::bytes{9, 9});
    auto r = decode_packet(p.data(), p.size());
    ASSERT_TRUE(r);
    EXPECT_EQ(r.packet.heap_length, -1);
}

TEST(decode_packet, last_special_wins)
{
    wire::bytes p = wire::prefix(40, 1, 5, 100, 0, 1);
    wire::imm(p, 40, 1, 6);
    p.push_back(0);
    auto r = decode_packet(p.data(), p.size());
    ASSERT_TRUE(r);
    EXPECT_EQ(r.packet.heap_cnt, 6);
}

TEST(decode_packet, rejects_each_defect)
{
    auto good = simple_packet();
    auto check = [](wire::bytes p, packet_status expected)
    {
        auto r = decode_packet(p.data(), p.size());
        EXPECT_EQ(r.status, expected) << to_string(r.status) << " vs " << to_string(expected);
    };
    check(wire::bytes(good.begin(), good.begin() + 7), packet_status::too_short);
    {
        auto p = good;
        p[0] = 0x54;
        check(p, packet_status::bad_magic);
    }
    {
        auto p = good;
        p[1] = 3;
        check(p, packet_status::bad_version);
    }
    {
        auto p = good;
        p[2] = 4;
        check(p, packet_status::bad_widths);  // 4 + 5 != 8
    }
    {
        auto p = good;
        p[2] = 8;
        p[3] = 0;
        check(p, packet_status::bad_widths);
    }
    {
        auto p = good;
        p[7] = 100;
        check(p, packet_status::truncated_pointers);
    }
    {
        // Replace each required special with a null pointer in turn
        for (auto [index, status] :
             {std::pair{0, packet_status::missing_heap_cnt}, std::pair{2, packet_status::missing_payload_offset},
              std::pair{3, packet_status::missing_payload_length}})
        {
            auto p = good;
            std::fill(p.begin() + 8 + 8 * index, p.begin() + 16 + 8 * index, 0);
            check(p, status);
        }
    }
    {
        // Heap counter present but addressed, not immediate
        auto p = good;
        p[8] &= 0x7f;
        check(p, packet_status::missing_heap_cnt);
    }
    check(wire::bytes(good.begin(), good.end() - 1), packet_status::truncated_payload);
    {
        auto p = wire::prefix(40, 1, 7, 15, 8, 8);  // 8 + 8 > 15
        wire::addr(p, 40, 0x1000, 0);
        wire::append(p, wire::bytes(8, 0));
        check(p, packet_status::payload_beyond_heap);
    }
}

TEST(decode_packet, every_truncation_is_rejected)
{
    auto good = simple_packet();
    for (std::size_t len = 0; len < good.size(); len++)
        EXPECT_FALSE(decode_packet(good.data(), len)) << len;
}

TEST(decode_packet, random_bytes_never_crash)
{
    std::mt19937_64 rng(42);
    std::vector<std::uint8_t> buf(256);
    int accepted = 0;
    for (int i = 0; i < 100000; i++)
    {
        const std::size_t len = rng() % buf.size();
        for (auto &b : buf)
            b = rng();
        // Often make the header plausible so the deeper checks run too
        if (i % 2)
        {
            buf[0] = 0x53;
            buf[1] = 4;
            buf[2] = 3;
            buf[3] = 5;
            buf[6] = 0;
            buf[7] = rng() % 8;
        }
        auto r = decode_packet(buf.data(), len);
        if (r)
        {
            accepted++;
            EXPECT_LE(r.packet.size, len);
            EXPECT_LE(r.packet.payload + r.packet.payload_length, buf.data() + len);
        }
    }
    SUCCEED() << accepted << " random packets accepted";
}

TEST(packet_status, has_descriptions)
{
    EXPECT_STREQ(to_string(packet_status::ok), "ok");
    EXPECT_NE(std::string(to_string(packet_status::truncated_payload)).find("payload"), std::string::npos);
}

TEST(next_packet_candidate, finds_magic_and_version)
{
    const std::uint8_t a[] = {0x53, 4, 1, 0x53, 5, 0x53, 4, 0};
    EXPECT_EQ(next_packet_candidate(a, sizeof(a)), 5u);  // never offset 0
    const std::uint8_t b[] = {1, 2, 0x53};
    EXPECT_EQ(next_packet_candidate(b, sizeof(b)), 2u);  // more bytes may follow
    const std::uint8_t c[] = {1, 2, 3};
    EXPECT_EQ(next_packet_candidate(c, sizeof(c)), 3u);
    EXPECT_EQ(next_packet_candidate(c, 0), 0u);
}
