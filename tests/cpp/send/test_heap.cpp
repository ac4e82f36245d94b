// Golden-byte tests: heaps cut into packets exactly as WIRE-NOTES.md says.
#include <algorithm>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <gtest/gtest.h>
#include <lightspead/lightspead.h>
#include "heap_packets.h"
#include "wire.h"

using namespace lightspead;

namespace
{

wire::bytes iota_bytes(std::size_t n)
{
    wire::bytes out(n);
    std::iota(out.begin(), out.end(), std::uint8_t(1));
    return out;
}

}  // anonymous namespace

TEST(send_heap, empty_heap)
{
    send::heap h;
    auto packets = packets_of(h, 1, 1472);
    wire::bytes expected = wire::prefix(40, 1, 1, 1, 0, 1);
    wire::addr(expected, 40, 0, 0);  // null pointer: padding starts at 0
    expected.push_back(0);
    ASSERT_EQ(packets.size(), 1u);
    EXPECT_EQ(packets[0], expected);
}

TEST(send_heap, start_and_stop_heaps)
{
    for (auto [add, value] : {std::pair{&send::heap::add_start, 0}, std::pair{&send::heap::add_end, 2}})
    {
        send::heap h;
        (h.*add)();
        auto packets = packets_of(h, 3, 1472);
        wire::bytes expected = wire::prefix(40, 2, 3, 1, 0, 1);
        wire::imm(expected, 40, STREAM_CTRL_ID, value);
        wire::addr(expected, 40, 0, 0);
        expected.push_back(0);
        ASSERT_EQ(packets.size(), 1u);
        EXPECT_EQ(packets[0], expected);
    }
}

TEST(send_heap, worked_example_72_bytes_64_48)
{
    // With an 88-byte limit, packet 1 holds the four specials and the item
    // pointer (5 pointers) and 40 payload bytes; packet 2 the specials and
    // the remaining 32 bytes.
    send::heap h(flavour(48));
    auto data = iota_bytes(72);
    h.add_item(0x1000, data.data(), data.size(), false);
    auto packets = packets_of(h, 0x42, 88);
    ASSERT_EQ(packets.size(), 2u);
    wire::bytes p1 = wire::prefix(48, 1, 0x42, 72, 0, 40);
    wire::addr(p1, 48, 0x1000, 0);
    p1.insert(p1.end(), data.begin(), data.begin() + 40);
    wire::bytes p2 = wire::prefix(48, 0, 0x42, 72, 40, 32);
    p2.insert(p2.end(), data.begin() + 40, data.end());
    EXPECT_EQ(packets[0], p1);
    EXPECT_EQ(packets[1], p2);
}

TEST(send_heap, worked_example_136_bytes_64_48)
{
    send::heap h(flavour(48));
    auto data = iota_bytes(136);
    h.add_item(0x1000, data.data(), data.size(), false);
    auto packets = packets_of(h, 1, 88);
    ASSERT_EQ(packets.size(), 3u);
    const std::size_t lengths[] = {40, 48, 48};
    std::size_t offset = 0;
    for (int i = 0; i < 3; i++)
    {
        wire::bytes p = wire::prefix(48, i == 0, 1, 136, offset, lengths[i]);
        if (i == 0)
            wire::addr(p, 48, 0x1000, 0);
        p.insert(p.end(), data.begin() + offset, data.begin() + offset + lengths[i]);
        EXPECT_EQ(packets[i], p) << "packet " << i;
        offset += lengths[i];
    }
}

TEST(send_heap, packet_size_rounded_down_to_multiple_of_8)
{
    send::heap h(flavour(48));
    auto data = iota_bytes(72);
    h.add_item(0x1000, data.data(), data.size(), false);
    EXPECT_EQ(packets_of(h, 1, 95), packets_of(h, 1, 88));
}

TEST(send_heap, pointers_spread_over_packets_and_items_cut_freely)
{
    // Limit 88: (88 - 48) / 8 = 5 non-special pointers per packet. Seven
    // 4-byte addressed items: packet 1 takes 5 pointers and 8 bytes of
    // payload, packet 2 the other 2 pointers and the remaining 20 bytes.
    send::heap h(flavour(48));
    auto data = iota_bytes(28);
    for (int i = 0; i < 7; i++)
        h.add_item(0x1000 + i, data.data() + 4 * i, 4, false);
    auto packets = packets_of(h, 1, 88);
    ASSERT_EQ(packets.size(), 2u);
    wire::bytes p1 = wire::prefix(48, 5, 1, 28, 0, 8);
    for (int i = 0; i < 5; i++)
        wire::addr(p1, 48, 0x1000 + i, 4 * i);
    p1.insert(p1.end(), data.begin(), data.begin() + 8);
    wire::bytes p2 = wire::prefix(48, 2, 1, 28, 8, 20);
    for (int i = 5; i < 7; i++)
        wire::addr(p2, 48, 0x1000 + i, 4 * i);
    p2.insert(p2.end(), data.begin() + 8, data.end());
    EXPECT_EQ(packets[0], p1);
    EXPECT_EQ(packets[1], p2);
}

