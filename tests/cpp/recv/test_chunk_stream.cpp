// Chunk streams: placement, presence, extra bytes, the window of chunks,
// the ring pair, and the bounds on what a place callback may ask for.
#include <algorithm>
#include <chrono>
#include <climits>
#include <cstring>
#include <future>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>
#include <poll.h>
#include <gtest/gtest.h>
#include <lightspead/lightspead.h>
#include "heap_packets.h"
#include "recv/receive_helpers.h"

using namespace lightspead;
using namespace recv_test;

namespace
{

constexpr std::size_t heap_bytes = 1024;
constexpr std::size_t heaps_per_chunk = 10;
constexpr std::size_t chunk_bytes = heap_bytes * heaps_per_chunk;
constexpr std::size_t guard_bytes = 4096;
constexpr std::uint8_t guard_value = 0xa5;
constexpr s_item_pointer_t position_id = 0x1000;
constexpr s_item_pointer_t extra_id = 0x1002;

bytes payload_of(std::int64_t position)
{
    return pattern(heap_bytes, int(position % 251));
}

// The packets of the heap at `position`: an immediate position item, an
// extra immediate, and heap_bytes of payload.
std::vector<bytes> heap_at(std::int64_t position, std::size_t packet_size = 9000)
{
    bytes payload = payload_of(position);
    send::heap h;
    h.add_item(position_id, item_pointer_t(position));
    h.add_item(extra_id, item_pointer_t(position ^ 0xbeef));
    h.add_item(0x1001, payload.data(), payload.size(), false);
    return packets_of(h, item_pointer_t(position) + 1, packet_size);
}

bytes heaps_at(const std::vector<std::int64_t> &positions, std::size_t packet_size = 9000)
{
    bytes out;
    for (auto pos : positions)
        for (const auto &p : heap_at(pos, packet_size))
            out.insert(out.end(), p.begin(), p.end());
    return out;
}

// Heap `position` goes to chunk position / 10, index position % 10.
void place_by_position(recv::chunk_place_data *data, std::size_t)
{
    const s_item_pointer_t position = data->items[0];
    const s_item_pointer_t length = data->items[1];
    if (length != s_item_pointer_t(heap_bytes))
        return;  // not one of ours: chunk_id stays -1
    data->chunk_id = position / heaps_per_chunk;
    data->heap_index = position % heaps_per_chunk;
    data->heap_offset = data->heap_index * heap_bytes;
}

recv::chunk_stream_config base_chunk_config()
{
    recv::chunk_stream_config c;
    c.set_items({position_id, HEAP_LENGTH_ID, extra_id}).set_max_chunks(4).set_place(place_by_position);
    return c;
}

// A chunk whose data and extra are followed by guard bytes the stream must never touch.
std::unique_ptr<recv::chunk> make_chunk(std::size_t presence_flags = heaps_per_chunk, std::size_t extra = 0)
{
    auto alloc = std::make_shared<memory_allocator>();
    auto c = std::make_unique<recv::chunk>();
    c->present = alloc->allocate(presence_flags + guard_bytes);
    c->present_size = presence_flags;
    std::memset(c->present.get(), 0, presence_flags);
    std::memset(c->present.get() + presence_flags, guard_value, guard_bytes);
    c->data = alloc->allocate(chunk_bytes + guard_bytes);
    c->data_size = chunk_bytes;
    std::memset(c->data.get(), 0, chunk_bytes);
    std::memset(c->data.get() + chunk_bytes, guard_value, guard_bytes);
    if (extra)
    {
        c->extra = alloc->allocate(extra + guard_bytes);
        c->extra_size = extra;
        std::memset(c->extra.get(), 0, extra);
        std::memset(c->extra.get() + extra, guard_value, guard_bytes);
    }
    return c;
}

bool guards_intact(const recv::chunk &c)
{
    auto intact = [](const std::uint8_t *p)
    { return std::all_of(p, p + guard_bytes, [](std::uint8_t b) { return b == guard_value; }); };
    return intact(c.data.get() + c.data_size) && intact(c.present.get() + c.present_size)
        && (!c.extra || intact(c.extra.get() + c.extra_size));
}

using ring = ringbuffer<std::unique_ptr<recv::chunk>>;

// Run `buffer` through a chunk ring stream (4 free chunks recycled as they
// are consumed) and return every chunk in data-ring order, with the
// statistics (as names to values).
struct ring_run
{
    std::vector<std::unique_ptr<recv::chunk>> chunks;
    std::vector<std::vector<std::uint8_t>> data_at_ready;  // each chunk's data as it came out
    recv::stream_stats stats;
};

ring_run run_ring(const bytes &buffer, recv::chunk_stream_config cc = base_chunk_config(),
                  recv::stream_config config = recv::stream_config(), std::size_t extra = 0,
                  std::size_t presence_flags = heaps_per_chunk)
{
    thread_pool pool;
    auto data_ring = std::make_shared<ring>(4);
    auto free_ring = std::make_shared<ring>(4);
    recv::chunk_ring_stream<> s(pool, config, cc, data_ring, free_ring);
    for (int i = 0; i < 4; i++)
        s.add_free_chunk(make_chunk(presence_flags, extra));
    s.emplace_reader<recv::mem_reader>(buffer.data(), buffer.size());
    ring_run out;
    try
    {
        for (;;)
        {
            auto c = data_ring->pop();
            out.data_at_ready.emplace_back(c->data.get(), c->data.get() + chunk_bytes);
            // Keep a copy for the checks and give a fresh chunk back.
            auto copy = make_chunk(presence_flags, extra);
            copy->chunk_id = c->chunk_id;
            copy->stream_id = c->stream_id;
            std::memcpy(copy->data.get(), c->data.get(), chunk_bytes + guard_bytes);
            std::memcpy(copy->present.get(), c->present.get(), presence_flags + guard_bytes);
            if (extra)
                std::memcpy(copy->extra.get(), c->extra.get(), extra + guard_bytes);
            EXPECT_TRUE(guards_intact(*c));
            out.chunks.push_back(std::move(copy));
            s.add_free_chunk(std::move(c));
        }
    }
    catch (ringbuffer_stopped &)
    {
    }
    s.stop();
    out.stats = s.get_stats();
    return out;
}

std::vector<std::uint8_t> flags(std::initializer_list<int> v)
{
    return std::vector<std::uint8_t>(v.begin(), v.end());
}

std::vector<std::uint8_t> present_of(const recv::chunk &c)
{
    return std::vector<std::uint8_t>(c.present.get(), c.present.get() + c.present_size);
}

// Every present heap holds its payload.
void check_payloads(const recv::chunk &c)
{
    for (std::size_t i = 0; i < heaps_per_chunk; i++)
        if (c.present[i])
        {
            const bytes expected = payload_of(c.chunk_id * heaps_per_chunk + i);
            EXPECT_TRUE(std::equal(expected.begin(), expected.end(), c.data.get() + i * heap_bytes))
                << "chunk " << c.chunk_id << " heap " << i;
        }
}

std::vector<std::int64_t> range(std::int64_t a, std::int64_t b)
{
    std::vector<std::int64_t> out;
    for (auto i = a; i < b; i++)
        out.push_back(i);
    return out;
}

}  // anonymous namespace

