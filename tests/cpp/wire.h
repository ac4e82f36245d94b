// Helpers that build expected wire bytes straight from the specification,
// independently of the library's encoder.
#ifndef LIGHTSPEAD_TESTS_WIRE_H
#define LIGHTSPEAD_TESTS_WIRE_H

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace wire
{

using bytes = std::vector<std::uint8_t>;

inline void be(bytes &out, std::uint64_t value, int len)
{
    for (int i = len - 1; i >= 0; i--)
        out.push_back(std::uint8_t(value >> (8 * i)));
}

/// 8-byte header for SPEAD-64-A with n item pointers.
inline bytes header(int a, int n)
{
    bytes out{0x53, 0x04, std::uint8_t(8 - a / 8), std::uint8_t(a / 8), 0, 0};
    be(out, n, 2);
    return out;
}

inline void imm(bytes &out, int a, std::uint64_t id, std::uint64_t value)
{
    be(out, (std::uint64_t(1) << 63) | (id << a) | value, 8);
}

inline void addr(bytes &out, int a, std::uint64_t id, std::uint64_t address)
{
    be(out, (id << a) | address, 8);
}

inline void append(bytes &out, const bytes &more)
{
    out.insert(out.end(), more.begin(), more.end());
}

inline void append(bytes &out, const std::string &more)
{
    out.insert(out.end(), more.begin(), more.end());
}

/// Header and the four specials every sent packet starts with.
inline bytes prefix(int a, int n_other, std::uint64_t cnt, std::uint64_t heap_length, std::uint64_t offset,
                    std::uint64_t length)
{
    bytes out = header(a, n_other + 4);
    imm(out, a, 1, cnt);
    imm(out, a, 2, heap_length);
    imm(out, a, 3, offset);
    imm(out, a, 4, length);
    return out;
}

}  // namespace wire

#endif
