/**
 * @file
 * Sending over a TCP connection.
 */
#ifndef LIGHTSPEAD_SEND_TCP_STREAM_H
#define LIGHTSPEAD_SEND_TCP_STREAM_H

#include <cstddef>
#include <functional>
#include <utility>  // Boost 1.74 Asio needs it in C++20
#include <vector>
#include <boost/asio/ip/tcp.hpp>
#include <lightspead/send/stream.h>

namespace lightspead::send
{

/**
 * A stream whose packets follow each other on one TCP connection, with no
 * extra framing (a receiver splits them by their own sizes).
 *
 * Connected by the caller, by the constructor (blocking: it throws
 * @c boost::system::system_error if it cannot), or in the background
 * (spead2's constructor with a connect handler). A write or connect error
 * fails the heap being sent and every later one.
 */
class tcp_stream : public stream
{
public:
    /// Default socket send buffer size in bytes (0 = system default).
    static constexpr std::size_t default_buffer_size = 0;

    /// Connect to @a endpoint.
    tcp_stream(io_context_ref io, const boost::asio::ip::tcp::endpoint &endpoint,
               const stream_config &config = stream_config(), std::size_t buffer_size = default_buffer_size);

    /**
     * Connect to the one endpoint in @a endpoints without blocking, as
     * spead2 does: @a connect_handler is called on the io_context with the
     * outcome. Heaps sent before it are queued and go out once connected
     * (or fail with the connect error).
     *
     * @param interface_address  local address to bind to first (unspecified: any)
     * @throws std::invalid_argument unless @a endpoints holds exactly one endpoint;
     *         boost::system::system_error if the socket cannot be made or bound.
     */
    tcp_stream(io_context_ref io, std::function<void(const boost::system::error_code &)> &&connect_handler,
               const std::vector<boost::asio::ip::tcp::endpoint> &endpoints,
               const stream_config &config = stream_config(), std::size_t buffer_size = default_buffer_size,
               const boost::asio::ip::address &interface_address = boost::asio::ip::address());

    /// Use an already connected @a socket (its io_context must be @a io's).
    tcp_stream(io_context_ref io, boost::asio::ip::tcp::socket &&socket, const stream_config &config = stream_config());
};

}  // namespace lightspead::send

#endif  // LIGHTSPEAD_SEND_TCP_STREAM_H
