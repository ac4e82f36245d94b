// A program written against spead2's C++ API, as its users have them: Asio
// included first, spead2's header names, the spead2 namespace. Built against
// an installed lightspead through lightspead::spead2 and pkg-config
// lightspead-spead2, it must compile unchanged; run, it sends one heap to
// loopback and prints what spead2 would.
#include <cstdint>
#include <iostream>
#include <boost/asio.hpp>
#include <spead2/common_defines.h>
#include <spead2/common_endian.h>
#include <spead2/common_features.h>
#include <spead2/common_flavour.h>
#include <spead2/common_thread_pool.h>
#include <spead2/recv_mem.h>
#include <spead2/recv_ring_stream.h>
#include <spead2/recv_stream.h>
#include <spead2/send_heap.h>
#include <spead2/send_stream_config.h>
#include <spead2/send_udp.h>

int main(int argc, char **argv)
{
    if (argc != 2)
    {
        std::cerr << "usage: " << argv[0] << " PORT\n";
        return 2;
    }
    spead2::thread_pool pool;
    spead2::send::udp_stream stream(
        pool, {boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), std::stoi(argv[1]))},
        spead2::send::stream_config().set_max_packet_size(9000));
    spead2::send::heap heap{spead2::flavour()};
    const std::uint64_t value = spead2::htobe(std::uint64_t(0x1234));
    heap.add_item(0x1600, &value, sizeof(value), true);
    const spead2::item_pointer_t sent = stream.async_send_heap(heap, boost::asio::use_future).get();
    std::cout << "spead2 " << SPEAD2_VERSION << " API: sent " << sent << " bytes\n";

    // Receive statistics as spead2 programs read them
    spead2::recv::stream_config config;
    const spead2::memcpy_function_id copy = spead2::MEMCPY_NONTEMPORAL;
    config.set_memcpy(copy);
    const std::size_t mine = config.add_stat("mine", spead2::recv::stream_stat_config::mode::MAXIMUM);
    spead2::recv::ring_stream<> receiver(pool, config);
    receiver.emplace_reader<spead2::recv::mem_reader>(reinterpret_cast<const std::uint8_t *>(&value), 0);
    for (const auto &h : receiver)
        (void)h;
    spead2::recv::stream_stats stats = receiver.get_stats();
    std::uint64_t total = 0;
    for (const auto &[name, count] : stats)
        total += count;
    std::cout << "stats: " << stats.size() << " (" << stats.get_config()[mine].get_name() << " at "
              << (mine == spead2::recv::stream_stat_indices::custom ? "custom" : "?") << "), heaps "
              << stats[spead2::recv::stream_stat_indices::heaps] + stats.heaps + total << '\n';
    return 0;
}