TEST(chunk_stream_config, validates)
{
    recv::chunk_stream_config c;
    EXPECT_EQ(c.get_max_chunks(), recv::chunk_stream_config::default_max_chunks);
    EXPECT_THROW(c.set_max_chunks(0), std::invalid_argument);
    EXPECT_THROW(c.enable_packet_presence(0), std::invalid_argument);
    c.enable_packet_presence(512);
    EXPECT_EQ(c.get_packet_presence_payload_size(), 512u);
    c.disable_packet_presence();
    EXPECT_EQ(c.get_packet_presence_payload_size(), 0u);

    thread_pool pool;
    auto r = std::make_shared<ring>(2);
    EXPECT_THROW(recv::chunk_ring_stream<>(pool, {}, recv::chunk_stream_config(), r, r), std::invalid_argument);
    EXPECT_THROW(recv::chunk_ring_stream<>(pool, {}, base_chunk_config(), nullptr, r), std::invalid_argument);
    // A plain chunk stream needs all three callbacks.
    EXPECT_THROW(recv::chunk_stream(pool, {}, base_chunk_config()), std::invalid_argument);
}

TEST(chunk_stream, in_order_heaps_fill_chunks)
{
    const auto r = run_ring(heaps_at(range(0, 23)));
    ASSERT_EQ(r.chunks.size(), 3u);
    for (std::size_t i = 0; i < 3; i++)
    {
        EXPECT_EQ(r.chunks[i]->chunk_id, std::int64_t(i));
        check_payloads(*r.chunks[i]);
    }
    EXPECT_EQ(present_of(*r.chunks[0]), flags({1, 1, 1, 1, 1, 1, 1, 1, 1, 1}));
    EXPECT_EQ(present_of(*r.chunks[2]), flags({1, 1, 1, 0, 0, 0, 0, 0, 0, 0}));
    EXPECT_EQ(r.stats["heaps"], 23u);
    EXPECT_EQ(r.stats["too_old_heaps"], 0u);
    EXPECT_EQ(r.stats["rejected_heaps"], 0u);
}

TEST(chunk_stream, heaps_land_in_place_across_packets)
{
    // Several packets per heap: each is written at its offset in the chunk.
    const auto r = run_ring(heaps_at(range(0, 10), 300));
    ASSERT_EQ(r.chunks.size(), 1u);
    EXPECT_EQ(present_of(*r.chunks[0]), flags({1, 1, 1, 1, 1, 1, 1, 1, 1, 1}));
    check_payloads(*r.chunks[0]);
}

TEST(chunk_stream, out_of_order_within_window)
{
    const auto r = run_ring(heaps_at({37, 7, 27, 17}));
    ASSERT_EQ(r.chunks.size(), 4u);
    for (std::size_t i = 0; i < 4; i++)
    {
        EXPECT_EQ(r.chunks[i]->chunk_id, std::int64_t(i));
        EXPECT_EQ(present_of(*r.chunks[i]), flags({0, 0, 0, 0, 0, 0, 0, 1, 0, 0}));
        check_payloads(*r.chunks[i]);
    }
}

TEST(chunk_stream, jump_flushes_window_and_backfills)
{
    const auto r = run_ring(heaps_at({100, 200}));
    std::vector<std::int64_t> ids;
    for (const auto &c : r.chunks)
        ids.push_back(c->chunk_id);
    EXPECT_EQ(ids, (std::vector<std::int64_t>{7, 8, 9, 10, 17, 18, 19, 20}));
    EXPECT_EQ(r.chunks[3]->present[0], 1);
    EXPECT_EQ(r.chunks[7]->present[0], 1);
    EXPECT_EQ(r.chunks[0]->present[0], 0);
}

