// Receive stream: reassembly, eviction, stop and start items, statistics
// and the bounds on hostile heaps, fed from memory.
#include <algorithm>
#include <map>
#include <mutex>
#include <numeric>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>
#include <boost/asio.hpp>
#include <gtest/gtest.h>
#include <lightspead/lightspead.h>
#include "heap_packets.h"
#include "recv/receive_helpers.h"
#include "wire.h"

using namespace lightspead;
using bytes = std::vector<std::uint8_t>;
using namespace recv_test;

TEST(recv_config, rejects_invalid_values)
{
    recv::stream_config c;
    EXPECT_THROW(c.set_max_heaps(0), std::invalid_argument);
    EXPECT_THROW(c.set_substreams(0), std::invalid_argument);
    EXPECT_THROW(c.set_bug_compat(8), std::invalid_argument);
    EXPECT_THROW(c.set_memory_allocator(nullptr), std::invalid_argument);
    EXPECT_THROW(c.set_max_heap_size(0), std::invalid_argument);
    EXPECT_EQ(c.get_max_heaps(), 4u);
    EXPECT_EQ(c.get_max_heap_size(), std::size_t(1) << 30);
    EXPECT_THROW(c.add_stat("heaps"), std::invalid_argument);
    const auto index = c.add_stat("my_counter");
    EXPECT_EQ(c.get_stat_index("my_counter"), index);
    EXPECT_THROW(c.get_stat_index("nope"), std::out_of_range);
    EXPECT_THROW(recv::ring_stream_config().set_heaps(0), std::invalid_argument);
}

TEST(recv_config, heap_slots_are_bounded)
{
    // max_heaps x substreams slots are set aside when a stream is built:
    // a huge product is refused up front, with the limit named.
    recv::stream_config c;
    try
    {
        c.set_max_heaps(std::size_t(1) << 62);
        FAIL() << "max_heaps 2^62 accepted";
    }
    catch (std::invalid_argument &e)
    {
        EXPECT_NE(std::string(e.what()).find("16777216"), std::string::npos) << e.what();
    }
    EXPECT_NO_THROW(c.set_max_heaps(recv::stream_config::max_heap_slots));
    EXPECT_THROW(c.set_substreams(2), std::invalid_argument);
    c.set_max_heaps(1024);
    EXPECT_NO_THROW(c.set_substreams(recv::stream_config::max_heap_slots / 1024));
    EXPECT_THROW(c.set_substreams(recv::stream_config::max_heap_slots / 1024 + 1), std::invalid_argument);
    EXPECT_THROW(c.set_substreams(SIZE_MAX), std::invalid_argument);
    EXPECT_EQ(c.get_substreams(), recv::stream_config::max_heap_slots / 1024);
}

TEST(recv_stream, round_trip_items_and_descriptors)
{
    for (int a : {40, 48})
    {
        const flavour f(a);
        auto data = pattern(5000, a);
        auto small = pattern(3, 7);
        descriptor d;
        d.id = 0x1001;
        d.name = "samples";
        d.description = "Some bytes";
        d.format = {{'u', 8}};
        d.shape = {5000};
        send::heap h = sample_heap(f, data, small);
        h.add_descriptor(d);
        auto r = receive_buffer(concat(packets_of(h, 7, 1472)));
        ASSERT_EQ(r.heaps.size(), 1u) << "A=" << a;
        const auto &heap = r.heaps[0];
        EXPECT_EQ(heap.get_cnt(), 7);
        EXPECT_EQ(heap.get_flavour().get_heap_address_bits(), a);
        auto *imm = find_item(heap, 0x1000);
        ASSERT_TRUE(imm);
        EXPECT_TRUE(imm->is_immediate);
        EXPECT_EQ(imm->immediate_value, 123456u);
        EXPECT_EQ(imm->length, std::size_t(a / 8));
        bytes be(a / 8, 0);
        store_be(be.data(), be.size(), 123456);
        EXPECT_EQ(item_bytes(*imm), be);
        auto *arr = find_item(heap, 0x1001);
        ASSERT_TRUE(arr);
        EXPECT_FALSE(arr->is_immediate);
        EXPECT_EQ(item_bytes(*arr), data);
        auto *sm = find_item(heap, 0x1002);
        ASSERT_TRUE(sm);
        EXPECT_TRUE(sm->is_immediate);
        EXPECT_EQ(sm->immediate_value, load_be(small.data(), 3));
        std::vector<std::string> errors;
        auto descriptors = heap.get_descriptors(&errors);
        EXPECT_TRUE(errors.empty());
        ASSERT_EQ(descriptors.size(), 1u);
        EXPECT_EQ(descriptors[0].id, 0x1001);
        EXPECT_EQ(descriptors[0].name, "samples");
        EXPECT_EQ(descriptors[0].description, "Some bytes");
        EXPECT_EQ(descriptors[0].format, d.format);
        EXPECT_EQ(descriptors[0].shape, d.shape);
        EXPECT_EQ(r.stat(recv::stat_heaps), 1u);
        expect_counters_add_up(r);
    }
}