TEST(send_heap, padding_when_pointers_outnumber_payload)
{
    // Ten immediates at 5 per packet need 3 packets (two full of pointers,
    // then the null pointer), so the payload is padded to 2 * 8 + 1 bytes.
    send::heap h(flavour(48));
    for (int i = 0; i < 10; i++)
        h.add_item(0x1000 + i, item_pointer_t(i));
    auto packets = packets_of(h, 1, 88);
    ASSERT_EQ(packets.size(), 3u);
    for (int k = 0; k < 2; k++)
    {
        wire::bytes p = wire::prefix(48, 5, 1, 17, 8 * k, 8);
        for (int i = 5 * k; i < 5 * k + 5; i++)
            wire::imm(p, 48, 0x1000 + i, i);
        p.insert(p.end(), 8, 0);
        EXPECT_EQ(packets[k], p) << k;
    }
    wire::bytes p3 = wire::prefix(48, 1, 1, 17, 16, 1);
    wire::addr(p3, 48, 0, 0);
    p3.push_back(0);
    EXPECT_EQ(packets[2], p3);
}

TEST(send_heap, immediates_right_justified)
{
    send::heap h;  // 64-40: 5-byte immediates
    const std::uint8_t three[] = {0xaa, 0xbb, 0xcc};
    const std::uint8_t six[] = {1, 2, 3, 4, 5, 6};
    h.add_item(0x1000, three, sizeof(three), true);    // fits: immediate
    h.add_item(0x1001, six, sizeof(six), true);        // too long: addressed
    h.add_item(0x1002, three, sizeof(three), false);   // not allowed: addressed
    h.add_item(0x1003, item_pointer_t(0x0102030405));  // inline value
    auto packets = packets_of(h, 1, 1472);
    ASSERT_EQ(packets.size(), 1u);
    wire::bytes p = wire::prefix(40, 4, 1, 9, 0, 9);
    wire::imm(p, 40, 0x1000, 0xaabbcc);
    wire::addr(p, 40, 0x1001, 0);
    wire::addr(p, 40, 0x1002, 6);
    wire::imm(p, 40, 0x1003, 0x0102030405);
    p.insert(p.end(), six, six + 6);
    p.insert(p.end(), three, three + 3);
    EXPECT_EQ(packets[0], p);
}

TEST(send_heap, repeat_pointers)
{
    send::heap h(flavour(48));
    auto data = iota_bytes(100);
    h.add_item(0x1000, item_pointer_t(5));
    h.add_item(0x1001, data.data(), data.size(), false);
    h.set_repeat_pointers(true);
    EXPECT_TRUE(h.get_repeat_pointers());
    auto packets = packets_of(h, 1, 88);
    // Every packet carries both pointers: 88 - 56 = 32 payload bytes each.
    ASSERT_EQ(packets.size(), 4u);
    for (std::size_t k = 0; k < packets.size(); k++)
    {
        const std::size_t len = std::min<std::size_t>(32, 100 - 32 * k);
        wire::bytes p = wire::prefix(48, 2, 1, 100, 32 * k, len);
        wire::imm(p, 48, 0x1000, 5);
        wire::addr(p, 48, 0x1001, 0);
        p.insert(p.end(), data.begin() + 32 * k, data.begin() + 32 * k + len);
        EXPECT_EQ(packets[k], p) << k;
    }
}

TEST(send_heap, repeat_pointers_must_fit_one_packet)
{
    send::heap h(flavour(48));
    for (int i = 0; i < 5; i++)  // 5 pointers + null > 5 per packet
        h.add_item(0x1000 + i, item_pointer_t(i));
    h.set_repeat_pointers(true);
    EXPECT_THROW(send::packet_generator(h, 1, 88), std::invalid_argument);
}

