// spead2's header names, through lightspead's compat folder (pkg-config
// lightspead-spead2): every one compiles, and spead2's names are
// lightspead's. Asio comes first, as in spead2's own programs.
#include <type_traits>
#include <utility>  // before Boost 1.74's asio, which forgets it in C++20
#include <boost/asio.hpp>
#include <gtest/gtest.h>
#include <spead2/common_defines.h>
#include <spead2/common_endian.h>
#include <spead2/common_features.h>
#include <spead2/common_flavour.h>
#include <spead2/common_inproc.h>
#include <spead2/common_logging.h>
#include <spead2/common_memcpy.h>
#include <spead2/common_memory_allocator.h>
#include <spead2/common_memory_pool.h>
#include <spead2/common_ringbuffer.h>
#include <spead2/common_semaphore.h>
#include <spead2/common_socket.h>
#include <spead2/common_thread_pool.h>
#include <spead2/recv_heap.h>
#include <spead2/recv_inproc.h>
#include <spead2/recv_live_heap.h>
#include <spead2/recv_mem.h>
#include <spead2/recv_reader.h>
#include <spead2/recv_ring_stream.h>
#include <spead2/recv_stream.h>
#include <spead2/recv_tcp.h>
#include <spead2/recv_udp.h>
#include <spead2/recv_udp_base.h>
#include <spead2/recv_udp_pcap.h>
#include <spead2/send_heap.h>
#include <spead2/send_inproc.h>
#include <spead2/send_packet.h>
#include <spead2/send_stream.h>
#include <spead2/send_stream_config.h>
#include <spead2/send_streambuf.h>
#include <spead2/send_tcp.h>
#include <spead2/send_udp.h>

static_assert(std::is_same_v<spead2::thread_pool, lightspead::thread_pool>);
static_assert(std::is_same_v<spead2::send::udp_stream, lightspead::send::udp_stream>);
static_assert(std::is_same_v<spead2::recv::ring_stream<>, lightspead::recv::ring_stream<>>);
static_assert(std::is_same_v<spead2::item_pointer_t, std::uint64_t>);

TEST(spead2_compat, features_describe_this_build)
{
    EXPECT_STREQ(SPEAD2_VERSION, "4.5.1");
    EXPECT_EQ(SPEAD2_USE_IBV, 0);
    EXPECT_EQ(SPEAD2_USE_PCAP, 1);
    EXPECT_EQ(spead2::htobe(std::uint16_t(1)), std::uint16_t(0x100));
}