TEST(recv_stream, stop_item_ends_stream)
{
    auto data = pattern(100, 1);
    send::heap h;
    h.add_item(0x1000, data.data(), data.size(), false);
    send::heap end;
    end.add_end();
    bytes buffer = concat(packets_of(h, 1, 1472));
    auto stop = concat(packets_of(end, 2, 1472));
    buffer.insert(buffer.end(), stop.begin(), stop.end());
    auto after = concat(packets_of(h, 3, 1472));
    buffer.insert(buffer.end(), after.begin(), after.end());
    auto r = receive_buffer(buffer);
    ASSERT_EQ(r.heaps.size(), 1u);  // the stop heap itself is not delivered
    EXPECT_EQ(r.heaps[0].get_cnt(), 1);
    EXPECT_EQ(r.stat(recv::stat_packets), 2u);  // the reader reads nothing after the stop
    expect_counters_add_up(r);
}

TEST(recv_stream, stop_item_delivered_when_not_stopping)
{
    send::heap end;
    end.add_end();
    recv::stream_config config;
    config.set_stop_on_stop_item(false);
    auto r = receive_buffer(concat(packets_of(end, 2, 1472)), config);
    ASSERT_EQ(r.heaps.size(), 1u);
    EXPECT_TRUE(r.heaps[0].is_end_of_stream());
    EXPECT_FALSE(r.heaps[0].is_start_of_stream());
}

TEST(recv_stream, in_order_rejects_reordered_packets)
{
    auto data = pattern(3000, 2);
    send::heap h;
    h.add_item(0x1000, data.data(), data.size(), false);
    auto packets = packets_of(h, 1, 1472);
    ASSERT_EQ(packets.size(), 3u);
    std::swap(packets[1], packets[2]);
    auto r = receive_buffer(concat(packets));
    EXPECT_TRUE(r.heaps.empty());
    ASSERT_EQ(r.incomplete.size(), 1u);
    EXPECT_EQ(r.stat(recv::stat_packets_out_of_order), 1u);
    EXPECT_EQ(r.stat(recv::stat_incomplete_heaps_flushed), 1u);
    EXPECT_EQ(r.incomplete[0].get_heap_length(), 3000);
    EXPECT_LT(r.incomplete[0].get_received_length(), 3000u);
    expect_counters_add_up(r);
}

TEST(recv_stream, lost_first_packet_drops_heap_in_order)
{
    auto data = pattern(3000, 2);
    send::heap h;
    h.add_item(0x1000, data.data(), data.size(), false);
    auto packets = packets_of(h, 1, 1472);
    packets.erase(packets.begin());
    auto r = receive_buffer(concat(packets));
    EXPECT_TRUE(r.heaps.empty());
    EXPECT_TRUE(r.incomplete.empty());
    EXPECT_EQ(r.stat(recv::stat_packets_out_of_order), 2u);
}

