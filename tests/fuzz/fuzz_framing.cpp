// Fuzz the stream-framing splitter (TCP and memory readers). Input: a
// flags byte (the max_size to use, and a seed for how the bytes arrive in
// pieces), then the byte stream.
//
// Invariants: nothing outside the input is read (ASan); every frame's size
// fits what was available, and only "incomplete" consumes nothing; every
// byte is accounted for as packet or skipped; packets are valid and within
// the limit; and the packets found do not depend on how the bytes arrive.
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

// Every call sees a buffer of exactly `available` bytes of its own, so a
// read past them is caught by ASan.
stream_frame checked_frame(const std::uint8_t *data, std::size_t available, std::size_t max_size, bool more)
{
    const std::vector<std::uint8_t> copy(data, data + available);
    const stream_frame f = next_stream_frame(copy.data(), copy.size(), max_size, more);
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

walked walk_whole(const std::uint8_t *data, std::size_t size, std::size_t max_size, bool more)
{
    walked out;
    std::size_t pos = 0;
    while (pos < size)
    {
        const stream_frame f = checked_frame(data + pos, size - pos, max_size, more);
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
walked walk_pieces(const std::uint8_t *data, std::size_t size, std::size_t max_size, unsigned seed)
{
    walked out;
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
        const stream_frame f = checked_frame(data + pos, arrived - pos, max_size, true);
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
    return 0;
}
