// A std::streambuf that appends to a vector (std::stringbuf would copy on
// str()): where the memory benchmarks build their packets.
#ifndef LIGHTSPEAD_BENCH_VECTOR_BUF_H
#define LIGHTSPEAD_BENCH_VECTOR_BUF_H

#include <cstdint>
#include <streambuf>
#include <vector>

class vector_buf : public std::streambuf
{
public:
    std::vector<std::uint8_t> data;

protected:
    std::streamsize xsputn(const char *s, std::streamsize n) override
    {
        data.insert(data.end(), s, s + n);
        return n;
    }
    int_type overflow(int_type c) override
    {
        if (c != traits_type::eof())
            data.push_back(std::uint8_t(c));
        return c;
    }
};

#endif  // LIGHTSPEAD_BENCH_VECTOR_BUF_H
