// Fuzz the stream-framing splitter (TCP and memory readers). Input: a
// flags byte (the max_size to use, and a seed for how the bytes arrive in
// pieces), then the byte stream.
//
// Invariants: nothing outside the input is read (ASan); every frame's size
// fits what was available, and only "incomplete" consumes nothing; every
// byte is accounted for as packet or skipped; packets are valid and within
// the limit; and the packets found do not depend on how the bytes arrive.
// The same for stream_framer (the readers' splitter), which must also
// split exactly as its rules rebuilt here on next_stream_frame do: its
// index of item pointers must not change what it finds.
#include <cstdlib>
#include <limits>
#include <utility>
#include <vector>
#include <lightspead/protocol/stream_framing.h>
#include "fuzz_main.h"

namespace
{

using namespace lightspead;
using frames = std::vector<std::pair<std::size_t, std::size_t>>;  // (offset, size) of packets

constexpr std::size_t unlimited = std::numeric_limits<std::size_t>::max();

struct walked
{
    frames packets;
    std::size_t skipped = 0;
    std::size_t remainder = 0;  // left waiting at the end
};

// How a walk splits the bytes: next_stream_frame alone, a stream_framer,
// or the framer's rules rebuilt on next_stream_frame (oversized packets
// are garbage while resynchronising), without its index.
enum class split
{
    plain,
    framer,
    reference
};

struct splitter
{
    split how;
    std::size_t max_size;
    stream_framer framer;
    bool resyncing = false;

    splitter(split how, std::size_t max_size) : how(how), max_size(max_size), framer(max_size) {}

