// Receive side: reassembly, eviction, stop, statistics, descriptors and the
// in-memory, in-process and UDP readers.
#include <algorithm>
#include <map>
#include <numeric>
#include <mutex>
#include <set>
#include <thread>
#include <random>
#include <stdexcept>
#include <utility>
#include <boost/asio.hpp>
#include <gtest/gtest.h>
#include <lightspead/lightspead.h>
#include "heap_packets.h"
#include "wire.h"

using namespace lightspead;
using bytes = std::vector<std::uint8_t>;

namespace
{

struct received
{
    std::vector<recv::heap> heaps;
    std::vector<recv::incomplete_heap> incomplete;
    std::vector<std::uint64_t> stats;

    std::uint64_t stat(recv::stat_index i) const { return stats.at(i); }
};

bytes concat(const std::vector<bytes> &packets)
{
    bytes out;
    for (const auto &p : packets)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}

// Feed `buffer` (back-to-back packets) through a mem_reader into a ring
// stream that keeps incomplete heaps too, and collect everything.
received receive_buffer(const bytes &buffer, recv::stream_config config = recv::stream_config())
{
    thread_pool pool;
    recv::ring_stream_config ring_config;
    ring_config.set_contiguous_only(false).set_heaps(16);
    recv::ring_stream s(pool, config, ring_config);
    s.emplace_reader<recv::mem_reader>(buffer.data(), buffer.size());
    received out;
    try
    {
        for (;;)
        {
            auto h = s.pop_any();
            if (auto *complete = std::get_if<recv::heap>(&h))
                out.heaps.push_back(std::move(*complete));
            else
                out.incomplete.push_back(std::move(std::get<recv::incomplete_heap>(h)));
        }
    }
    catch (ringbuffer_stopped &)
    {
    }
    auto stats = s.get_stats();
    for (std::size_t i = 0; i < stats.size(); i++)
        out.stats.push_back(stats[i]);
    return out;
}

bytes pattern(std::size_t n, int seed)
{
    bytes out(n);
    for (std::size_t i = 0; i < n; i++)
        out[i] = std::uint8_t(i * 31 + seed);
    return out;
}

bytes item_bytes(const recv::item &it)
{
    return bytes(it.ptr, it.ptr + it.length);
}

const recv::item *find_item(const recv::heap &h, s_item_pointer_t id)
{
    for (const auto &it : h.get_items())
        if (it.id == id)
            return &it;
    return nullptr;
}

// Every packet must be explained: accepted or discarded for some reason.
void expect_counters_add_up(const received &r)
{
    std::uint64_t explained = r.stat(recv::stat_packets_accepted);
    for (std::size_t i = recv::stat_packets_malformed; i <= recv::stat_packets_stale; i++)
        explained += r.stats[i];
    EXPECT_EQ(r.stat(recv::stat_packets), explained);
}

send::heap sample_heap(const flavour &f, const bytes &data, const bytes &small)
{
    send::heap h(f);
    h.add_item(0x1000, item_pointer_t(123456));
    h.add_item(0x1001, data.data(), data.size(), false);
    h.add_item(0x1002, small.data(), small.size(), true);
    return h;
}

} // anonymous namespace

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
    ASSERT_EQ(r.heaps.size(), 1u);      // the stop heap itself is not delivered
    EXPECT_EQ(r.heaps[0].get_cnt(), 1);
    EXPECT_EQ(r.stat(recv::stat_packets), 2u);     // the reader reads nothing after the stop
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
    EXPECT_EQ(r.stat(recv::stat_packets_stale), 1u);     // a1: heap 1 already finished
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
    EXPECT_EQ(two.heaps.size(), 2u);            // cnt 1 and 2 in different tables
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
    EXPECT_EQ(r.stat(recv::stat_packets_heap_too_large), 5u);   // every packet reaching past 5500
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
    wire::addr(p, 40, 0x1000, 100);      // beyond the 8-byte heap
    p.insert(p.end(), 8, 1);
    auto r = receive_buffer(p);
    EXPECT_TRUE(r.heaps.empty());
    EXPECT_EQ(r.stat(recv::stat_heaps_dropped), 1u);
    EXPECT_EQ(r.stat(recv::stat_heaps), 0u);
}

