/**
 * @file
 * UDP segmentation offload (GSO, sending) and receive coalescing (GRO):
 * the socket-option numbers, which older C library headers lack, and the
 * kernel's limits, in one place for both directions.
 */
#ifndef LIGHTSPEAD_COMMON_UDP_OFFLOAD_H
#define LIGHTSPEAD_COMMON_UDP_OFFLOAD_H

#include <cstddef>
#include <netinet/in.h>
#include <netinet/udp.h>

// Values from linux/udp.h (stable kernel ABI since 4.18 and 5.0).
#ifndef SOL_UDP
/// The UDP socket option level.
# define SOL_UDP 17
#endif
#ifndef UDP_SEGMENT
/// UDP generic segmentation offload (GSO): the segment size of a send.
# define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
/// UDP generic receive offload (GRO): coalesced datagrams on receive.
# define UDP_GRO 104
#endif

namespace lightspead
{

/// The largest UDP payload over IPv4: 65535 less the IPv4 and UDP headers.
inline constexpr std::size_t max_udp_payload_ipv4 = 65507;
/// The largest UDP payload over IPv6: 65535 less the UDP header.
inline constexpr std::size_t max_udp_payload_ipv6 = 65527;
/// Segments the kernel accepts in one GSO send (UDP_MAX_SEGMENTS).
inline constexpr std::size_t max_gso_segments = 64;
/// The largest message a GRO receive can return: a whole coalesced super-packet.
inline constexpr std::size_t max_gro_message = 65536;

}  // namespace lightspead

#endif  // LIGHTSPEAD_COMMON_UDP_OFFLOAD_H