TEST(recv_stream, out_of_order_and_duplicates)
{
    auto data = pattern(20000, 3);
    send::heap h;
    h.add_item(0x1000, data.data(), data.size(), false);
    auto packets = packets_of(h, 1, 1472);
    std::mt19937 rng(1);
    std::shuffle(packets.begin(), packets.end(), rng);
    auto dup = packets[3];
    packets.push_back(dup);
    packets.insert(packets.begin() + 5, dup);
    recv::stream_config config;
    config.set_allow_out_of_order(true);
    auto r = receive_buffer(concat(packets), config);
    ASSERT_EQ(r.heaps.size(), 1u);
    EXPECT_EQ(item_bytes(*find_item(r.heaps[0], 0x1000)), data);
    // One copy arrived first; the one in the middle is a duplicate, and the
    // one after the heap completed is stale.
    EXPECT_EQ(r.stat(recv::stat_packets_duplicate), 1u);
    EXPECT_EQ(r.stat(recv::stat_packets_stale), 1u);
    EXPECT_TRUE(r.incomplete.empty());
    expect_counters_add_up(r);
}

TEST(recv_stream, incomplete_heap_payload_ranges_only_when_kept)
{
    auto data = pattern(4000, 4);
    send::heap h;
    h.add_item(0x1000, data.data(), data.size(), false);
    auto packets = packets_of(h, 1, 1472);
    ASSERT_EQ(packets.size(), 3u);
    packets.erase(packets.begin() + 1);  // the middle packet is lost
    std::vector<std::pair<item_pointer_t, item_pointer_t>> expected;
    for (const auto &p : packets)
    {
        auto d = decode_packet(p.data(), p.size());
        ASSERT_TRUE(d);
        expected.emplace_back(d.packet.payload_offset, d.packet.payload_offset + d.packet.payload_length);
    }
    for (bool keep : {false, true})
    {
        thread_pool pool;
        recv::stream_config config;
        config.set_allow_out_of_order(true);
        recv::ring_stream_config ring_config;
        ring_config.set_contiguous_only(false).set_incomplete_keep_payload_ranges(keep);
        recv::ring_stream s(pool, config, ring_config);
        const auto buffer = concat(packets);
        s.emplace_reader<recv::mem_reader>(buffer.data(), buffer.size());
        auto any = s.pop_any();
        auto *partial = std::get_if<recv::incomplete_heap>(&any);
        ASSERT_NE(partial, nullptr);
        EXPECT_EQ(partial->get_received_length(),
                  expected[0].second - expected[0].first + expected[1].second - expected[1].first);
        // (start, end) pairs, as spead2 gives them; none unless asked for
        if (keep)
            EXPECT_EQ(partial->get_payload_ranges(), expected);
        else
            EXPECT_TRUE(partial->get_payload_ranges().empty());
    }
}

TEST(recv_stream, eviction_round_robin)
{
    auto data = pattern(3000, 4);
    send::heap h;
    h.add_item(0x1000, data.data(), data.size(), false);
    auto a = packets_of(h, 1, 1472), b = packets_of(h, 2, 1472), c = packets_of(h, 3, 1472);
    recv::stream_config config;
    config.set_max_heaps(2);
    // a0 b0 c0 (evicts a) a1 (heap a finished: stale) b1 b2 c1 c2
    auto r = receive_buffer(concat({a[0], b[0], c[0], a[1], b[1], b[2], c[1], c[2]}), config);
    ASSERT_EQ(r.heaps.size(), 2u);
    EXPECT_EQ(r.heaps[0].get_cnt(), 2);
    EXPECT_EQ(r.heaps[1].get_cnt(), 3);
    ASSERT_EQ(r.incomplete.size(), 1u);
    EXPECT_EQ(r.incomplete[0].get_cnt(), 1);
    EXPECT_EQ(r.incomplete[0].get_payload_ranges(),
              (std::vector<std::pair<item_pointer_t, item_pointer_t>>{{0, a[0].size() - 48}}));
    EXPECT_EQ(r.stat(recv::stat_incomplete_heaps_evicted), 1u);
    EXPECT_EQ(r.stat(recv::stat_packets_stale), 1u);  // a1: heap 1 already finished
    expect_counters_add_up(r);
}