TEST(send_heap, descriptors_64_40_and_64_48)
{
    for (int a : {40, 48})
    {
        descriptor d;
        d.id = 0x1600;
        d.name = "timestamp";
        d.description = "Index of the first sample";
        d.format = {{'u', a}};
        send::heap h{flavour(a)};
        h.add_descriptor(d);
        auto blob = encode_descriptor(d, flavour(a));
        auto packets = packets_of(h, 1, 1472);
        ASSERT_EQ(packets.size(), 1u);
        wire::bytes p = wire::prefix(a, 1, 1, blob.size(), 0, blob.size());
        wire::addr(p, a, DESCRIPTOR_ID, 0);
        wire::append(p, blob);
        EXPECT_EQ(packets[0], p);
    }
}

TEST(send_heap, owned_string_and_vector_items)
{
    send::heap h;
    {
        std::string s = "hello world";
        std::vector<std::uint8_t> v{1, 2, 3, 4, 5, 6, 7};
        h.add_item(0x1000, s, false);
        h.add_item(0x1001, v, false);
    }  // the heap keeps its own copies
    auto packets = packets_of(h, 1, 1472);
    ASSERT_EQ(packets.size(), 1u);
    wire::bytes p = wire::prefix(40, 2, 1, 18, 0, 18);
    wire::addr(p, 40, 0x1000, 0);
    wire::addr(p, 40, 0x1001, 11);
    wire::append(p, std::string("hello world"));
    wire::append(p, wire::bytes{1, 2, 3, 4, 5, 6, 7});
    EXPECT_EQ(packets[0], p);
}

TEST(send_heap, large_heap_packets_reassemble)
{
    send::heap h;
    auto data = iota_bytes(1 << 20);
    h.add_item(0x1000, item_pointer_t(12345));
    h.add_item(0x1001, data.data(), data.size(), true);
    auto packets = packets_of(h, 9, 9000);
    wire::bytes payload;
    item_pointer_t expected_offset = 0;
    for (std::size_t i = 0; i < packets.size(); i++)
    {
        auto r = decode_packet(packets[i].data(), packets[i].size());
        ASSERT_TRUE(r) << to_string(r.status);
        EXPECT_EQ(r.packet.size, packets[i].size());
        EXPECT_EQ(r.packet.heap_cnt, 9);
        EXPECT_EQ(r.packet.heap_length, 1 << 20);
        EXPECT_EQ(item_pointer_t(r.packet.payload_offset), expected_offset);
        if (i + 1 < packets.size())
        {
            EXPECT_EQ(packets[i].size(), 9000u);
        }
        payload.insert(payload.end(), r.packet.payload, r.packet.payload + r.packet.payload_length);
        expected_offset += r.packet.payload_length;
    }
    EXPECT_EQ(payload, data);
}

TEST(send_heap, rejects_bad_items)
{
    send::heap h;
    std::uint8_t byte = 0;
    EXPECT_THROW(h.add_item(0, item_pointer_t(1)), std::invalid_argument);
    EXPECT_THROW(h.add_item(HEAP_CNT_ID, item_pointer_t(1)), std::invalid_argument);
    EXPECT_THROW(h.add_item(PAYLOAD_LENGTH_ID, &byte, 1, false), std::invalid_argument);
    EXPECT_THROW(h.add_item(-1, item_pointer_t(1)), std::invalid_argument);
    EXPECT_THROW(h.add_item(std::int64_t(1) << 23, item_pointer_t(1)), std::invalid_argument);
    EXPECT_THROW(h.add_item(0x1000, item_pointer_t(1) << 40), std::invalid_argument);
    EXPECT_THROW(h.add_item(0x1000, -5), std::invalid_argument);
    EXPECT_THROW(h.add_item(0x1000, nullptr, 10, false), std::invalid_argument);
    EXPECT_NO_THROW(h.add_item(0x1000, nullptr, 0, false));
    EXPECT_NO_THROW(h.add_item(0x1000, (item_pointer_t(1) << 40) - 1));
    descriptor d;  // ID 0
    EXPECT_THROW(h.add_descriptor(d), std::invalid_argument);
    EXPECT_EQ(h.get_items().size(), 2u);  // failed calls left no trace
}

TEST(send_heap, rejects_bad_generator_arguments)
{
    send::heap h;
    EXPECT_THROW(send::packet_generator(h, 1, 55), std::invalid_argument);
    EXPECT_NO_THROW(send::packet_generator(h, 1, 56));
    EXPECT_THROW(send::packet_generator(h, item_pointer_t(1) << 40, 1472), std::invalid_argument);
    send::heap h8{flavour(8)};
    std::vector<std::uint8_t> big(256);
    h8.add_item(0x1000, big.data(), big.size(), false);  // 256 bytes > 8-bit addresses
    EXPECT_THROW(send::packet_generator(h8, 1, 1472), std::invalid_argument);
}