    stream_frame operator()(const std::uint8_t *data, std::size_t available, bool more)
    {
        if (how == split::framer)
            return framer.next(data, available, more);
        stream_frame f = next_stream_frame(data, available, max_size, more);
        if (how == split::reference)
        {
            if (f.kind == stream_frame_kind::oversized && resyncing)
            {
                f.kind = stream_frame_kind::garbage;
                f.size = next_packet_candidate(data, available);
            }
            if (f.kind == stream_frame_kind::garbage)
                resyncing = true;
            else if (f.kind == stream_frame_kind::packet)
                resyncing = false;
        }
        return f;
    }
};

// Every call sees a buffer of exactly `available` bytes of its own, so a
// read past them is caught by ASan.
stream_frame checked_frame(splitter &split_at, const std::uint8_t *data, std::size_t available, bool more)
{
    const std::size_t max_size = split_at.max_size;
    const std::vector<std::uint8_t> copy(data, data + available);
    const stream_frame f = split_at(copy.data(), copy.size(), more);
    FUZZ_CHECK((f.size == 0) == (f.kind == stream_frame_kind::incomplete));
    FUZZ_CHECK(f.kind != stream_frame_kind::incomplete || more || available == 0);
    if (f.size > available)
    {
        // Only an oversized packet whose payload is still to come
        FUZZ_CHECK(f.kind == stream_frame_kind::oversized && more && f.size > max_size);
        const auto partial = decode_packet(copy.data(), available);
        FUZZ_CHECK(partial.status == packet_status::truncated_payload);
        FUZZ_CHECK(partial.packet.n_items * 8 + 8 + std::size_t(partial.packet.payload_length) == f.size);
    }
    else if (f.kind == stream_frame_kind::packet || f.kind == stream_frame_kind::oversized)
    {
        const packet_view &p = f.packet;
        FUZZ_CHECK(p.size == f.size);
        FUZZ_CHECK(p.payload >= copy.data() && p.payload + p.payload_length == copy.data() + f.size);
        FUZZ_CHECK((f.kind == stream_frame_kind::packet) == (f.size <= max_size));
        // The packet re-decodes alone, as a datagram would
        const auto again = decode_packet(copy.data(), f.size);
        FUZZ_CHECK(again && again.packet.size == f.size && again.packet.heap_cnt == p.heap_cnt);
    }
    return f;
}

// Count a frame that consumed bytes at `pos`.
void record(walked &out, const stream_frame &f, std::size_t pos)
{
    if (f.kind == stream_frame_kind::garbage)
        out.skipped += f.size;
    else
        out.packets.emplace_back(pos, f.size);
}

walked walk_whole(const std::uint8_t *data, std::size_t size, std::size_t max_size, bool more, split how = split::plain)
{
    walked out;
    splitter split_at(how, max_size);
    std::size_t pos = 0;
    while (pos < size)
    {
        const stream_frame f = checked_frame(split_at, data + pos, size - pos, more);
        if (f.kind == stream_frame_kind::incomplete)
        {
            out.remainder = size - pos;
            break;
        }
        record(out, f, pos);
        pos += f.size;
    }
    FUZZ_CHECK(out.remainder == 0 || more);
    std::size_t in_packets = 0;
    for (const auto &p : out.packets)
        in_packets += std::min(p.second, size - p.first);  // the last may run past the end
    FUZZ_CHECK(in_packets + out.skipped + out.remainder == size);
    return out;
}

// As a TCP reader sees it: the bytes arrive in pieces whose sizes come
// from `seed`; on "incomplete" the next piece is appended.
// An oversized packet is skipped as its bytes arrive.
walked walk_pieces(const std::uint8_t *data, std::size_t size, std::size_t max_size, unsigned seed,
                   split how = split::plain)
{
    walked out;
    splitter split_at(how, max_size);
    std::size_t arrived = 0, pos = 0;
    unsigned state = seed * 2654435761u + 1;
    const auto more_arrive = [&]
    {
        state = state * 1103515245u + 12345u;
        arrived = std::min(size, arrived + 1 + (state >> 16) % 97);
    };
    while (pos < size)
    {
        while (arrived < pos && arrived < size)
            more_arrive();
        if (pos >= size)
            break;
        const stream_frame f = checked_frame(split_at, data + pos, arrived - pos, true);
        if (f.kind == stream_frame_kind::incomplete)
        {
            if (arrived == size)
                break;
            more_arrive();
            continue;
        }
        record(out, f, pos);
        pos += f.size;
    }
    out.remainder = pos >= size ? 0 : size - pos;
    return out;
}

}  // anonymous namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size < 1)
        return 0;
    static constexpr std::size_t limits[] = {8, 48, 64, 200, 1472, 9000, 65536, unlimited};
    const std::size_t max_size = limits[data[0] & 7];
    const unsigned seed = data[0] >> 3;
    data++;
    size--;

    // Memory reader: all input present, any limit
    const walked memory = walk_whole(data, size, max_size, false);
    (void)memory;
    // TCP reader with a limit: packets and oversized packets do not depend
    // on how the bytes arrive
    const walked limited = walk_whole(data, size, max_size, true);
    const walked limited_pieces = walk_pieces(data, size, max_size, seed);
    FUZZ_CHECK(limited_pieces.packets == limited.packets);
    FUZZ_CHECK(limited_pieces.remainder == limited.remainder);
    // Without a limit, the same; and a buffer that is all there is finds
    // every packet a live one does.
    const walked live = walk_whole(data, size, unlimited, true);
    const walked pieces = walk_pieces(data, size, unlimited, seed);
    FUZZ_CHECK(pieces.packets == live.packets);
    FUZZ_CHECK(pieces.remainder == live.remainder);
    const walked all = walk_whole(data, size, unlimited, false);
    FUZZ_CHECK(all.packets.size() >= live.packets.size());
    for (std::size_t i = 0; i < live.packets.size(); i++)
        FUZZ_CHECK(all.packets[i] == live.packets[i]);

    // The framer: as its rules say, and independent of how bytes arrive
    for (const std::size_t limit : {max_size, unlimited})
    {
        for (const bool more : {false, true})
        {
            const walked framed = walk_whole(data, size, limit, more, split::framer);
            const walked reference = walk_whole(data, size, limit, more, split::reference);
            FUZZ_CHECK(framed.packets == reference.packets);
            FUZZ_CHECK(framed.skipped == reference.skipped && framed.remainder == reference.remainder);
        }
        const walked framed = walk_whole(data, size, limit, true, split::framer);
        const walked framed_pieces = walk_pieces(data, size, limit, seed, split::framer);
        const walked reference_pieces = walk_pieces(data, size, limit, seed, split::reference);
        FUZZ_CHECK(framed_pieces.packets == framed.packets && framed_pieces.remainder == framed.remainder);
        FUZZ_CHECK(framed_pieces.packets == reference_pieces.packets);
        FUZZ_CHECK(framed_pieces.skipped == reference_pieces.skipped);
    }
    return 0;
}