TEST(recv_stream, substreams_have_separate_tables)
{
    auto data = pattern(3000, 5);
    send::heap h;
    h.add_item(0x1000, data.data(), data.size(), false);
    auto a = packets_of(h, 1, 1472), b = packets_of(h, 2, 1472);
    recv::stream_config config;
    config.set_max_heaps(1);
    auto interleaved = concat({a[0], b[0], a[1], b[1], a[2], b[2]});
    // One slot: b0 evicts heap 1, whose later packets are then out of order.
    auto one = receive_buffer(interleaved, config);
    ASSERT_EQ(one.heaps.size(), 1u);
    EXPECT_EQ(one.heaps[0].get_cnt(), 2);
    EXPECT_EQ(one.stat(recv::stat_incomplete_heaps_evicted), 1u);
    config.set_substreams(2);
    auto two = receive_buffer(interleaved, config);
    EXPECT_EQ(two.heaps.size(), 2u);  // cnt 1 and 2 in different tables
}

TEST(recv_stream, unsized_heaps_end_at_flush)
{
    // Packets without a heap length (as PySPEAD could send)
    bytes buffer;
    auto data = pattern(100, 6);
    for (int k = 0; k < 2; k++)
    {
        bytes p = wire::header(40, 4);
        wire::imm(p, 40, HEAP_CNT_ID, 9);
        wire::imm(p, 40, PAYLOAD_OFFSET_ID, 50 * k);
        wire::imm(p, 40, PAYLOAD_LENGTH_ID, 50);
        wire::addr(p, 40, 0x1000, 0);
        p.insert(p.end(), data.begin() + 50 * k, data.begin() + 50 * k + 50);
        buffer.insert(buffer.end(), p.begin(), p.end());
    }
    auto r = receive_buffer(buffer);
    ASSERT_EQ(r.heaps.size(), 1u);
    EXPECT_EQ(item_bytes(*find_item(r.heaps[0], 0x1000)), data);

    recv::stream_config config;
    config.set_allow_unsized_heaps(false);
    auto refused = receive_buffer(buffer, config);
    EXPECT_TRUE(refused.heaps.empty());
    EXPECT_EQ(refused.stat(recv::stat_packets_unsized), 2u);
}

TEST(recv_stream, unsized_heap_grows_to_the_limit_and_no_further)
{
    bytes buffer;
    auto data = pattern(1000, 8);
    for (int k = 0; k < 10; k++)
    {
        bytes p = wire::header(40, 3);
        wire::imm(p, 40, HEAP_CNT_ID, 9);
        wire::imm(p, 40, PAYLOAD_OFFSET_ID, 1000 * k);
        wire::imm(p, 40, PAYLOAD_LENGTH_ID, 1000);
        p.insert(p.end(), data.begin(), data.end());
        buffer.insert(buffer.end(), p.begin(), p.end());
    }
    recv::stream_config config;
    config.set_max_heap_size(5500);
    auto r = receive_buffer(buffer, config);
    EXPECT_EQ(r.stat(recv::stat_packets_accepted), 5u);
    EXPECT_EQ(r.stat(recv::stat_packets_heap_too_large), 5u);  // every packet reaching past 5500
    ASSERT_EQ(r.heaps.size(), 1u);
    EXPECT_EQ(r.heaps[0].get_payload_size(), 5000u);
    expect_counters_add_up(r);
}

TEST(recv_stream, heap_length_conflict)
{
    auto data = pattern(3000, 9);
    send::heap h;
    h.add_item(0x1000, data.data(), data.size(), false);
    auto packets = packets_of(h, 1, 1472);
    // Rewrite the heap length of the second packet
    bytes &p = packets[1];
    auto r0 = decode_packet(p.data(), p.size());
    ASSERT_TRUE(r0);
    store_be64(p.data() + 16, pointer_codec(40).encode_immediate(HEAP_LENGTH_ID, 4000));
    auto r = receive_buffer(concat(packets));
    EXPECT_TRUE(r.heaps.empty());
    EXPECT_EQ(r.stat(recv::stat_packets_length_conflict), 1u);
    expect_counters_add_up(r);
}

