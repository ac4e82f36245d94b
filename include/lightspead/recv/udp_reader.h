/**
 * @file
 * Receiving packets over UDP.
 */
#ifndef LIGHTSPEAD_RECV_UDP_READER_H
#define LIGHTSPEAD_RECV_UDP_READER_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>  // Boost 1.74 Asio needs it in C++20
#include <vector>
#include <sys/socket.h>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/udp.hpp>
#include <lightspead/recv/stream.h>

namespace lightspead::recv
{

/**
 * Receives one SPEAD packet per UDP datagram on a bound socket, in batches
 * (@c recvmmsg). Where the kernel offers UDP GRO, runs of datagrams of one
 * flow arrive coalesced and are split again here, which saves system calls
 * and per-datagram work; without it, datagrams come one by one.
 *
 * Datagrams larger than @c max_size are counted as truncated; a datagram
 * whose length is not its packet's own size is counted as a size mismatch.
 * Datagrams the kernel dropped because the socket buffer was full are
 * counted in @c kernel_dropped (from SO_RXQ_OVFL), so loss is visible.
 *
 * The socket receive buffer is set to @c buffer_size usable bytes by
 * @ref set_socket_buffer (which says what happens when the kernel grants
 * less). The default, 32 MiB, is four times spead2's: it holds about 6 ms
 * at 5 GB/s, long enough for a receiver descheduled for a few scheduler
 * slices (bench/demo: on two cores with a loopback sender, 8 MiB lost
 * heaps at half the rate 32 MiB holds without loss).
 *
 * Multicast: when the endpoint's address is multicast, the socket binds to
 * it and joins the group (on the interface given, or the default one).
 *
 * Constructors throw @c std::invalid_argument for @c max_size outside
 * [packet_header_size, 65535] or an interface that does not match the
 * address family, and @c boost::system::system_error if the socket cannot
 * be opened, bound or joined.
 */
class udp_reader : public reader
{
public:
    /// Default largest datagram accepted, in bytes (larger ones are counted as truncated).
    static constexpr std::size_t default_max_size = 9200;
    /// Default socket receive buffer size to ask for, in bytes (spead2: 8 MiB).
    static constexpr std::size_t default_buffer_size = 32 * 1024 * 1024;

private:
    boost::asio::ip::udp::socket socket;
    std::size_t max_size;
    bool gro = false;
    std::size_t slot_size;
    std::vector<std::uint8_t> buffer;
    std::vector<mmsghdr> msgs;
    std::vector<iovec> iovs;
    std::vector<std::uint8_t> controls;
    std::uint32_t last_dropped = 0;  // the kernel's running count of drops

    // Direct placement: packets that continue the heap being assembled are
    // received with their payload straight into the heap (see on_readable).
    struct predicted
    {
        std::size_t start;      // byte offset of the packet within its message
        item_pointer_t offset;  // payload offset in the heap
        std::size_t length;     // payload bytes
        std::uint8_t *header;   // where its header lands (scratch)
    };
    struct received_packet
    {
        bool placed;                      // payload already in the heap
        packet_view view;                 // when placed
        std::size_t bounce_offset, size;  // otherwise: bytes in `bounce`
        bool truncated;
    };
    std::size_t learned_payload = 0;                  // payload of a full-size packet of the current heap
    std::size_t placement_backoff = 0;                // calls to skip placement after a fruitless one
    bool hints_used = false;                          // the current call predicted packets
    std::vector<std::uint8_t> scratch;                // headers of placed packets
    std::vector<std::vector<predicted>> predictions;  // per message
    std::vector<std::size_t> iov_first;               // per message, into iovs
    std::unique_ptr<std::uint8_t[]> bounce;           // a whole call's bytes fit; pre-touched
    std::size_t bounce_used = 0;
    std::vector<received_packet> packets;

    std::size_t prepare(const placement_hint &hint);
    void collect(std::size_t n_msgs, const placement_hint &hint, stream::batch &batch);

    void setup(const boost::asio::ip::udp::endpoint &endpoint, std::size_t buffer_size,
               const boost::asio::ip::address *interface_address, const unsigned int *interface_index);
    // Options and buffers for the open, bound socket.
    void prepare_socket();
    void wait();
    void on_readable(const boost::system::error_code &ec);

public:
    /// Listen on @a endpoint (joining it if multicast).
    udp_reader(stream &owner, const boost::asio::ip::udp::endpoint &endpoint, std::size_t max_size = default_max_size,
               std::size_t buffer_size = default_buffer_size);

    /// IPv4 multicast @a endpoint, joined on the interface with @a interface_address.
    udp_reader(stream &owner, const boost::asio::ip::udp::endpoint &endpoint, std::size_t max_size,
               std::size_t buffer_size, const boost::asio::ip::address &interface_address);

    /// IPv6 multicast @a endpoint, joined on interface @a interface_index.
    udp_reader(stream &owner, const boost::asio::ip::udp::endpoint &endpoint, std::size_t max_size,
               std::size_t buffer_size, unsigned int interface_index);

    /**
     * Receive on @a socket, already open and bound (and joined to any
     * multicast group) by the caller; its receive buffer is left as it is.
     * The reader takes the socket over, moving it to the stream's
     * io_context.
     */
    udp_reader(stream &owner, boost::asio::ip::udp::socket &&socket, std::size_t max_size = default_max_size);

    /// The local endpoint (useful after binding to port 0).
    boost::asio::ip::udp::endpoint get_local_endpoint() const { return socket.local_endpoint(); }

    void start() override;
    void stop() override;
};

}  // namespace lightspead::recv

#endif  // LIGHTSPEAD_RECV_UDP_READER_H
