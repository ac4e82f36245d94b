/**
 * @file
 * Sending over UDP, one SPEAD packet per datagram.
 */
#ifndef LIGHTSPEAD_SEND_UDP_STREAM_H
#define LIGHTSPEAD_SEND_UDP_STREAM_H

#include <cstddef>
#include <cstdint>
#include <utility>  // Boost 1.74 Asio needs it in C++20
#include <vector>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/udp.hpp>
#include <lightspead/send/stream.h>

namespace lightspead::send
{

/**
 * A stream that sends each packet as a UDP datagram to one of several
 * endpoints (substream i goes to endpoints[i]). IPv4 and IPv6, unicast and
 * multicast.
 *
 * On Linux, packets go out in batches with @c sendmmsg, and runs of
 * equal-sized packets for the same endpoint are handed to the kernel as one
 * UDP GSO super-packet (@c UDP_SEGMENT) with scatter/gather from the heap's
 * memory. If the kernel refuses GSO (for example because a packet exceeds
 * the path MTU), the stream logs a warning once and sends packets one by
 * one from then on.
 *
 * Heaps may go to the kernel without being copied (@c MSG_ZEROCOPY; see
 * @ref stream_config::set_zerocopy): their completion handlers then run
 * only once the kernel has released their memory. Payload on huge pages
 * (@ref mmap_allocator with @c prefer_huge) lets a GSO super-packet carry
 * the most packets without copying.
 *
 * All constructors throw @c std::invalid_argument for: no endpoints,
 * endpoints of mixed address families, and, for the multicast forms, an
 * endpoint that is not multicast or a TTL outside [0, 255]. Socket failures
 * throw @c boost::system::system_error. A @c max_packet_size larger than a
 * UDP datagram can be (65507 bytes for IPv4, 65527 for IPv6) is accepted,
 * as spead2 accepts it, with a warning in the log: each heap with a packet
 * that large then fails with @c EMSGSIZE (@c message_size) when sent.
 */
class udp_stream : public stream
{
public:
    /// Default socket send buffer size in bytes.
    static constexpr std::size_t default_buffer_size = 512 * 1024;

    /**
     * Send to @a endpoints.
     *
     * @param buffer_size  socket send buffer to ask for (0 = system
     *                     default); a warning is logged if the kernel grants less.
     * @param interface_address  if not unspecified, bind the socket to this
     *                     local address (choosing the outgoing interface).
     */
    udp_stream(io_context_ref io, const std::vector<boost::asio::ip::udp::endpoint> &endpoints,
               const stream_config &config = stream_config(), std::size_t buffer_size = default_buffer_size,
               const boost::asio::ip::address &interface_address = boost::asio::ip::address());

    /// Send to multicast @a endpoints with time-to-live (hop limit) @a ttl.
    udp_stream(io_context_ref io, const std::vector<boost::asio::ip::udp::endpoint> &endpoints,
               const stream_config &config, std::size_t buffer_size, int ttl);

    /// Send to IPv4 multicast @a endpoints with @a ttl through the interface with @a interface_address.
    udp_stream(io_context_ref io, const std::vector<boost::asio::ip::udp::endpoint> &endpoints,
               const stream_config &config, std::size_t buffer_size, int ttl,
               const boost::asio::ip::address &interface_address);

    /// Send to IPv6 multicast @a endpoints with hop limit @a ttl through interface @a interface_index.
    udp_stream(io_context_ref io, const std::vector<boost::asio::ip::udp::endpoint> &endpoints,
               const stream_config &config, std::size_t buffer_size, int ttl, unsigned int interface_index);

    /**
     * Send to @a endpoints through @a socket, opened (and perhaps bound or
     * given options) by the caller; its send buffer is left as it is. The
     * stream takes the socket over, moving it to its io_context. The
     * endpoints must be of the socket's address family.
     */
    udp_stream(io_context_ref io, boost::asio::ip::udp::socket &&socket,
               const std::vector<boost::asio::ip::udp::endpoint> &endpoints,
               const stream_config &config = stream_config());

    /**
     * Whether packets currently go out as GSO super-packets (false once the
     * kernel has refused them).
     */
    bool is_gso_active() const;

    /**
     * Whether heaps the config marks for zero-copy (see
     * @ref stream_config::set_zerocopy) currently go to the kernel without
     * copying: false with @c zerocopy_mode::off, where the kernel lacks
     * @c SO_ZEROCOPY, once it refused a zero-copy send, and, in
     * @c zerocopy_mode::automatic, once it reported that it copied one.
     */
    bool is_zerocopy_active() const;

    /**
     * Whether heaps sent without copying from the memory of the config's
     * @ref registered_allocator currently go through io_uring from
     * registered buffers: false without such an allocator, while
     * @ref is_zerocopy_active is false, where io_uring is unavailable or
     * the memory could not be registered (an unprivileged process whose
     * @c RLIMIT_MEMLOCK is too small), and once the kernel refused such a
     * send (before Linux 6.15). The reason is logged.
     */
    bool is_registered_active() const;

    /**
     * How many sends (datagrams or GSO super-packets) went to the kernel
     * from registered buffers (see @ref is_registered_active).
     */
    std::uint64_t get_registered_sends() const;

    /**
     * How many zero-copy sends (datagrams or GSO super-packets) the kernel
     * reported as copied after all (as it does on loopback).
     */
    std::uint64_t get_zerocopy_copied() const;
};

}  // namespace lightspead::send

#endif  // LIGHTSPEAD_SEND_UDP_STREAM_H
