// Sender side of the interoperability tests with spead2 (see test_send.py).
//
//   interop_send udp HOST PORT BITS N
//       Send N data heaps (descriptors in the first) and an end-of-stream
//       heap over UDP in SPEAD-64-BITS.
//   interop_send bytes CASE BITS [NUMPY_HEADER]
//       Write the packets of one reference heap, back to back, to stdout,
//       for byte-for-byte comparison with spead2's own encoder.

#include <cstdint>
#include <cstring>
#include <iostream>
#include <string>
#include <utility>
#include <vector>
#include <boost/asio.hpp>
#include <lightspead/lightspead.h>

using namespace lightspead;

namespace
{

constexpr std::size_t adc_size = 1000;
constexpr std::size_t rows = 3, cols = 5;

std::vector<descriptor> interop_descriptors(int bits)
{
    std::vector<descriptor> out(4);
    out[0].id = 0x1600;
    out[0].name = "timestamp";
    out[0].description = "Index of the first sample";
    out[0].format = {{'u', bits}};
    out[1].id = 0x3300;
    out[1].name = "adc_samples";
    out[1].description = "ADC converter output";
    out[1].shape = {std::int64_t(adc_size)};
    out[1].numpy_header = "{'descr': '|i1', 'fortran_order': False, 'shape': (1000,)}";
    out[2].id = 0x3301;
    out[2].name = "counts";
    out[2].description = "Format-based unsigned 16-bit array";
    out[2].format = {{'u', 16}};
    out[2].shape = {std::int64_t(rows), std::int64_t(cols)};
    out[3].id = 0x3302;
    out[3].name = "label";
    out[3].description = "A variable-length string";
    out[3].format = {{'c', 8}};
    out[3].shape = {-1};
    return out;
}

int send_udp(const std::string &host, int port, int bits, int n)
{
    thread_pool pool;
    send::stream_config config;
    config.set_max_packet_size(9000).set_rate(200e6);
    send::udp_stream stream(pool, {boost::asio::ip::udp::endpoint(boost::asio::ip::make_address(host), port)}, config);
    const flavour f(bits);
    const auto descriptors = interop_descriptors(bits);
    for (int i = 0; i < n; i++)
    {
        std::vector<std::int8_t> adc(adc_size);
        for (std::size_t k = 0; k < adc_size; k++)
            adc[k] = std::int8_t(i * 7 + k);
        std::vector<std::uint8_t> counts;  // big-endian u16, as the format says
        for (std::size_t k = 0; k < rows * cols; k++)
        {
            const std::uint16_t v = i * 100 + k;
            counts.push_back(v >> 8);
            counts.push_back(v & 0xff);
        }
        const std::string label = "heap " + std::to_string(i) + " from lightspead";
        send::heap heap(f);
        if (i == 0)
            for (const auto &d : descriptors)
                heap.add_descriptor(d);
        heap.add_item(0x1600, item_pointer_t(i) * 1000);
        heap.add_item(0x3300, adc.data(), adc.size(), true);
        heap.add_item(0x3301, counts.data(), counts.size(), true);
        heap.add_item(0x3302, label, false);
        stream.async_send_heap(heap, boost::asio::use_future).get();
    }
    send::heap end(f);
    end.add_end();
    stream.async_send_heap(end, boost::asio::use_future).get();
    return 0;
}

int write_case(const std::string &name, int bits, const std::string &numpy_header)
{
    boost::asio::io_context io;
    send::stream_config config;
    std::vector<std::uint8_t> data(200);
    for (std::size_t k = 0; k < data.size(); k++)
        data[k] = std::uint8_t(k + 1);
    bug_compat_mask compat = 0;
    if (name == "descriptor-compat")
        compat = BUG_COMPAT_DESCRIPTOR_WIDTHS | BUG_COMPAT_SHAPE_BIT_1;
    send::heap heap(flavour(bits, compat));
    if (name == "empty")
        ;
    else if (name == "start")
        heap.add_start();
    else if (name == "end")
        heap.add_end();
    else if (name == "item72" || name == "item136")
    {
        config.set_max_packet_size(88);
        heap.add_item(0x1000, data.data(), name == "item72" ? 72 : 136, true);
    }
    else if (name == "repeat")
    {
        config.set_max_packet_size(88);
        heap.add_item(0x1000, data.data(), 100, true);
        heap.add_item(0x1001, data.data(), 2, true);
        heap.set_repeat_pointers(true);
    }
    else if (name == "immediates")
    {
        heap.add_item(0x1000, data.data(), 3, true);
        heap.add_item(0x1001, item_pointer_t(0x0102030405) & (flavour(bits).get_address_limit() - 1));
    }
    else if (name == "many-items")
    {
        config.set_max_packet_size(88);
        for (int i = 0; i < 23; i++)
            heap.add_item(0x1000 + i, data.data() + i, 1 + i % 9, true);
    }
    else if (name == "descriptor" || name == "descriptor-compat")
    {
        descriptor d;
        d.id = 0x1234;
        d.name = "vis";
        d.description = "Visibilities";
        d.format = {{'u', 8}, {'f', 32}};
        d.shape = {3, -1, 4};
        heap.add_descriptor(d);
    }
    else if (name == "numpy-descriptor")
    {
        descriptor d;
        d.id = 0x3300;
        d.name = "adc_samples";
        d.description = "ADC converter output";
        d.shape = {1000};
        d.numpy_header = numpy_header;
        heap.add_descriptor(d);
    }
    else
    {
        std::cerr << "unknown case " << name << '\n';
        return 2;
    }
    send::streambuf_stream stream(io, *std::cout.rdbuf(), config);
    stream.async_send_heap(
        heap,
        [](const boost::system::error_code &ec, item_pointer_t)
        {
            if (ec)
                std::cerr << "send failed: " << ec.message() << '\n';
        },
        1);
    io.run();
    std::cout.flush();
    return 0;
}

}  // anonymous namespace

int main(int argc, char **argv)
{
    try
    {
        if (argc == 6 && std::strcmp(argv[1], "udp") == 0)
            return send_udp(argv[2], std::stoi(argv[3]), std::stoi(argv[4]), std::stoi(argv[5]));
        if ((argc == 4 || argc == 5) && std::strcmp(argv[1], "bytes") == 0)
            return write_case(argv[2], std::stoi(argv[3]), argc == 5 ? argv[4] : "");
    }
    catch (std::exception &e)
    {
        std::cerr << "error: " << e.what() << '\n';
        return 1;
    }
    std::cerr << "usage: interop_send udp HOST PORT BITS N | interop_send bytes CASE BITS [NUMPY_HEADER]\n";
    return 2;
}
