// Receiver side of the interoperability tests with spead2 (see test_recv.py).
//
//   interop_recv udp PORT      receive on 127.0.0.1:PORT until the stop heap
//   interop_recv mem FILE      receive the packets stored back to back in FILE
//
// Prints one JSON object per line: every heap (items and descriptors), then
// the stream statistics. Item payloads are summarised by length, a
// position-weighted checksum and their first 64 bytes.

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <utility>
#include <vector>
#include <boost/asio.hpp>
#include <lightspead/lightspead.h>

using namespace lightspead;

namespace
{

std::string json_string(const std::string &s)
{
    std::ostringstream out;
    out << '"';
    for (unsigned char c : s)
    {
        if (c == '"' || c == '\\')
            out << '\\' << c;
        else if (c < 0x20 || c >= 0x7f)
        {
            char buf[8];
            std::snprintf(buf, sizeof(buf), "\\u%04x", c);
            out << buf;
        }
        else
            out << c;
    }
    out << '"';
    return out.str();
}

// sum of byte * (position % 251 + 1), cheap to recompute with numpy
std::uint64_t checksum(const std::uint8_t *p, std::size_t n)
{
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < n; i++)
        sum += std::uint64_t(p[i]) * (i % 251 + 1);
    return sum;
}

std::string hex(const std::uint8_t *p, std::size_t n)
{
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < n; i++)
    {
        out += digits[p[i] >> 4];
        out += digits[p[i] & 15];
    }
    return out;
}

void print_heap(const recv::heap &heap)
{
    std::ostringstream out;
    out << "{\"cnt\": " << heap.get_cnt() << ", \"heap_address_bits\": " << heap.get_flavour().get_heap_address_bits()
        << ", \"items\": [";
    bool first = true;
    for (const auto &it : heap.get_items())
    {
        if (it.id == DESCRIPTOR_ID)
            continue;
        out << (first ? "" : ", ") << "{\"id\": " << it.id;
        if (it.is_immediate)
            out << ", \"immediate\": " << it.immediate_value;
        out << ", \"length\": " << it.length << ", \"checksum\": " << checksum(it.ptr, it.length) << ", \"head\": \""
            << hex(it.ptr, std::min<std::size_t>(it.length, 64)) << "\"}";
        first = false;
    }
    out << "], \"descriptors\": [";
    std::vector<std::string> errors;
    first = true;
    for (const auto &d : heap.get_descriptors(&errors))
    {
        out << (first ? "" : ", ") << "{\"id\": " << d.id << ", \"name\": " << json_string(d.name)
            << ", \"description\": " << json_string(d.description) << ", \"format\": [";
        for (std::size_t i = 0; i < d.format.size(); i++)
            out << (i ? ", " : "") << "[" << json_string(std::string(1, d.format[i].first)) << ", "
                << d.format[i].second << "]";
        out << "], \"shape\": [";
        for (std::size_t i = 0; i < d.shape.size(); i++)
            out << (i ? ", " : "") << d.shape[i];
        out << "], \"numpy_header\": " << json_string(d.numpy_header) << "}";
        first = false;
    }
    out << "], \"descriptor_errors\": " << errors.size() << "}";
    std::cout << out.str() << '\n';
}

void print_stats(const recv::stream &s)
{
    // spead2's statistics and lightspead's discard counters, in one object
    std::cout << "{\"stats\": {";
    const char *sep = "";
    for (const auto &stats : {s.get_stats(), s.get_discard_stats()})
        for (const auto &[name, value] : stats)
        {
            std::cout << sep << json_string(name) << ": " << value;
            sep = ", ";
        }
    std::cout << "}}\n";
}

}  // anonymous namespace

int main(int argc, char **argv)
{
    if (argc != 3 || (std::strcmp(argv[1], "udp") != 0 && std::strcmp(argv[1], "mem") != 0))
    {
        std::cerr << "usage: interop_recv udp PORT | interop_recv mem FILE\n";
        return 2;
    }
    try
    {
        thread_pool pool;
        recv::stream_config config;
        config.set_max_heaps(4);
        recv::ring_stream stream(pool, config);
        std::vector<std::uint8_t> data;
        if (std::strcmp(argv[1], "udp") == 0)
        {
            stream.emplace_reader<recv::udp_reader>(
                boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), std::stoi(argv[2])),
                recv::udp_reader::default_max_size, 64 * 1024 * 1024);
            std::cout << "{\"ready\": true}" << std::endl;
        }
        else
        {
            std::ifstream in(argv[2], std::ios::binary);
            if (!in)
            {
                std::cerr << "cannot open " << argv[2] << '\n';
                return 1;
            }
            data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
            stream.emplace_reader<recv::mem_reader>(data.data(), data.size());
        }
        for (const auto &heap : stream)
            print_heap(heap);
        print_stats(stream);
    }
    catch (std::exception &e)
    {
        std::cerr << "error: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
