// Fuzz a chunk stream. The input is one byte of stream settings, one byte
// that shapes the place callback (including hostile answers: negative or
// far-jumping chunk IDs, offsets and indices beyond the chunk, oversized
// extra), then packets as for fuzz_stream (each after a 2-byte big-endian
// length), fed as datagrams.
//
// Invariants: every packet is accounted for; nothing is written outside a
// chunk's data, presence flags or extra (guard bytes after each), nor
// inside a chunk anywhere the callback did not place a heap (the rest of
// the chunk keeps its fill byte); a presence flag is set only where a heap
// was placed; every chunk handed out comes back through ready exactly once.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <utility>
#include <vector>
#include <boost/asio/io_context.hpp>
#include <lightspead/recv/chunk_stream.h>
#include "fuzz_main.h"
#include "stream_checks.h"

using namespace lightspead;

namespace
{

constexpr std::size_t data_bytes = 4096, present_flags = 16, extra_bytes = 64, guard = 256;
constexpr std::uint8_t fill = 0xee, guard_fill = 0xa5;

struct placed
{
    std::size_t offset, length, index, flags;
};

struct harness
{
    std::uint8_t shape = 0;
    std::size_t packet_presence = 0;
    // What the callback asked for, by chunk ID: where writes may happen.
    std::map<std::int64_t, std::vector<placed>> placements;
    std::set<std::int64_t> outstanding;  // allocated, not yet ready
    std::size_t allocated = 0, readied = 0;
    std::vector<std::unique_ptr<recv::chunk>> done;
    std::vector<std::vector<std::uint8_t>> done_data;  // each as it was handed over

    void place(recv::chunk_place_data *d)
    {
        const s_item_pointer_t cnt = d->items[0], length = d->items[1];
        if (cnt < 0 || length < 0)
            return;
        const auto c = std::uint64_t(cnt);
        // Mostly sensible, sometimes hostile, chosen by the shape byte and the counter.
        d->chunk_id = std::int64_t(c / 4);
        d->heap_index = c % 4 * 4;
        d->heap_offset = c % 4 * 1024;
        switch ((shape + c) % 8)
        {
        case 0:
            d->chunk_id = -std::int64_t(c) - 1;
            break;
        case 1:
            d->chunk_id = std::int64_t(c * 1000003 % 97);  // back and forth
            break;
        case 2:
            d->heap_offset = data_bytes - c % 2048;  // partly or wholly beyond the data
            break;
        case 3:
            d->heap_index = present_flags - c % 3;
            break;
        case 4:
            d->extra_size = c % 16;
            d->extra_offset = extra_bytes - c % 24;
            break;
        case 5:
            if (shape & 0x80)
                d->chunk_id = std::int64_t((std::uint64_t(1) << 63) - 1 - c % 3);  // the top of the range
            break;
        default:
            break;
        }
        if (d->extra_size > 0 && d->extra)
            std::memset(d->extra, 0x5a, std::min<std::size_t>(d->extra_size, 8));
        const std::size_t flags = packet_presence ? (length == 0 ? 1 : (std::size_t(length) - 1) / packet_presence + 1)
                                                  : 1;
        if (d->chunk_id >= 0)
            placements[d->chunk_id].push_back({d->heap_offset, std::size_t(length), d->heap_index, flags});
    }

    std::unique_ptr<recv::chunk> allocate(std::int64_t id)
    {
        FUZZ_CHECK(outstanding.insert(id).second);
        allocated++;
        auto alloc = std::make_shared<memory_allocator>();
        auto c = std::make_unique<recv::chunk>();
        c->data = alloc->allocate(data_bytes + guard);
        c->data_size = data_bytes;
        std::memset(c->data.get(), fill, data_bytes);
        std::memset(c->data.get() + data_bytes, guard_fill, guard);
        c->present = alloc->allocate(present_flags + guard);
        c->present_size = present_flags;
        std::memset(c->present.get(), 0, present_flags);
        std::memset(c->present.get() + present_flags, guard_fill, guard);
        c->extra = alloc->allocate(extra_bytes + guard);
        c->extra_size = extra_bytes;
        std::memset(c->extra.get(), 0, extra_bytes);
        std::memset(c->extra.get() + extra_bytes, guard_fill, guard);
        return c;
    }

    void ready(std::unique_ptr<recv::chunk> &&c)
    {
        FUZZ_CHECK(outstanding.erase(c->chunk_id) == 1);
        readied++;
        auto intact = [](const std::uint8_t *p)
        { return std::all_of(p, p + guard, [](auto b) { return b == guard_fill; }); };
        FUZZ_CHECK(intact(c->data.get() + data_bytes));
        FUZZ_CHECK(intact(c->present.get() + present_flags));
        FUZZ_CHECK(intact(c->extra.get() + extra_bytes));
        // Bytes and flags no placement covered are untouched.
        std::vector<bool> may_write(data_bytes, false), may_flag(present_flags, false);
        for (const auto &p : placements[c->chunk_id])
        {
            for (std::size_t i = p.offset; i < data_bytes && i - p.offset < p.length; i++)
                may_write[i] = true;
            for (std::size_t i = p.index; i < present_flags && i - p.index < p.flags; i++)
                may_flag[i] = true;
        }
        for (std::size_t i = 0; i < data_bytes; i++)
            FUZZ_CHECK(may_write[i] || c->data[i] == fill);
        for (std::size_t i = 0; i < present_flags; i++)
        {
            FUZZ_CHECK(c->present[i] <= 1);
            FUZZ_CHECK(may_flag[i] || c->present[i] == 0);
        }
        done_data.emplace_back(c->data.get(), c->data.get() + data_bytes);
        done.push_back(std::move(c));
    }
};

}  // anonymous namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size < 2)
        return 0;
    harness h;
    h.shape = data[1];
    h.packet_presence = (data[0] & 8) ? 256 : 0;
    boost::asio::io_context io;
    recv::stream_config config;
    config.set_max_heap_size(1 << 16)
        .set_max_heaps(2)
        .set_substreams(1 + (data[0] >> 6))
        .set_allow_out_of_order(data[0] & 1);
    recv::chunk_stream_config cc;
    cc.set_items({HEAP_CNT_ID, HEAP_LENGTH_ID})
        .set_max_chunks(1 + ((data[0] >> 4) & 3))
        .set_max_heap_extra(8)
        .set_place([&h](recv::chunk_place_data *d, std::size_t) { h.place(d); })
        .set_allocate([&h](std::int64_t id, std::uint64_t *) { return h.allocate(id); })
        .set_ready([&h](std::unique_ptr<recv::chunk> &&c, std::uint64_t *) { h.ready(std::move(c)); });
    if (h.packet_presence)
        cc.enable_packet_presence(h.packet_presence);
    std::size_t fed = 0;
    {
        recv::chunk_stream s(io, config, cc);
        {
            recv::stream::batch batch(s);
            std::size_t pos = 2;
            while (pos + 2 <= size)
            {
                const std::size_t length = std::min<std::size_t>((data[pos] << 8) | data[pos + 1], size - pos - 2);
                batch.add_datagram(data + pos + 2, length);
                fed++;
                pos += 2 + length;
            }
        }
        s.stop();
        check_packets_accounted(s, fed);
    }
    FUZZ_CHECK(h.outstanding.empty());
    FUZZ_CHECK(h.allocated == h.readied);
    // Nothing was written into a chunk after it was handed over.
    for (std::size_t i = 0; i < h.done.size(); i++)
        FUZZ_CHECK(std::equal(h.done_data[i].begin(), h.done_data[i].end(), h.done[i]->data.get()));
    return 0;
}
