/**
 * @file
 * Sending over a TCP connection.
 */
#ifndef LIGHTSPEAD_SEND_TCP_STREAM_H
#define LIGHTSPEAD_SEND_TCP_STREAM_H

#include <cstddef>
#include <utility>  // Boost 1.74 Asio needs it in C++20
#include <boost/asio/ip/tcp.hpp>
#include <lightspead/send/stream.h>

namespace lightspead::send
{

/**
 * A stream whose packets follow each other on one TCP connection, with no
 * extra framing (a receiver splits them by their own sizes).
 *
 * The constructor connects (blocking) and throws
 * @c boost::system::system_error if it cannot. A write error fails the
 * heap being sent and every later one.
 */
class tcp_stream : public stream
{
public:
    /// Default socket send buffer size in bytes (0 = system default).
    static constexpr std::size_t default_buffer_size = 0;

    /// Connect to @a endpoint.
    tcp_stream(io_context_ref io, const boost::asio::ip::tcp::endpoint &endpoint,
               const stream_config &config = stream_config(), std::size_t buffer_size = default_buffer_size);

    /// Use an already connected @a socket (its io_context must be @a io's).
    tcp_stream(io_context_ref io, boost::asio::ip::tcp::socket &&socket, const stream_config &config = stream_config());
};

}  // namespace lightspead::send

#endif  // LIGHTSPEAD_SEND_TCP_STREAM_H