TEST(send_heap, items_changed_in_place_through_handles)
{
    // A heap reused for many sends, as spead2 programs do it
    send::heap h;
    const auto a = iota_bytes(8), b = wire::bytes(8, 0xee);
    const send::heap::item_handle value = h.add_item(0x1000, a.data(), a.size(), false);
    const send::heap::item_handle count = h.add_item(0x1001, item_pointer_t(5));
    EXPECT_EQ(value, 0u);
    EXPECT_EQ(count, 1u);
    const auto first = packets_of(h, 1, 1472);
    h.get_item(value).data.buffer.ptr = b.data();
    h.get_item(count).data.immediate = 6;
    const auto second = packets_of(h, 1, 1472);
    ASSERT_EQ(first.size(), 1u);
    ASSERT_EQ(second.size(), 1u);
    EXPECT_EQ(wire::bytes(first[0].end() - 8, first[0].end()), a);
    EXPECT_EQ(wire::bytes(second[0].end() - 8, second[0].end()), b);
    EXPECT_NE(first[0], second[0]);
    EXPECT_THROW(h.get_item(2), std::out_of_range);
    const send::heap &ch = h;
    EXPECT_EQ(ch.get_item(count).data.immediate, 6u);
    // Values that add_item would refuse are refused when sent
    h.get_item(count).data.immediate = item_pointer_t(1) << 40;
    EXPECT_THROW(send::packet_generator(h, 1, 1472), std::invalid_argument);
    h.get_item(count).data.immediate = 6;
    h.get_item(value).data.buffer.ptr = nullptr;
    EXPECT_THROW(send::packet_generator(h, 1, 1472), std::invalid_argument);
}

TEST(send_heap, owns_pointers_given_to_it)
{
    send::heap h;
    auto data = std::make_unique<std::uint8_t[]>(4);
    std::fill_n(data.get(), 4, 0x5a);
    h.add_item(0x1000, data.get(), 4, false);
    h.add_pointer(std::move(data));
    EXPECT_EQ(data, nullptr);
    send::heap moved = std::move(h);
    const auto packets = packets_of(moved, 1, 1472);
    ASSERT_EQ(packets.size(), 1u);
    EXPECT_EQ(wire::bytes(packets[0].end() - 4, packets[0].end()), wire::bytes(4, 0x5a));
}

TEST(send_heap, is_movable)
{
    send::heap a;
    a.add_item(0x1000, std::string("abc"), false);
    send::heap b = std::move(a);
    a = send::heap();
    EXPECT_TRUE(a.get_items().empty());
    ASSERT_EQ(b.get_items().size(), 1u);
    EXPECT_EQ(std::string(reinterpret_cast<const char *>(b.get_items()[0].data.buffer.ptr), 3), "abc");
}

TEST(send_heap, every_flavour_round_trips)
{
    for (int a = 8; a < 64; a += 8)
    {
        const flavour f(a);
        send::heap h(f);
        auto data = iota_bytes(200);  // fits even 8-bit heap addresses
        const item_pointer_t id = f.get_id_limit() - 1;
        const item_pointer_t value = f.get_address_limit() - 1;
        h.add_item(id, value);
        h.add_item(id - 1, data.data(), data.size(), false);
        auto packets = packets_of(h, f.get_address_limit() - 1, 64);
        const pointer_codec codec(a);
        wire::bytes payload;
        bool saw_immediate = false;
        for (const auto &p : packets)
        {
            auto r = decode_packet(p.data(), p.size());
            ASSERT_TRUE(r) << "A=" << a << ": " << to_string(r.status);
            EXPECT_EQ(r.packet.heap_address_bits, a);
            EXPECT_EQ(item_pointer_t(r.packet.heap_cnt), f.get_address_limit() - 1);
            for (std::size_t i = 4; i < r.packet.n_items; i++)
            {
                auto ptr = r.packet.pointer(i);
                if (codec.get_id(ptr) == id)
                {
                    EXPECT_TRUE(pointer_codec::is_immediate(ptr));
                    EXPECT_EQ(codec.get_value(ptr), value);
                    saw_immediate = true;
                }
            }
            payload.insert(payload.end(), r.packet.payload, r.packet.payload + r.packet.payload_length);
        }
        EXPECT_TRUE(saw_immediate) << "A=" << a;
        EXPECT_EQ(payload, data) << "A=" << a;
    }
}
