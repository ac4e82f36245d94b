// Fuzz packet decoding: any bytes give a packet or a reason, and an
// accepted packet lies inside the input.
#include <cstdlib>
#include <lightspead/protocol/packet.h>
#include "fuzz_main.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    using namespace lightspead;
    const auto r = decode_packet(data, size);
    if (r)
    {
        const packet_view &p = r.packet;
        FUZZ_CHECK(p.size <= size);
        FUZZ_CHECK(p.size == packet_header_size + 8 * p.n_items + std::size_t(p.payload_length));
        FUZZ_CHECK(p.payload + p.payload_length <= data + size);
        FUZZ_CHECK(p.heap_cnt >= 0 && p.payload_offset >= 0 && p.payload_length >= 0);
        FUZZ_CHECK(p.heap_length < 0 || p.payload_offset + p.payload_length <= p.heap_length);
        for (std::size_t i = 0; i < p.n_items; i++)
            (void)p.pointer(i);
        // The split form agrees with the contiguous one
        const std::size_t header = p.size - p.payload_length;
        const auto split = decode_packet(data, header, p.payload, p.payload_length);
        FUZZ_CHECK(split && split.packet.heap_cnt == p.heap_cnt && split.packet.size == p.size);
    }
    const std::size_t next = next_packet_candidate(data, size);
    FUZZ_CHECK(next <= size && (size == 0 || next >= 1));
    return 0;
}