TEST(chunk_stream, too_old_and_rejected_heaps_are_counted)
{
    // Heap 0 arrives after chunk 4 pushed chunk 0 out of the window.
    auto positions = range(10, 41);
    positions.push_back(0);
    bytes buffer = heaps_at(positions);
    // A heap of another length: the callback rejects it.
    send::heap other;
    other.add_item(position_id, item_pointer_t(5));
    const bytes small(100, 1);
    other.add_item(0x1001, small.data(), small.size(), false);
    for (const auto &p : packets_of(other, 9999, 9000))
        buffer.insert(buffer.end(), p.begin(), p.end());
    const auto r = run_ring(buffer);
    EXPECT_EQ(r.stats["too_old_heaps"], 1u);
    EXPECT_EQ(r.stats["rejected_heaps"], 1u);
    ASSERT_EQ(r.chunks.size(), 5u);
    EXPECT_EQ(present_of(*r.chunks[0]), flags({0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(chunk_stream, heap_whose_chunk_left_is_not_written)
{
    // Heap 0 starts (300-byte packets), chunks 1-4 push chunk 0 out, then
    // the rest of heap 0 arrives: chunk 0 is the consumer's by then.
    const auto first = heap_at(0, 300);
    ASSERT_GT(first.size(), 2u);
    bytes buffer = first[0];
    const bytes later = heaps_at(range(40, 50));
    buffer.insert(buffer.end(), later.begin(), later.end());
    for (std::size_t i = 1; i < first.size(); i++)
        buffer.insert(buffer.end(), first[i].begin(), first[i].end());
    recv::stream_config config;
    config.set_max_heaps(16);
    const auto r = run_ring(buffer, base_chunk_config(), config);
    ASSERT_GE(r.chunks.size(), 1u);
    EXPECT_EQ(r.chunks[0]->chunk_id, 0);
    EXPECT_EQ(present_of(*r.chunks[0]), flags({0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
    // Nothing was written into chunk 0 after it was handed over.
    EXPECT_TRUE(std::equal(r.data_at_ready[0].begin(), r.data_at_ready[0].end(), r.chunks[0]->data.get()));
    EXPECT_EQ(r.stats["too_old_heaps"], 1u);
}

TEST(chunk_stream, extra_bytes_per_heap)
{
    auto cc = base_chunk_config();
    cc.set_max_heap_extra(8);
    cc.set_place(
        [](recv::chunk_place_data *data, std::size_t size)
        {
            place_by_position(data, size);
            if (data->chunk_id < 0)
                return;
            const std::int64_t value = data->items[2];
            std::memcpy(data->extra, &value, sizeof(value));
            data->extra_offset = data->heap_index * 8;
            data->extra_size = 8;
        });
    const auto r = run_ring(heaps_at(range(0, 10)), cc, {}, heaps_per_chunk * 8);
    ASSERT_EQ(r.chunks.size(), 1u);
    for (std::size_t i = 0; i < heaps_per_chunk; i++)
    {
        std::int64_t value;
        std::memcpy(&value, r.chunks[0]->extra.get() + i * 8, 8);
        EXPECT_EQ(value, std::int64_t(i ^ 0xbeef));
    }
    EXPECT_TRUE(guards_intact(*r.chunks[0]));
}

TEST(chunk_stream, packet_presence_marks_each_packet)
{
    constexpr std::size_t packet_payload = 512;
    auto cc = base_chunk_config();
    cc.enable_packet_presence(packet_payload);
    // Placed by heap counter (position + 1): a heap's later packets carry
    // only the special items.
    cc.set_items({HEAP_CNT_ID, HEAP_LENGTH_ID});
    cc.set_place(
        [](recv::chunk_place_data *data, std::size_t size)
        {
            data->items[0] -= 1;
            place_by_position(data, size);
            data->heap_index *= 2;  // two flags per heap
        });
    recv::stream_config config;
    config.set_allow_out_of_order(true);
    // Heap 4 whole, only the second packet of heap 7 (payload bytes 512-1023).
    bytes buffer = heaps_at({4}, 512 + 8 * 8);
    const auto seven = heap_at(7, 512 + 8 * 8);
    ASSERT_EQ(seven.size(), 2u);
    buffer.insert(buffer.end(), seven[1].begin(), seven[1].end());
    const auto r = run_ring(buffer, cc, config, 0, 2 * heaps_per_chunk);
    ASSERT_EQ(r.chunks.size(), 1u);
    EXPECT_EQ(present_of(*r.chunks[0]), flags({0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}));
    const bytes p7 = payload_of(7);
    EXPECT_TRUE(std::equal(p7.begin() + 512, p7.end(), r.chunks[0]->data.get() + 7 * heap_bytes + 512));
    EXPECT_TRUE(guards_intact(*r.chunks[0]));
}

TEST(chunk_stream, custom_statistics_from_the_callback)
{
    recv::stream_config config;
    const std::size_t placed = config.add_stat("placed_heaps");
    auto cc = base_chunk_config();
    cc.set_place(
        [placed](recv::chunk_place_data *data, std::size_t size)
        {
            place_by_position(data, size);
            data->batch_stats[placed]++;
        });
    const auto r = run_ring(heaps_at(range(0, 7)), cc, config);
    EXPECT_EQ(r.stats["placed_heaps"], 7u);
    // spead2's order: the config's own statistics, then the chunk stream's.
    EXPECT_EQ(r.stats.get_config()[placed + 1].get_name(), "too_old_heaps");
    EXPECT_EQ(r.stats.get_config()[placed + 2].get_name(), "rejected_heaps");
}

// Each bound: the heap is counted under its own name, nothing outside the
// chunk is written, and the other heaps still arrive.
TEST(chunk_stream, placement_outside_the_chunk_is_refused)
{
    struct bad_case
    {
        const char *stat;
        void (*tweak)(recv::chunk_place_data *);
    };
    const bad_case cases[] = {
        {"heaps_outside_data", [](recv::chunk_place_data *d) { d->heap_offset = chunk_bytes - 100; }},
        {"heaps_outside_data",
         [](recv::chunk_place_data *d) { d->heap_offset = std::numeric_limits<std::size_t>::max(); }},
        {"heaps_outside_present", [](recv::chunk_place_data *d) { d->heap_index = heaps_per_chunk; }},
        {"heaps_outside_present",
         [](recv::chunk_place_data *d) { d->heap_index = std::numeric_limits<std::size_t>::max(); }},
        {"heaps_outside_extra", [](recv::chunk_place_data *d) { d->extra_size = 9; }},  // > max_heap_extra
        {"heaps_outside_extra",
         [](recv::chunk_place_data *d)
         {
             d->extra_size = 8;
             d->extra_offset = heaps_per_chunk * 8 - 4;
         }},
        {"heaps_outside_extra",
         [](recv::chunk_place_data *d)
         {
             d->extra_size = 8;
             d->extra_offset = std::numeric_limits<std::size_t>::max();
         }},
    };
    for (const auto &bad : cases)
    {
        static void (*tweak)(recv::chunk_place_data *);
        tweak = bad.tweak;
        auto cc = base_chunk_config();
        cc.set_max_heap_extra(8);
        cc.set_place(
            [](recv::chunk_place_data *data, std::size_t size)
            {
                place_by_position(data, size);
                if (data->items[0] == 3)
                    tweak(data);
            });
        const auto r = run_ring(heaps_at(range(0, 10)), cc, {}, heaps_per_chunk * 8);
        ASSERT_EQ(r.chunks.size(), 1u) << bad.stat;
        EXPECT_EQ(r.stats[bad.stat], 1u) << bad.stat;
        EXPECT_EQ(present_of(*r.chunks[0]), flags({1, 1, 1, 0, 1, 1, 1, 1, 1, 1})) << bad.stat;
        EXPECT_TRUE(guards_intact(*r.chunks[0])) << bad.stat;
        check_payloads(*r.chunks[0]);
    }
}

TEST(chunk_stream, packet_presence_flags_stay_inside_present)
{
    auto cc = base_chunk_config();
    cc.enable_packet_presence(300);  // 1024 bytes: 4 flags per heap
    cc.set_place(
        [](recv::chunk_place_data *data, std::size_t size)
        {
            place_by_position(data, size);
            data->heap_index *= 4;  // heap 9 would need flags 36..39 of 38
        });
    const bytes buffer = heaps_at(range(0, 10), 300 + 8 * 8);
    const auto r = run_ring(buffer, cc, {}, 0, 38);
    ASSERT_EQ(r.chunks.size(), 1u);
    EXPECT_EQ(r.stats["heaps_outside_present"], 1u);
    EXPECT_TRUE(guards_intact(*r.chunks[0]));
    // Each packet of heaps 0-8 set the flag of its offset; heap 9 set none.
    std::vector<std::uint8_t> expected(38, 0);
    for (std::size_t pos = 0; pos < buffer.size();)
    {
        const auto d = decode_packet(buffer.data() + pos, buffer.size() - pos);
        ASSERT_TRUE(d);
        if (d.packet.heap_cnt <= 9)  // positions 0-8 (counters are position + 1)
            expected[(d.packet.heap_cnt - 1) * 4 + d.packet.payload_offset / 300] = 1;
        pos += d.packet.size;
    }
    EXPECT_EQ(present_of(*r.chunks[0]), expected);
}

TEST(chunk_stream, unknown_data_size_is_not_written)
{
    // Data whose size neither the chunk nor its deleter knows.
    thread_pool pool;
    auto data_ring = std::make_shared<ring>(4);
    auto free_ring = std::make_shared<ring>(4);
    recv::chunk_ring_stream<> s(pool, {}, base_chunk_config(), data_ring, free_ring);
    auto c = make_chunk();
    auto *raw = c->data.release();
    c->data = memory_allocator::pointer(raw, [](std::uint8_t *p) { delete[] p; });
    c->data_size = 0;
    EXPECT_EQ(c->get_data_size(), 0u);
    s.add_free_chunk(std::move(c));
    const bytes buffer = heaps_at(range(0, 3));
    s.emplace_reader<recv::mem_reader>(buffer.data(), buffer.size());
    auto out = data_ring->pop();
    EXPECT_EQ(present_of(*out), flags({0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
    EXPECT_TRUE(
        std::all_of(raw, raw + chunk_bytes + guard_bytes, [](std::uint8_t b) { return b == 0 || b == guard_value; }));
    s.stop();
    EXPECT_EQ(s.get_stats()["heaps_outside_data"], 3u);
}

TEST(chunk_stream, allocator_records_sizes)
{
    auto plain = std::make_shared<memory_allocator>();
    EXPECT_EQ(plain->allocate(1000).get_deleter().get_size(), 1000u);
    auto mm = std::make_shared<mmap_allocator>();
    EXPECT_EQ(mm->allocate(5000).get_deleter().get_size(), 5000u);
    auto pool = std::make_shared<memory_pool>(100, 4096, 4, 1);
    EXPECT_EQ(pool->allocate(200).get_deleter().get_size(), 4096u);
    EXPECT_EQ(pool->allocate(50).get_deleter().get_size(), 50u);
    recv::chunk c;
    c.data = plain->allocate(777);
    EXPECT_EQ(c.get_data_size(), 777u);
    c.data_size = 500;
    EXPECT_EQ(c.get_data_size(), 500u);
    // spead2's tutorial: chunk->data = std::make_unique<std::uint8_t[]>(n)
    c.data_size = 0;
    c.data = std::make_unique<std::uint8_t[]>(3000);
    EXPECT_GE(c.get_data_size(), 3000u);
    EXPECT_LT(c.get_data_size(), 3000u + 64);
    // Memory freed by a function of the program's: size unknown.
    c.data = memory_allocator::pointer(new std::uint8_t[10], [](std::uint8_t *p) { delete[] p; });
    EXPECT_EQ(c.get_data_size(), 0u);
}

TEST(ringbuffer, range_for_pops_until_stopped)
{
    ringbuffer<std::unique_ptr<int>> r(4);
    for (int i = 0; i < 3; i++)
        r.push(std::make_unique<int>(i));
    r.stop();
    std::vector<int> seen;
    for (std::unique_ptr<int> v : r)
        seen.push_back(*v);
    EXPECT_EQ(seen, (std::vector<int>{0, 1, 2}));
}

TEST(chunk_stream, chunk_ids_near_the_top)
{
    // The largest chunk IDs: the window's tail passes 2^63 - 1 without trouble.
    auto cc = base_chunk_config();
    cc.set_place(
        [](recv::chunk_place_data *data, std::size_t size)
        {
            place_by_position(data, size);
            if (data->chunk_id >= 0)
                data->chunk_id = std::numeric_limits<std::int64_t>::max() - 2 + data->chunk_id;
        });
    const auto r = run_ring(heaps_at({5, 15, 25}), cc);
    std::vector<std::int64_t> ids;
    for (const auto &c : r.chunks)
        ids.push_back(c->chunk_id);
    const std::int64_t top = std::numeric_limits<std::int64_t>::max();
    // The first heap's jump from 0 fills the window up to it.
    EXPECT_EQ(ids, (std::vector<std::int64_t>{top - 5, top - 4, top - 3, top - 2, top - 1, top}));
    EXPECT_EQ(r.chunks.back()->present[5], 1);
}

TEST(chunk_stream, stop_with_every_chunk_held_by_the_consumer)
{
    // The consumer takes chunks and never gives them back; the stream waits
    // for a free chunk; stop() must still end promptly.
    thread_pool pool;
    auto data_ring = std::make_shared<ring>(8);
    auto free_ring = std::make_shared<ring>(2);
    auto cc = base_chunk_config();
    cc.set_max_chunks(2);
    auto s = std::make_unique<recv::chunk_ring_stream<>>(pool, recv::stream_config(), cc, data_ring, free_ring);
    s->add_free_chunk(make_chunk());
    s->add_free_chunk(make_chunk());
    const bytes buffer = heaps_at(range(0, 60));
    s->emplace_reader<recv::mem_reader>(buffer.data(), buffer.size());
    auto held = data_ring->pop();  // chunk 0; chunk 1 is in use; none free for chunk 2
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto done = std::async(std::launch::async, [&s] { s->stop(); });
    ASSERT_EQ(done.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_TRUE(data_ring->is_stopped());
    s.reset();
}

TEST(chunk_stream, shared_rings_stop_after_the_last_producer)
{
    thread_pool pool;
    auto data_ring = std::make_shared<ring>(8);
    auto free_ring = std::make_shared<ring>(8);
    recv::stream_config c1, c2;
    c2.set_stream_id(1);
    recv::chunk_ring_stream<> s1(pool, c1, base_chunk_config(), data_ring, free_ring);
    recv::chunk_ring_stream<> s2(pool, c2, base_chunk_config(), data_ring, free_ring);
    for (int i = 0; i < 8; i++)
        s1.add_free_chunk(make_chunk());
    const bytes b1 = heaps_at(range(0, 17)), b2 = heaps_at(range(0, 23));
    s1.emplace_reader<recv::mem_reader>(b1.data(), b1.size());
    s2.emplace_reader<recv::mem_reader>(b2.data(), b2.size());
    std::size_t seen[2] = {0, 0};
    try
    {
        for (;;)
        {
            auto c = data_ring->pop();
            ASSERT_LT(c->stream_id, 2u);
            EXPECT_EQ(c->chunk_id, std::int64_t(seen[c->stream_id]));
            seen[c->stream_id]++;
            s1.add_free_chunk(std::move(c));
        }
    }
    catch (ringbuffer_stopped &)
    {
    }
    EXPECT_EQ(seen[0], 2u);
    EXPECT_EQ(seen[1], 3u);
}

namespace
{

// A plain chunk stream that says when it has stopped.
class signalling_chunk_stream : public recv::chunk_stream
{
public:
    std::promise<void> stopped;
    using recv::chunk_stream::chunk_stream;

    ~signalling_chunk_stream() override
    {
        detach_from_pool();
        stop();
    }

protected:
    void stop_received() override
    {
        recv::chunk_stream::stop_received();
        stopped.set_value();
    }
};

}  // anonymous namespace

class allocate_chunk_stream : public testing::TestWithParam<bool>
{
};

INSTANTIATE_TEST_SUITE_P(returns_null_or_throws, allocate_chunk_stream, testing::Bool());

TEST_P(allocate_chunk_stream, plain_stream_calls_allocate_and_ready)
{
    const bool throws = GetParam();
    std::vector<std::int64_t> allocated;
    std::vector<std::unique_ptr<recv::chunk>> ready;
    auto cc = base_chunk_config();
    cc.set_allocate(
        [&allocated, throws](std::int64_t id, std::uint64_t *)
        {
            allocated.push_back(id);
            if (id == 1 && throws)
                throw std::runtime_error("no memory for chunk 1");
            return id == 1 ? nullptr : make_chunk();  // heaps for chunk 1 are dropped, and counted
        });
    cc.set_ready([&ready](std::unique_ptr<recv::chunk> &&c, std::uint64_t *) { ready.push_back(std::move(c)); });
    thread_pool pool;
    recv::stream_config config;
    config.set_stream_id(42);
    signalling_chunk_stream s(pool, config, cc);
    auto stopped = s.stopped.get_future();
    const bytes buffer = heaps_at(range(0, 25));
    s.emplace_reader<recv::mem_reader>(buffer.data(), buffer.size());
    ASSERT_EQ(stopped.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_EQ(allocated, (std::vector<std::int64_t>{0, 1, 2}));
    ASSERT_EQ(ready.size(), 2u);
    EXPECT_EQ(ready[0]->chunk_id, 0);
    EXPECT_EQ(ready[1]->chunk_id, 2);
    EXPECT_EQ(ready[0]->stream_id, 42u);
    EXPECT_EQ(present_of(*ready[1]), flags({1, 1, 1, 1, 1, 0, 0, 0, 0, 0}));
    check_payloads(*ready[0]);
    check_payloads(*ready[1]);
    EXPECT_EQ(s.get_stats()["heaps_without_chunk"], heaps_per_chunk);
}

TEST(ringbuffer_fd, descriptors_follow_the_state)
{
    ringbuffer<int, semaphore_fd, semaphore_fd> r(2);
    auto readable = [](int fd)
    {
        pollfd p{fd, POLLIN, 0};
        return poll(&p, 1, 0) == 1;
    };
    const int data = r.get_data_sem().get_fd(), space = r.get_space_sem().get_fd();
    EXPECT_FALSE(readable(data));
    EXPECT_TRUE(readable(space));
    r.push(1);
    EXPECT_TRUE(readable(data));
    EXPECT_TRUE(readable(space));
    r.try_push(2);
    EXPECT_FALSE(readable(space));
    EXPECT_EQ(r.pop(), 1);
    EXPECT_TRUE(readable(space));
    EXPECT_EQ(r.try_pop(), 2);
    EXPECT_FALSE(readable(data));
    r.stop();
    EXPECT_TRUE(readable(data));
    EXPECT_TRUE(readable(space));
}

namespace
{

// Push the packets of the heaps at `positions` onto `queue`.
void push_heaps(inproc_queue &queue, const std::vector<std::int64_t> &positions)
{
    for (auto pos : positions)
        for (auto &p : heap_at(pos))
            queue.push(std::move(p));
}

struct group_run
{
    std::vector<std::unique_ptr<recv::chunk>> chunks;  // in data-ring order
};

// A ring group of `members` members (each its own thread pool and queue);
// `feed` pushes packets to the queues (and stops them) on another thread.
template<typename Feed>
group_run run_group(recv::chunk_stream_group_config::eviction_mode mode, std::size_t members, Feed &&feed,
                    std::size_t free_chunks = 4)
{
    auto data_ring = std::make_shared<ring>(free_chunks);
    auto free_ring = std::make_shared<ring>(free_chunks);
    recv::chunk_stream_group_config gc;
    gc.set_max_chunks(4).set_eviction_mode(mode);
    std::vector<std::unique_ptr<thread_pool>> pools;
    std::vector<std::shared_ptr<inproc_queue>> queues;
    recv::chunk_stream_ring_group<> group(gc, data_ring, free_ring);
    for (std::size_t i = 0; i < members; i++)
    {
        pools.push_back(std::make_unique<thread_pool>());
        queues.push_back(std::make_shared<inproc_queue>());
        recv::stream_config config;
        config.set_max_heaps(16);
        group.emplace_back(*pools.back(), config, base_chunk_config());
    }
    for (std::size_t i = 0; i < members; i++)
        group[i].emplace_reader<recv::inproc_reader>(queues[i]);
    for (std::size_t i = 0; i < free_chunks; i++)
        group.add_free_chunk(make_chunk());
    std::thread feeder([&] { feed(queues); });
    group_run out;
    try
    {
        for (;;)
        {
            auto c = data_ring->pop();
            auto copy = make_chunk();
            copy->chunk_id = c->chunk_id;
            std::memcpy(copy->data.get(), c->data.get(), chunk_bytes);
            std::memcpy(copy->present.get(), c->present.get(), heaps_per_chunk);
            out.chunks.push_back(std::move(copy));
            group.add_free_chunk(std::move(c));
        }
    }
    catch (ringbuffer_stopped &)
    {
    }
    feeder.join();
    group.stop();
    return out;
}

using mode = recv::chunk_stream_group_config::eviction_mode;

}  // anonymous namespace

TEST(chunk_stream_group, config_and_membership_rules)
{
    recv::chunk_stream_group_config gc;
    EXPECT_EQ(gc.get_max_chunks(), recv::chunk_stream_group_config::default_max_chunks);
    EXPECT_EQ(gc.get_eviction_mode(), mode::LOSSY);
    EXPECT_THROW(gc.set_max_chunks(0), std::invalid_argument);
    EXPECT_THROW(recv::chunk_stream_group{gc}, std::invalid_argument);  // no callbacks
    auto r = std::make_shared<ring>(4);
    gc.set_max_chunks(2);
    thread_pool pool;  // outlives the group, whose members run on it
    recv::chunk_stream_ring_group<> group(gc, r, std::make_shared<ring>(4));
    auto cc = base_chunk_config();
    cc.set_max_chunks(3);
    EXPECT_THROW(group.emplace_back(pool, {}, cc), std::invalid_argument);
    cc.set_max_chunks(2);
    auto &member = group.emplace_back(pool, {}, cc);
    EXPECT_EQ(&group[0], &member);
    EXPECT_EQ(group.size(), 1u);
    EXPECT_EQ(&*group.begin(), &member);
    EXPECT_EQ(group.end() - group.begin(), 1);
    group.add_free_chunk(make_chunk());
    const bytes buffer = heaps_at({0});
    member.emplace_reader<recv::mem_reader>(buffer.data(), buffer.size());
    r->pop();  // the member asked for a chunk: the group has begun
    EXPECT_THROW(group.emplace_back(pool, {}, cc), std::logic_error);
}

class chunk_stream_group_modes : public ::testing::TestWithParam<mode>
{
};

TEST_P(chunk_stream_group_modes, members_fill_one_sequence)
{
    const auto r = run_group(GetParam(), 3,
                             [](auto &queues)
                             {
                                 // In order, slowly enough that no member falls a
                                 // window behind (lossy mode would then evict).
                                 for (std::int64_t i = 0; i < 80; i++)
                                 {
                                     push_heaps(*queues[i % queues.size()], {i});
                                     std::this_thread::sleep_for(std::chrono::microseconds(500));
                                 }
                                 for (auto &q : queues)
                                     q->stop();
                             });
    ASSERT_EQ(r.chunks.size(), 8u);
    for (std::size_t i = 0; i < r.chunks.size(); i++)
    {
        EXPECT_EQ(r.chunks[i]->chunk_id, std::int64_t(i));
        EXPECT_EQ(present_of(*r.chunks[i]), flags({1, 1, 1, 1, 1, 1, 1, 1, 1, 1})) << i;
        check_payloads(*r.chunks[i]);
    }
}

TEST_P(chunk_stream_group_modes, silent_member_until_it_stops)
{
    // Member 1 receives nothing until the others are done; then it stops.
    const auto r = run_group(GetParam(), 2,
                             [](auto &queues)
                             {
                                 std::vector<std::int64_t> mine;
                                 for (std::int64_t i = 0; i < 100; i += 2)
                                     mine.push_back(i);
                                 push_heaps(*queues[0], mine);
                                 queues[0]->stop();
                                 std::this_thread::sleep_for(std::chrono::milliseconds(50));
                                 queues[1]->stop();
                             });
    ASSERT_FALSE(r.chunks.empty());
    std::int64_t previous = -1;
    std::size_t heaps = 0;
    for (const auto &c : r.chunks)
    {
        EXPECT_GT(c->chunk_id, previous);
        previous = c->chunk_id;
        for (std::size_t i = 0; i < heaps_per_chunk; i++)
        {
            EXPECT_EQ(c->present[i], i % 2 == 0 ? c->present[i] : 0);
            heaps += c->present[i];
        }
        check_payloads(*c);
    }
    if (GetParam() == mode::LOSSLESS)
        EXPECT_EQ(heaps, 50u);  // nothing given up early
    else
        EXPECT_GT(heaps, 0u);
}

TEST_P(chunk_stream_group_modes, stop_with_every_chunk_held)
{
    thread_pool p0, p1;
    auto data_ring = std::make_shared<ring>(8);
    auto free_ring = std::make_shared<ring>(2);
    recv::chunk_stream_group_config gc;
    gc.set_max_chunks(2).set_eviction_mode(GetParam());
    auto group = std::make_unique<recv::chunk_stream_ring_group<>>(gc, data_ring, free_ring);
    auto cc = base_chunk_config();
    cc.set_max_chunks(2);
    auto &m0 = group->emplace_back(p0, {}, cc);
    auto &m1 = group->emplace_back(p1, {}, cc);
    group->add_free_chunk(make_chunk());
    group->add_free_chunk(make_chunk());
    const bytes b0 = heaps_at(range(0, 60)), b1 = heaps_at({0});
    m0.emplace_reader<recv::mem_reader>(b0.data(), b0.size());
    auto q1 = std::make_shared<inproc_queue>();  // member 1 stays silent
    m1.emplace_reader<recv::inproc_reader>(q1);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto done = std::async(std::launch::async, [&group] { group->stop(); });
    ASSERT_EQ(done.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_TRUE(data_ring->is_stopped());
    group.reset();
}

INSTANTIATE_TEST_SUITE_P(modes, chunk_stream_group_modes, ::testing::Values(mode::LOSSY, mode::LOSSLESS),
                         [](const auto &info) { return info.param == mode::LOSSY ? "lossy" : "lossless"; });

TEST(chunk_stream, throwing_place_callback_rejects_the_heap)
{
    auto cc = base_chunk_config();
    cc.set_place(
        [](recv::chunk_place_data *data, std::size_t size)
        {
            if (data->items[0] == 3)
                throw std::runtime_error("bad heap");
            place_by_position(data, size);
        });
    const auto r = run_ring(heaps_at(range(0, 10)), cc);
    ASSERT_EQ(r.chunks.size(), 1u);
    EXPECT_EQ(r.stats["rejected_heaps"], 1u);
    EXPECT_EQ(present_of(*r.chunks[0]), flags({1, 1, 1, 0, 1, 1, 1, 1, 1, 1}));
}

TEST(chunk_stream, full_data_ring_counts_worker_blocked)
{
    thread_pool pool;
    // Enough free chunks that the stream waits on the full data ring, not
    // on the free ring (a wait for a free chunk is not worker_blocked).
    auto data_ring = std::make_shared<ring>(1);
    auto free_ring = std::make_shared<ring>(6);
    recv::chunk_ring_stream<> s(pool, {}, base_chunk_config(), data_ring, free_ring);
    for (int i = 0; i < 6; i++)
        s.add_free_chunk(make_chunk());
    const bytes buffer = heaps_at(range(0, 60));
    s.emplace_reader<recv::mem_reader>(buffer.data(), buffer.size());
    // The ring fills and the stream waits for room: the wait shows in the
    // statistics while it lasts, not only once the push has gone through.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (s.get_stats()["worker_blocked"] == 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_GE(s.get_stats()["worker_blocked"], 1u);
    std::size_t n = 0;
    for (std::unique_ptr<recv::chunk> c : *data_ring)
    {
        n++;
        s.add_free_chunk(std::move(c));
    }
    EXPECT_EQ(n, 6u);
    EXPECT_GE(s.get_stats()["worker_blocked"], 1u);
}

TEST(chunk_stream, copy_into_chunks_follows_size_unless_chosen)
{
    thread_pool pool;
    auto r = std::make_shared<ring>(2);
    const std::size_t large = recv::chunk_stream_config::nontemporal_chunk_size;
    const memcpy_function nontemporal = get_memcpy(MEMCPY_NONTEMPORAL), standard = get_memcpy(MEMCPY_STD);
    {
        recv::stream_config unset;
        EXPECT_FALSE(unset.is_memcpy_set());
        recv::chunk_ring_stream<> s(pool, unset, base_chunk_config(), r, r);
        EXPECT_EQ(s.get_chunk_copy(large), nontemporal);
        EXPECT_EQ(s.get_chunk_copy(large - 1), standard);
    }
    for (memcpy_mode mode : {MEMCPY_STD, MEMCPY_NONTEMPORAL})
    {
        recv::stream_config chosen;
        chosen.set_memcpy(mode);
        EXPECT_TRUE(chosen.is_memcpy_set());
        recv::chunk_ring_stream<> s(pool, chosen, base_chunk_config(), r, r);
        EXPECT_EQ(s.get_chunk_copy(large), get_memcpy(mode));
        EXPECT_EQ(s.get_chunk_copy(100), get_memcpy(mode));
    }
}

namespace
{

// Heap `position` at an unaligned offset spread over a large chunk.
constexpr std::size_t large_stride = 800 * 1024 + 1;

void place_spread(recv::chunk_place_data *data, std::size_t)
{
    if (data->items[1] != s_item_pointer_t(heap_bytes))
        return;
    data->chunk_id = data->items[0] / heaps_per_chunk;
    data->heap_index = data->items[0] % heaps_per_chunk;
    data->heap_offset = data->heap_index * large_stride;
}

}  // anonymous namespace

TEST(chunk_stream, large_chunks_receive_every_byte_with_streaming_copies)
{
    const std::size_t size = recv::chunk_stream_config::nontemporal_chunk_size;
    ASSERT_LE(heaps_per_chunk * large_stride, size);
    std::vector<std::unique_ptr<recv::chunk>> ready;
    auto cc = base_chunk_config();
    cc.set_place(place_spread);
    cc.set_allocate(
        [size](std::int64_t, std::uint64_t *)
        {
            auto alloc = std::make_shared<memory_allocator>();
            auto c = std::make_unique<recv::chunk>();
            c->present = alloc->allocate(heaps_per_chunk);
            c->present_size = heaps_per_chunk;
            std::memset(c->present.get(), 0, heaps_per_chunk);
            c->data = alloc->allocate(size + guard_bytes);
            c->data_size = size;
            std::memset(c->data.get(), 0, size);
            std::memset(c->data.get() + size, guard_value, guard_bytes);
            return c;
        });
    cc.set_ready([&ready](std::unique_ptr<recv::chunk> &&c, std::uint64_t *) { ready.push_back(std::move(c)); });
    thread_pool pool;
    signalling_chunk_stream s(pool, recv::stream_config(), cc);
    ASSERT_EQ(s.get_chunk_copy(size), get_memcpy(MEMCPY_NONTEMPORAL));
    auto stopped = s.stopped.get_future();
    // Several packets per heap, so copies start and end off alignment.
    const bytes buffer = heaps_at(range(0, 20), 333);
    s.emplace_reader<recv::mem_reader>(buffer.data(), buffer.size());
    ASSERT_EQ(stopped.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    ASSERT_EQ(ready.size(), 2u);
    for (const auto &c : ready)
    {
        EXPECT_EQ(present_of(*c), flags({1, 1, 1, 1, 1, 1, 1, 1, 1, 1}));
        for (std::size_t i = 0; i < heaps_per_chunk; i++)
        {
            const bytes expected = payload_of(c->chunk_id * heaps_per_chunk + i);
            const std::uint8_t *heap = c->data.get() + i * large_stride;
            EXPECT_TRUE(std::equal(expected.begin(), expected.end(), heap)) << "chunk " << c->chunk_id << " heap " << i;
            // Nothing between this heap and the next was written.
            EXPECT_TRUE(std::all_of(heap + heap_bytes, heap + large_stride, [](std::uint8_t b) { return b == 0; }))
                << "chunk " << c->chunk_id << " after heap " << i;
        }
        EXPECT_TRUE(std::all_of(c->data.get() + size, c->data.get() + size + guard_bytes,
                                [](std::uint8_t b) { return b == guard_value; }));
    }
}

namespace
{

int placed_copies = 0;

void *counting_copy(void *dest, const void *src, std::size_t n) noexcept
{
    placed_copies++;
    return std::memcpy(dest, src, n);
}

}  // anonymous namespace

TEST(live_heap, placed_payload_uses_the_placement_copy)
{
    const auto packets = heap_at(7, 400);
    ASSERT_GT(packets.size(), 1u);
    bytes dest(heap_bytes, 0);
    recv::live_heap_limits limits{1 << 20, false, get_memcpy(MEMCPY_STD)};
    memory_allocator allocator;
    for (memcpy_function placement_copy : {memcpy_function(counting_copy), memcpy_function(nullptr)})
    {
        placed_copies = 0;
        std::fill(dest.begin(), dest.end(), 0);
        std::optional<recv::live_heap> h;
        for (const auto &bytes_ : packets)
        {
            packet_view p;
            ASSERT_EQ(decode_packet(bytes_.data(), bytes_.size(), p), packet_status::ok);
            if (!h)
            {
                h.emplace(p.heap_cnt, p.heap_address_bits);
                h->place_payload(dest.data(), dest.size(), placement_copy);
            }
            ASSERT_EQ(h->add_packet(p, limits, allocator), recv::add_status::accepted);
        }
        const bytes expected = payload_of(7);
        EXPECT_TRUE(std::equal(expected.begin(), expected.end(), dest.begin()));
        // The placement's copy for every packet with payload, else the limits' one.
        EXPECT_EQ(placed_copies, placement_copy ? int(packets.size()) : 0);
    }
}
