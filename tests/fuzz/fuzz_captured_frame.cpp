// Fuzz the captured-frame parser (pcap reader). Input: a byte choosing the
// link type, then the captured frame.
//
// Invariants: nothing outside the frame is read (ASan, on an exactly sized
// copy); a payload lies wholly inside the frame, after the headers its
// link type and IP version imply; and a frame that parses still parses,
// to the same payload, with bytes appended (a longer capture).
#include <cstdlib>
#include <vector>
#include <lightspead/protocol/captured_frame.h>
#include "fuzz_main.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    using namespace lightspead;
    if (size < 1)
        return 0;
    static constexpr int links[] = {int(link_type::ethernet), int(link_type::raw_ip), int(link_type::linux_cooked), 0};
    const int link = links[data[0] & 3];
    const std::vector<std::uint8_t> frame(data + 1, data + size);
    const auto r = decode_captured_frame(link, frame.data(), frame.size());
    FUZZ_CHECK(to_string(r.status) != nullptr);
    if (!r)
    {
        FUZZ_CHECK(r.payload == nullptr && r.payload_size == 0);
        return 0;
    }
    FUZZ_CHECK(link != 0);
    const std::size_t offset = r.payload - frame.data();
    // Smallest headers: raw IPv4 (20) + UDP (8)
    FUZZ_CHECK(offset >= 28);
    FUZZ_CHECK(offset <= frame.size() && r.payload_size <= frame.size() - offset);
    std::vector<std::uint8_t> longer(frame);
    longer.resize(frame.size() + 16, 0xee);
    const auto again = decode_captured_frame(link, longer.data(), longer.size());
    FUZZ_CHECK(again && std::size_t(again.payload - longer.data()) == offset && again.payload_size == r.payload_size);
    return 0;
}
