// The copy ceiling of decoding from memory: what `lightspead-bench mem`
// and `spead2_bench mem` could reach if decoding cost nothing but the
// copy every receiver must do. The same packets as `lightspead-bench mem`
// builds (1 GiB of heaps plus one, cut into packets by lightspead's
// sender) are decoded once, before the clock, into a list of (payload,
// offset, length); the timed loop then only copies each payload to its
// offset in one heap-sized buffer, as a memory pool that hands the same
// buffer back for every heap would. Both a plain memcpy and lightspead's
// streaming copy are timed; the faster is the ceiling.
//
// The packets sit on 4 KiB pages, as in both decode benchmarks, or with -T
// on transparent huge pages, which the hardware prefetchers can follow
// across 4 KiB boundaries: the most this machine's memory gives.
//
// Usage: decode_ceiling [-H heap-size] [-p packet-size] [-P passes] [-T]
// Prints "N Gb/s" (every packet byte, headers too, over the copy time, as
// both benchmarks count), then which copy it was.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <iomanip>
#include <iostream>
#include <string>
#include <utility>
#include <vector>
#include <sys/mman.h>
#include <unistd.h>
#include <boost/asio.hpp>
#include <lightspead/lightspead.h>
#include "vector_buf.h"

namespace
{

struct packet_copy
{
    const std::uint8_t *payload;
    std::size_t offset, length;
};

using copy_function = void *(*)(void *, const void *, std::size_t) noexcept;

void *std_copy(void *dest, const void *src, std::size_t n) noexcept
{
    return std::memcpy(dest, src, n);
}

}  // anonymous namespace

int main(int argc, char *const argv[])
{
    std::size_t heap_size = 1 << 20, packet_size = 9000;
    int passes = 10, opt;
    bool huge = false;
    while ((opt = getopt(argc, argv, "H:p:P:T")) != -1)
    {
        switch (opt)
        {
        case 'H':
            heap_size = std::stoul(optarg);
            break;
        case 'p':
            packet_size = std::stoul(optarg);
            break;
        case 'P':
            passes = std::stoi(optarg);
            break;
        case 'T':
            huge = true;
            break;
        default:
            std::cerr << "Usage: " << argv[0] << " [-H heap-size] [-p packet-size] [-P passes] [-T]\n";
            return 2;
        }
    }
    if (heap_size == 0 || packet_size < 64 || passes < 1)
    {
        std::cerr << "heap size and passes must be positive, the packet size at least 64\n";
        return 2;
    }

    // The packets of lightspead-bench mem: one item of heap_size bytes a heap
    const std::size_t n_heaps = (std::size_t(1) << 30) / heap_size + 1;
    vector_buf buf;
    {
        lightspead::thread_pool pool;
        lightspead::send::stream_config config;
        config.set_max_packet_size(packet_size);
        lightspead::send::streambuf_stream stream(pool, buf, config);
        std::vector<std::uint8_t> payload(heap_size, 0x5a);
        lightspead::send::heap heap(lightspead::flavour(4, 64, 40));
        heap.add_item(0x1000, payload.data(), payload.size(), false);
        for (std::size_t i = 0; i < n_heaps; i++)
            stream.async_send_heap(heap, boost::asio::use_future).get();
    }
    const std::size_t size = buf.data.size();
    auto *source = static_cast<std::uint8_t *>(
        mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (source == MAP_FAILED)
    {
        std::cerr << "mmap: " << std::strerror(errno) << '\n';
        return 1;
    }
    if (huge && madvise(source, size, MADV_HUGEPAGE) != 0)
    {
        std::cerr << "madvise(MADV_HUGEPAGE): " << std::strerror(errno) << '\n';
        return 1;
    }
    std::memcpy(source, buf.data.data(), size);
    buf.data = {};

    std::vector<packet_copy> copies;
    for (std::size_t pos = 0; pos < size;)
    {
        lightspead::packet_view packet;
        if (lightspead::decode_packet(source + pos, size - pos, packet) != lightspead::packet_status::ok)
        {
            std::cerr << "the packets do not decode at byte " << pos << '\n';
            return 1;
        }
        copies.push_back({packet.payload, std::size_t(packet.payload_offset), std::size_t(packet.payload_length)});
        pos += packet.size;
    }
    std::vector<std::uint8_t> heap(heap_size + 1024);  // touched: no page faults when timed

    const std::pair<const char *, copy_function> functions[] = {{"memcpy", std_copy},
                                                                {"memcpy_nontemporal", lightspead::memcpy_nontemporal}};
    double best = 0.0;
    const char *best_name = "";
    for (const auto &[name, copy] : functions)
    {
        const auto start = std::chrono::steady_clock::now();
        for (int pass = 0; pass < passes; pass++)
            for (const auto &c : copies)
                copy(heap.data() + c.offset, c.payload, c.length);
        const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
        const double gbps = double(size) * passes * 8e-9 / elapsed.count();
        if (gbps > best)
        {
            best = gbps;
            best_name = name;
        }
    }
    std::cout << std::fixed << std::setprecision(2) << best << " Gb/s (" << best_name << ", "
              << (huge ? "huge pages" : "4 KiB pages") << ")\n";
    munmap(source, size);
    return 0;
}