TEST(recv_stream, pointer_beyond_heap_length_drops_heap)
{
    bytes p = wire::prefix(40, 1, 5, 8, 0, 8);
    wire::addr(p, 40, 0x1000, 100);  // beyond the 8-byte heap
    p.insert(p.end(), 8, 1);
    auto r = receive_buffer(p);
    EXPECT_TRUE(r.heaps.empty());
    EXPECT_EQ(r.stat(recv::stat_heaps_dropped), 1u);
    EXPECT_EQ(r.stat(recv::stat_heaps), 0u);
}

TEST(recv_stream, zero_length_and_null_items_dropped)
{
    bytes p = wire::prefix(40, 3, 5, 8, 0, 8);
    wire::addr(p, 40, 0x1000, 0);  // zero length: the next starts at 0 too
    wire::addr(p, 40, 0x1001, 0);
    wire::addr(p, 40, NULL_ID, 4);  // padding after 4 bytes
    p.insert(p.end(), {1, 2, 3, 4, 0, 0, 0, 0});
    auto r = receive_buffer(p);
    ASSERT_EQ(r.heaps.size(), 1u);
    const auto &items = r.heaps[0].get_items();
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0].id, 0x1001);
    EXPECT_EQ(item_bytes(items[0]), (bytes{1, 2, 3, 4}));
}

