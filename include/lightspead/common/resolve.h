/**
 * @file
 * Host names and addresses as the APIs that take a host (readers' bind and
 * interface addresses, streams' endpoints) interpret them.
 */
#ifndef LIGHTSPEAD_COMMON_RESOLVE_H
#define LIGHTSPEAD_COMMON_RESOLVE_H

#include <string>
#include <utility>  // Boost 1.74 Asio needs it in C++20
#include <boost/asio/ip/address.hpp>

namespace lightspead
{

/**
 * The address @a host names. A numeric IPv4 or IPv6 address is taken as it
 * is; anything else is a host name looked up with the system resolver
 * (getaddrinfo, so /etc/hosts and DNS), taking its first IPv4 address if it
 * has one and its first address otherwise, so that "localhost" means the
 * same on a sender and a receiver. An empty @a host is the unspecified IPv4
 * address (0.0.0.0, any interface), as with spead2.
 *
 * Blocks while the resolver works.
 *
 * @throws boost::system::system_error if the name does not resolve.
 */
boost::asio::ip::address resolve_host(const std::string &host);

}  // namespace lightspead

#endif  // LIGHTSPEAD_COMMON_RESOLVE_H
