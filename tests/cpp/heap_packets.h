// Cutting a heap into whole packets (byte vectors), for tests on both sides.
#ifndef LIGHTSPEAD_TESTS_HEAP_PACKETS_H
#define LIGHTSPEAD_TESTS_HEAP_PACKETS_H

#include <cstdint>
#include <vector>
#include <gtest/gtest.h>
#include <lightspead/send/packet_generator.h>

inline std::vector<std::vector<std::uint8_t>> packets_of(const lightspead::send::heap &h,
                                                         lightspead::item_pointer_t cnt, std::size_t max_packet_size)
{
    lightspead::send::packet_generator gen(h, cnt, max_packet_size);
    std::vector<std::vector<std::uint8_t>> out;
    while (gen.has_next_packet())
    {
        std::vector<std::uint8_t> header(gen.next_header_size());
        std::vector<iovec> iov;
        std::size_t size = gen.next_packet(header.data(), iov);
        std::vector<std::uint8_t> packet;
        for (const auto &v : iov)
        {
            auto *base = static_cast<const std::uint8_t *>(v.iov_base);
            packet.insert(packet.end(), base, base + v.iov_len);
        }
        EXPECT_EQ(packet.size(), size);
        EXPECT_LE(size, max_packet_size);
        out.push_back(std::move(packet));
    }
    return out;
}

#endif