TEST(recv_stream, zero_length_and_null_items_dropped)
{
    bytes p = wire::prefix(40, 3, 5, 8, 0, 8);
    wire::addr(p, 40, 0x1000, 0);       // zero length: the next starts at 0 too
    wire::addr(p, 40, 0x1001, 0);
    wire::addr(p, 40, NULL_ID, 4);       // padding after 4 bytes
    p.insert(p.end(), {1, 2, 3, 4, 0, 0, 0, 0});
    auto r = receive_buffer(p);
    ASSERT_EQ(r.heaps.size(), 1u);
    const auto &items = r.heaps[0].get_items();
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0].id, 0x1001);
    EXPECT_EQ(item_bytes(items[0]), (bytes{1, 2, 3, 4}));
}

TEST(recv_stream, explicit_start)
{
    send::heap start;
    start.add_start();
    send::heap h;
    h.add_item(0x1000, item_pointer_t(1));
    bytes buffer = concat(packets_of(h, 1, 1472));
    auto s = concat(packets_of(start, 2, 1472));
    buffer.insert(buffer.end(), s.begin(), s.end());
    auto after = concat(packets_of(h, 3, 1472));
    buffer.insert(buffer.end(), after.begin(), after.end());
    recv::stream_config config;
    config.set_explicit_start(true);
    auto r = receive_buffer(buffer, config);
    ASSERT_EQ(r.heaps.size(), 2u);
    EXPECT_TRUE(r.heaps[0].is_start_of_stream());
    EXPECT_EQ(r.heaps[1].get_cnt(), 3);
    EXPECT_EQ(r.stat(recv::stat_packets_before_start), 1u);
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

TEST(recv_stream, inproc_round_trip)
{
    thread_pool pool(2);
    auto queue = std::make_shared<inproc_queue>();
    recv::ring_stream rs(pool);
    rs.emplace_reader<recv::inproc_reader>(queue);
    send::inproc_stream ss(pool, {queue});
    std::vector<bytes> sent;
    for (int i = 0; i < 20; i++)
        sent.push_back(pattern(10000 + i, i));
    for (int i = 0; i < 20; i++)
    {
        send::heap h;
        h.add_item(0x1000, item_pointer_t(i));
        h.add_item(0x1001, sent[i].data(), sent[i].size(), false);
        ss.async_send_heap(h, boost::asio::use_future).get();
    }
    send::heap end;
    end.add_end();
    ss.async_send_heap(end, boost::asio::use_future).get();
    int i = 0;
    for (const auto &heap : rs)
    {
        ASSERT_LT(i, 20);
        EXPECT_EQ(find_item(heap, 0x1000)->immediate_value, item_pointer_t(i));
        EXPECT_EQ(item_bytes(*find_item(heap, 0x1001)), sent[i]);
        i++;
    }
    EXPECT_EQ(i, 20);
}

TEST(recv_stream, udp_round_trip)
{
    thread_pool pool(2);
    recv::ring_stream rs(pool);
    rs.emplace_reader<recv::udp_reader>(
        boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 8891));
    send::stream_config config;
    config.set_max_packet_size(9000).set_rate(100e6);
    send::udp_stream ss(pool, {boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 8891)},
                        config);
    std::vector<bytes> sent;
    for (int i = 0; i < 10; i++)
        sent.push_back(pattern(200000 + i, i));
    for (int i = 0; i < 10; i++)
    {
        send::heap h;
        h.add_item(0x1001, sent[i].data(), sent[i].size(), false);
        ss.async_send_heap(h, boost::asio::use_future).get();
    }
    send::heap end;
    end.add_end();
    ss.async_send_heap(end, boost::asio::use_future).get();
    int i = 0;
    for (const auto &heap : rs)
    {
        ASSERT_LT(i, 10);
        EXPECT_EQ(item_bytes(*find_item(heap, 0x1001)), sent[i]);
        i++;
    }
    EXPECT_EQ(i, 10);
    EXPECT_EQ(rs.get_stats()["heaps"], 10u);
}

