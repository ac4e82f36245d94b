/**
 * @file
 * Socket options that the send and receive sides share: buffer sizing and
 * multicast interfaces. Each rule exists here once, so a UDP reader, a UDP
 * stream, a TCP reader and a TCP stream all size and report buffers alike.
 */
#ifndef LIGHTSPEAD_COMMON_SOCKET_OPTIONS_H
#define LIGHTSPEAD_COMMON_SOCKET_OPTIONS_H

#include <cstddef>
#include <utility>  // Boost 1.74 Asio needs it in C++20
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

namespace lightspead
{

/**
 * The address family (AF_INET or AF_INET6) of socket @a fd.
 *
 * @throws boost::system::system_error if @a fd is not a socket;
 *         std::invalid_argument if it is not an IPv4 or IPv6 socket.
 */
int socket_family(int fd);

/**
 * A socket of @a Protocol on @a io holding a duplicate of descriptor
 * @a fd (the caller keeps, and closes, its own): how sockets made by other
 * code, such as Python's socket module, are handed to readers and streams.
 *
 * @throws boost::system::system_error if @a fd cannot be duplicated or is
 *         not a socket; std::invalid_argument if it is not IPv4 or IPv6.
 */
template<typename Socket>
Socket duplicate_socket(boost::asio::io_context &io, int fd);

/// Which of a socket's two kernel buffers.
enum class socket_buffer
{
    send,
    receive
};

/**
 * Ask for a kernel buffer of @a size usable bytes on socket @a fd (0 leaves
 * the system default alone and returns 0).
 *
 * Linux reserves twice what it is asked for (half is bookkeeping) and
 * reports the doubled figure back, so the usable size is half of what
 * @c getsockopt says; that half is what is compared with @a size and
 * returned. If the system cap (@c net.core.rmem_max / @c wmem_max) holds
 * the buffer below @a size, the privileged "force" form of the option
 * (root, or CAP_NET_ADMIN) is tried; if the buffer is still short, a
 * warning says what was granted (once per process for each direction, not
 * per socket).
 *
 * A refusal is not an error (a socket with a smaller buffer still works),
 * so nothing is thrown for it.
 *
 * @return the usable size the kernel granted.
 */
std::size_t set_socket_buffer(int fd, socket_buffer which, std::size_t size);

/**
 * Check that the interface options given for @a group can apply to it: an
 * interface address (unspecified means "any" and is always allowed) only
 * with an IPv4 address, an interface index only with IPv6. A null pointer
 * means the option is not given.
 *
 * @throws std::invalid_argument naming the mismatch.
 */
void check_multicast_interface(const boost::asio::ip::address &group, const boost::asio::ip::address *interface_address,
                               const unsigned int *interface_index);

/**
 * Join multicast @a group on @a socket, on the interface with
 * @a interface_address (IPv4) or @a interface_index (IPv6), or on the
 * kernel's choice when neither is given. Call @ref check_multicast_interface first.
 *
 * @throws boost::system::system_error if the kernel refuses.
 */
void join_multicast_group(boost::asio::ip::udp::socket &socket, const boost::asio::ip::address &group,
                          const boost::asio::ip::address *interface_address, const unsigned int *interface_index);

/**
 * Send multicast from @a socket through the interface with
 * @a interface_address (IPv4) or @a interface_index (IPv6); neither leaves
 * the kernel's route. Call @ref check_multicast_interface first.
 *
 * @throws boost::system::system_error if the kernel refuses.
 */
void set_multicast_send_interface(boost::asio::ip::udp::socket &socket,
                                  const boost::asio::ip::address *interface_address,
                                  const unsigned int *interface_index);

}  // namespace lightspead

#endif  // LIGHTSPEAD_COMMON_SOCKET_OPTIONS_H