TEST(recv_stream, explicit_start_holds_readers_until_start)
{
    send::heap h;
    h.add_item(0x1000, item_pointer_t(1));
    bytes data = concat(packets_of(h, 1, 1472));
    const bytes second = concat(packets_of(h, 2, 1472));
    data.insert(data.end(), second.begin(), second.end());
    thread_pool pool;
    recv::stream_config config;
    config.set_explicit_start(true);
    recv::ring_stream s(pool, config);
    auto *udp = s.emplace_reader<recv::udp_reader>(
        boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    ASSERT_NE(udp, nullptr);
    s.emplace_reader<recv::mem_reader>(data.data(), data.size());
    // Nothing is read before start()
    EXPECT_FALSE(s.pop_for(std::chrono::milliseconds(200)));
    EXPECT_EQ(s.get_stats()[recv::stat_packets], 0u);
    s.start();
    s.start();  // a second start does nothing
    EXPECT_EQ(s.pop().get_cnt(), 1);
    EXPECT_EQ(s.pop().get_cnt(), 2);
    // No reader can join a started stream (the mem reader's end stopped it
    // meanwhile, but the refusal comes first and says why)
    EXPECT_THROW(s.emplace_reader<recv::mem_reader>(data.data(), data.size()), std::logic_error);
}

TEST(recv_stream, explicit_start_never_called_still_stops)
{
    thread_pool pool;
    recv::stream_config config;
    config.set_explicit_start(true);
    recv::ring_stream s(pool, config);
    s.emplace_reader<recv::udp_reader>(boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    s.stop();   // must not wait for a reader that never began
    s.start();  // after stop: nothing
    EXPECT_THROW(s.pop(), ringbuffer_stopped);
}

TEST(recv_stream, start_without_explicit_start_does_nothing)
{
    send::heap h;
    h.add_item(0x1000, item_pointer_t(1));
    const bytes a = concat(packets_of(h, 1, 1472));
    thread_pool pool;
    recv::ring_stream s(pool);
    s.start();
    s.emplace_reader<recv::mem_reader>(a.data(), a.size());  // starts at once, as before
    EXPECT_EQ(s.pop().get_cnt(), 1);
}

TEST(recv_stream, garbage_between_packets_is_skipped)
{
    auto data = pattern(100, 10);
    send::heap h;
    h.add_item(0x1000, data.data(), data.size(), false);
    bytes buffer{1, 2, 3, 0x53, 9};
    auto p = concat(packets_of(h, 1, 1472));
    buffer.insert(buffer.end(), p.begin(), p.end());
    auto r = receive_buffer(buffer);
    ASSERT_EQ(r.heaps.size(), 1u);
    EXPECT_GE(r.stat(recv::stat_packets_malformed), 1u);
    expect_counters_add_up(r);
}

TEST(recv_stream, hostile_heap_lengths_stay_within_bound)
{
    // Packets declaring huge heaps across many counters: nothing beyond
    // max_heap_size is allocated for any of them.
    recv::stream_config config;
    config.set_max_heap_size(1 << 20).set_allow_out_of_order(true);
    bytes buffer;
    for (int cnt = 1; cnt <= 500; cnt++)
    {
        const item_pointer_t length = cnt % 2 ? (item_pointer_t(1) << 39) : (1 << 20);
        bytes p = wire::prefix(40, 0, cnt, length, length - 8, 8);
        p.insert(p.end(), 8, 0xff);
        buffer.insert(buffer.end(), p.begin(), p.end());
    }
    auto r = receive_buffer(buffer, config);
    EXPECT_EQ(r.stat(recv::stat_packets_heap_too_large), 250u);
    EXPECT_EQ(r.stat(recv::stat_packets_accepted), 250u);
    EXPECT_TRUE(r.heaps.empty());
    expect_counters_add_up(r);
}

TEST(recv_stream, nontemporal_copy_mode_round_trip)
{
    auto data = pattern(100000, 12);
    send::heap h;
    h.add_item(0x1000, data.data(), data.size(), false);
    recv::stream_config config;
    config.set_memcpy(MEMCPY_NONTEMPORAL);
    EXPECT_THROW(config.set_memcpy(memcpy_mode(9)), std::invalid_argument);
    auto r = receive_buffer(concat(packets_of(h, 1, 9000)), config);
    ASSERT_EQ(r.heaps.size(), 1u);
    EXPECT_EQ(item_bytes(*find_item(r.heaps[0], 0x1000)), data);
}

TEST(recv_stream, nontemporal_copies_survive_an_unsized_heap_growing)
{
    // Unsized packets of odd lengths: the buffer is reallocated several
    // times while its bytes were written with streaming stores and no fence
    // per packet; every byte must reach the new buffer.
    auto data = pattern(40000, 13);
    bytes buffer;
    for (std::size_t offset = 0; offset < data.size(); offset += 3333)
    {
        const std::size_t n = std::min<std::size_t>(3333, data.size() - offset);
        bytes p = wire::header(40, offset == 0 ? 4 : 3);
        wire::imm(p, 40, HEAP_CNT_ID, 5);
        wire::imm(p, 40, PAYLOAD_OFFSET_ID, offset);
        wire::imm(p, 40, PAYLOAD_LENGTH_ID, n);
        if (offset == 0)
            wire::addr(p, 40, 0x1000, 0);
        p.insert(p.end(), data.begin() + offset, data.begin() + offset + n);
        buffer.insert(buffer.end(), p.begin(), p.end());
    }
    recv::stream_config config;
    config.set_memcpy(MEMCPY_NONTEMPORAL);
    auto r = receive_buffer(buffer, config);
    ASSERT_EQ(r.heaps.size(), 1u);
    EXPECT_EQ(item_bytes(*find_item(r.heaps[0], 0x1000)), data);
}

TEST(recv_stream, first_bad_packet_of_each_reason_is_logged_then_rate_limited_summaries)
{
    log_capture log;
    // 3000 garbage datagrams in many batches, then a heap
    thread_pool pool;
    recv::ring_stream rs(pool);
    auto queue = std::make_shared<inproc_queue>();
    rs.emplace_reader<recv::inproc_reader>(queue);
    for (int i = 0; i < 3000; i++)
    {
        queue->push(bytes{1, 2, 3, 4, 5, 6, 7, 8, 9});
        if (i % 100 == 0)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    queue->stop();
    for (const auto &heap : rs)
        (void)heap;
    const auto lines = log.stop();
    EXPECT_EQ(rs.get_discard_stats()["packets_malformed"], 3000u);
    std::size_t summaries = 0;
    for (const auto &line : lines)
        summaries += line.find("packets_malformed") != std::string::npos;
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines[0], "packet rejected because it is not a valid SPEAD packet");
    EXPECT_GE(summaries, 1u);
    EXPECT_LE(summaries, 3u);  // one per second at most, not one per packet
    EXPECT_LE(lines.size(), 4u);
}

TEST(recv_stream, every_discard_is_in_the_log_by_the_time_the_stream_stops)
{
    log_capture log;
    thread_pool pool;
    recv::ring_stream rs(pool);
    auto queue = std::make_shared<inproc_queue>();
    rs.emplace_reader<recv::inproc_reader>(queue);
    // Bursts of bad packets well within the summary interval: the later
    // ones are held back by the rate limit, then reported at the stop.
    std::uint64_t sent = 0;
    for (int burst : {2, 3, 4})
    {
        for (int i = 0; i < burst; i++)
            queue->push(bytes{1, 2, 3, 4, 5, 6, 7, 8, 9});
        sent += burst;
        while (rs.get_stats()[recv::stat_packets] < sent)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    rs.stop();
    const auto lines = log.stop();
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines[0], "packet rejected because it is not a valid SPEAD packet");
    std::uint64_t reported = 1;
    for (std::size_t i = 1; i < lines.size(); i++)
    {
        const auto pos = lines[i].find("discarded ");
        ASSERT_EQ(pos, 0u) << lines[i];
        reported += std::stoull(lines[i].substr(10));
    }
    EXPECT_EQ(reported, sent);
    EXPECT_LE(lines.size(), 4u);
}

TEST(recv_stream, one_bad_packet_is_one_log_line)
{
    log_capture log;
    // One packet without HEAP_LEN, refused (spead2 logs the same line)
    bytes p = wire::header(40, 4);
    wire::imm(p, 40, HEAP_CNT_ID, 1);
    wire::imm(p, 40, PAYLOAD_OFFSET_ID, 0);
    wire::imm(p, 40, PAYLOAD_LENGTH_ID, 8);
    wire::addr(p, 40, 0x1000, 0);
    p.insert(p.end(), 8, 7);
    recv::stream_config config;
    config.set_allow_unsized_heaps(false);
    auto r = receive_buffer(p, config);
    const auto lines = log.stop();
    EXPECT_EQ(r.stat(recv::stat_packets_unsized), 1u);
    EXPECT_EQ(lines, std::vector<std::string>{"packet rejected because it has no HEAP_LEN"});
}

TEST(recv_stream, packet_without_length_beyond_known_length_is_refused)
{
    // Regression (found by fuzz_stream): the first packet states a heap
    // length of 16; a second one, stating none, claims bytes 16-31.
    bytes buffer = wire::prefix(40, 0, 5, 16, 0, 8);
    buffer.insert(buffer.end(), 8, 1);
    bytes second = wire::header(40, 3);
    wire::imm(second, 40, HEAP_CNT_ID, 5);
    wire::imm(second, 40, PAYLOAD_OFFSET_ID, 16);
    wire::imm(second, 40, PAYLOAD_LENGTH_ID, 16);
    second.insert(second.end(), 16, 2);
    buffer.insert(buffer.end(), second.begin(), second.end());
    for (bool out_of_order : {false, true})
    {
        recv::stream_config config;
        config.set_allow_out_of_order(out_of_order);
        auto r = receive_buffer(buffer, config);
        EXPECT_TRUE(r.heaps.empty());
        EXPECT_EQ(r.stat(recv::stat_packets_length_conflict) + r.stat(recv::stat_packets_out_of_order), 1u);
        expect_counters_add_up(r);
    }
}