TEST(recv_stream, stop_while_reader_waits)
{
    thread_pool pool;
    auto r = std::make_unique<recv::ring_stream>(pool);
    r->emplace_reader<recv::udp_reader>(
        boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    auto queue = std::make_shared<inproc_queue>();
    r->emplace_reader<recv::inproc_reader>(queue);
    r->stop();
    EXPECT_THROW(r->pop(), ringbuffer_stopped);
    r.reset();      // destruction after stop is clean
}

TEST(memory_pool, recycles_buffers)
{
    auto pool = std::make_shared<memory_pool>(100, 1000, 2, 1);
    EXPECT_EQ(pool->free_buffers(), 1u);
    std::uint8_t *first;
    {
        auto p = pool->allocate(500);
        first = p.get();
        EXPECT_EQ(pool->free_buffers(), 0u);
        p[999] = 1;     // pool buffers are `upper` bytes
    }
    EXPECT_EQ(pool->free_buffers(), 1u);
    auto q = pool->allocate(1000);
    EXPECT_EQ(q.get(), first);
    auto big = pool->allocate(5000);        // outside the range: not pooled
    big.reset();
    EXPECT_EQ(pool->free_buffers(), 0u);
    EXPECT_THROW(memory_pool(10, 5, 1, 0), std::invalid_argument);
    EXPECT_THROW(memory_pool(0, 0, 1, 0), std::invalid_argument);
    EXPECT_THROW(memory_pool(0, 10, 1, 2), std::invalid_argument);
}

TEST(memory_pool, mmap_allocator)
{
    auto a = std::make_shared<mmap_allocator>(true, true);
    auto p = a->allocate(1 << 20);
    p[0] = 1;
    p[(1 << 20) - 1] = 2;
    EXPECT_EQ(p[0] + p[(1 << 20) - 1], 3);
}

TEST(decode_descriptor, round_trips_every_flavour)
{
    for (int a = 8; a < 64; a += 8)
        for (bug_compat_mask compat : {0u, 1u, 2u, 3u})
        {
            descriptor d;
            d.id = 0x7f;
            d.name = "x";
            d.description = "desc";
            d.format = {{'i', 8}, {'u', 16}};
            d.shape = {2, -1};
            d.numpy_header = a > 8 ? "{'descr': '<u2', 'fortran_order': False, 'shape': (2, 3)}" : "";
            if (a == 8)
                d.shape = {2};      // dimensions must fit in one byte
            auto blob = encode_descriptor(d, flavour(a, compat));
            auto r = decode_descriptor(blob.data(), blob.size(), compat);
            ASSERT_TRUE(r) << r.error;
            EXPECT_EQ(r.value.id, d.id);
            EXPECT_EQ(r.value.name, d.name);
            EXPECT_EQ(r.value.description, d.description);
            EXPECT_EQ(r.value.format, d.format);
            EXPECT_EQ(r.value.shape, d.shape);
            EXPECT_EQ(r.value.numpy_header, d.numpy_header);
        }
}

TEST(decode_descriptor, reports_defects)
{
    descriptor d;
    d.id = 0x1234;
    d.name = "n";
    d.format = {{'u', 8}};
    auto good = encode_descriptor(d, flavour(40));
    ASSERT_TRUE(decode_descriptor(good.data(), good.size()));
    EXPECT_FALSE(decode_descriptor(good.data(), 7));
    EXPECT_FALSE(decode_descriptor(good.data(), good.size() - 1));
    // Format field of 3 bytes (not a whole 4-byte entry): drop a byte
    auto bad = wire::prefix(40, 3, 1, 3, 0, 3);
    wire::imm(bad, 40, DESCRIPTOR_ID_ID, 5);
    wire::addr(bad, 40, DESCRIPTOR_NAME_ID, 0);
    wire::addr(bad, 40, DESCRIPTOR_FORMAT_ID, 0);
    bad.insert(bad.end(), {'u', 0, 8});
    auto r = decode_descriptor(bad.data(), bad.size());
    EXPECT_FALSE(r);
    EXPECT_NE(r.error.find("format"), std::string::npos);
    // No described ID
    auto no_id = wire::prefix(40, 1, 1, 1, 0, 1);
    wire::addr(no_id, 40, DESCRIPTOR_NAME_ID, 0);
    no_id.push_back('x');
    EXPECT_FALSE(decode_descriptor(no_id.data(), no_id.size()));
}

TEST(decode_descriptor, random_bytes_never_crash)
{
    descriptor d;
    d.id = 0x1234;
    d.name = "name";
    d.description = "description";
    d.format = {{'u', 8}};
    d.shape = {3, -1};
    auto good = encode_descriptor(d, flavour(40));
    std::mt19937 rng(3);
    int ok = 0;
    for (int i = 0; i < 20000; i++)
    {
        auto mutated = good;
        for (int k = 0; k < 3; k++)
            mutated[rng() % mutated.size()] = rng();
        mutated.resize(rng() % (mutated.size() + 1));
        ok += bool(decode_descriptor(mutated.data(), mutated.size(), rng() % 8));
    }
    SUCCEED() << ok << " mutated descriptors still decoded";
}

TEST(memcpy, nontemporal_copies_every_alignment_and_length)
{
    auto src = pattern(1000, 11);
    for (std::size_t offset = 0; offset < 20; offset++)
        for (std::size_t n : {0, 1, 15, 16, 17, 63, 64, 65, 200, 900})
        {
            bytes dest(1000 + 40, 0xee);
            memcpy_nontemporal(dest.data() + offset, src.data() + 3, n);
            for (std::size_t i = 0; i < dest.size(); i++)
            {
                const std::uint8_t expected = (i >= offset && i < offset + n) ? src[3 + i - offset] : 0xee;
                ASSERT_EQ(dest[i], expected) << "offset " << offset << " n " << n << " i " << i;
            }
        }
    EXPECT_THROW(get_memcpy(memcpy_mode(7)), std::invalid_argument);
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

namespace
{

// A seeded, in-process lossy link: drops, duplicates, truncates and
// reorders (within a window) the packets of a sequence of heaps.
struct link_settings
{
    double drop = 0, duplicate = 0, truncate = 0;
    std::size_t reorder_window = 1;
};

std::vector<bytes> lossy_link(std::vector<bytes> packets, const link_settings &s, std::mt19937_64 &rng)
{
    std::uniform_real_distribution<double> u(0, 1);
    std::vector<bytes> out;
    for (auto &p : packets)
    {
        if (u(rng) < s.drop)
            continue;
        if (u(rng) < s.truncate)
            p.resize(rng() % p.size());
        out.push_back(p);
        if (u(rng) < s.duplicate)
            out.push_back(p);
    }
    // Shuffle within blocks, so no packet moves by a window or more.
    for (std::size_t start = 0; start < out.size(); start += s.reorder_window)
    {
        const std::size_t end = std::min(out.size(), start + s.reorder_window);
        std::shuffle(out.begin() + start, out.begin() + end, rng);
    }
    return out;
}

} // anonymous namespace

TEST(recv_property, lossy_link_never_corrupts_or_repeats)
{
    const link_settings profiles[] = {
        {0, 0, 0, 1},
        {0.05, 0, 0, 1},
        {0, 0.1, 0, 1},
        {0, 0, 0.05, 1},
        {0, 0, 0, 8},
        {0.03, 0.05, 0.02, 6},
    };
    for (int seed = 0; seed < 12; seed++)
        for (bool out_of_order : {false, true})
            for (const auto &profile : profiles)
            {
                std::mt19937_64 rng(seed);
                // Heaps of random sizes and contents, cut into packets
                std::map<s_item_pointer_t, std::pair<bytes, item_pointer_t>> sent;
                std::vector<bytes> packets;
                for (int cnt = 1; cnt <= 40; cnt++)
                {
                    bytes data(rng() % 20000);
                    for (auto &b : data)
                        b = rng();
                    const item_pointer_t value = rng() & 0xffffffffff;
                    sent[cnt] = {data, value};
                    send::heap h;
                    h.add_item(0x1000, value);
                    h.add_item(0x1001, data.data(), data.size(), false);
                    for (auto &p : packets_of(h, cnt, 1472))
                        packets.push_back(std::move(p));
                }
                auto delivered = lossy_link(packets, profile, rng);
                // Feed them as datagrams through an in-process queue
                thread_pool pool;
                recv::stream_config config;
                // Enough slots for every heap a reordering block can interleave,
                // plus the one crossing into the next block
                config.set_allow_out_of_order(out_of_order).set_max_heaps(profile.reorder_window + 2);
                recv::ring_stream_config ring_config;
                ring_config.set_contiguous_only(false).set_heaps(64);
                recv::ring_stream rs(pool, config, ring_config);
                auto queue = std::make_shared<inproc_queue>();
                rs.emplace_reader<recv::inproc_reader>(queue);
                for (auto &p : delivered)
                    queue->push(std::move(p));
                queue->stop();
                std::set<s_item_pointer_t> seen;
                std::size_t complete = 0, incomplete = 0;
                try
                {
                    for (;;)
                    {
                        auto any = rs.pop_any();
                        if (auto *h = std::get_if<recv::heap>(&any))
                        {
                            complete++;
                            ASSERT_TRUE(sent.count(h->get_cnt()));
                            EXPECT_TRUE(seen.insert(h->get_cnt()).second) << "heap delivered twice";
                            const auto &[data, value] = sent[h->get_cnt()];
                            auto *imm = find_item(*h, 0x1000);
                            ASSERT_TRUE(imm);
                            EXPECT_EQ(imm->immediate_value, value);
                            auto *arr = find_item(*h, 0x1001);
                            if (data.empty())
                            {
                                EXPECT_FALSE(arr);
                            }
                            else
                            {
                                ASSERT_TRUE(arr);
                                EXPECT_EQ(item_bytes(*arr), data);
                            }
                        }
                        else
                            incomplete++;
                    }
                }
                catch (ringbuffer_stopped &)
                {
                }
                const auto stats = rs.get_stats();
                received r;
                for (std::size_t i = 0; i < stats.size(); i++)
                    r.stats.push_back(stats[i]);
                SCOPED_TRACE("seed " + std::to_string(seed) + " out_of_order " + std::to_string(out_of_order));
                expect_counters_add_up(r);
                EXPECT_EQ(r.stat(recv::stat_packets), delivered.size());
                EXPECT_EQ(r.stat(recv::stat_heaps), complete);
                EXPECT_EQ(r.stat(recv::stat_incomplete_heaps_evicted) + r.stat(recv::stat_incomplete_heaps_flushed),
                          incomplete);
                if (profile.drop == 0 && profile.truncate == 0 && (profile.reorder_window == 1 || out_of_order))
                {
                    EXPECT_EQ(complete, sent.size()) << "a clean (or merely reordered) link loses nothing";
                }
            }
}

TEST(recv_stream, kernel_drops_are_counted)
{
    // A small socket buffer and a consumer that does not consume: the
    // network thread blocks on the full ringbuffer, the socket fills and
    // the kernel drops datagrams, which the stream must report.
    thread_pool pool(2);
    recv::ring_stream_config ring_config;
    ring_config.set_heaps(1);
    recv::ring_stream rs(pool, recv::stream_config(), ring_config);
    auto *reader = rs.emplace_reader<recv::udp_reader>(
        boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0),
        recv::udp_reader::default_max_size, 256 * 1024);
    ASSERT_TRUE(reader);
    send::stream_config config;
    config.set_max_packet_size(9000);
    send::udp_stream ss(pool, {reader->get_local_endpoint()}, config);
    auto data = pattern(200000, 13);
    for (int i = 0; i < 40; i++)
    {
        send::heap h;
        h.add_item(0x1000, data.data(), data.size(), false);
        ss.async_send_heap(h, boost::asio::use_future).get();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    // Consume what got through (the stop heap may have been dropped too):
    // whole heaps are lost, but every heap that arrives is intact.
    std::size_t heaps = 0;
    auto check = [&](const recv::heap &h)
    {
        heaps++;
        ASSERT_EQ(h.get_items().size(), 1u);
        EXPECT_EQ(item_bytes(h.get_items()[0]), data);
    };
    for (;;)
    {
        try
        {
            check(rs.try_pop());
        }
        catch (ringbuffer_empty &)
        {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            try
            {
                check(rs.try_pop());
            }
            catch (ringbuffer_empty &)
            {
                break;
            }
        }
    }
    rs.stop();
    const auto stats = rs.get_stats();
    EXPECT_GT(stats["kernel_dropped"], 0u);
    EXPECT_LT(heaps, 40u);
    EXPECT_GE(stats["worker_blocked"], 1u);
}

TEST(memory_pool, refills_in_the_background)
{
    thread_pool pool;
    auto mp = std::make_shared<memory_pool>(pool, 0, 4096, 8, 2, 4);
    EXPECT_EQ(mp->free_buffers(), 2u);
    {
        auto a = mp->allocate(100);     // leaves 1 < low_water 4: refill starts
        for (int i = 0; i < 100 && mp->free_buffers() < 4; i++)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        EXPECT_EQ(mp->free_buffers(), 4u);
    }
    EXPECT_EQ(mp->free_buffers(), 5u);      // a came back; max_free is 8
    EXPECT_THROW(memory_pool(pool, 0, 10, 2, 1, 3), std::invalid_argument);
}

TEST(recv_stream, bad_packets_are_logged_as_rate_limited_summaries)
{
    std::vector<std::string> lines;
    std::mutex m;
    auto old = set_log_function([&](log_level, const std::string &msg)
    {
        std::lock_guard<std::mutex> lock(m);
        lines.push_back(msg);
    });
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
        (void) heap;
    set_log_function(old);
    EXPECT_EQ(rs.get_stats()["packets_malformed"], 3000u);
    std::size_t summaries = 0;
    for (const auto &line : lines)
        summaries += line.find("packets_malformed") != std::string::npos;
    EXPECT_GE(summaries, 1u);
    EXPECT_LE(summaries, 3u);       // one per second at most, not one per packet
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
