/**
 * @file
 * Receiving packets from one TCP connection.
 */
#ifndef LIGHTSPEAD_RECV_TCP_READER_H
#define LIGHTSPEAD_RECV_TCP_READER_H

#include <cstddef>
#include <cstdint>
#include <utility>  // Boost 1.74 Asio needs it in C++20
#include <vector>
#include <boost/asio/ip/tcp.hpp>
#include <lightspead/protocol/stream_framing.h>
#include <lightspead/recv/stream.h>

namespace lightspead::recv
{

/**
 * Listens on an endpoint, accepts one connection and reads packets that
 * follow each other with no framing (split by a @ref stream_framer).
 * Bytes that do not start a valid packet are skipped up to the next
 * plausible header and counted as malformed, in time linear in their
 * size. A packet larger than @c max_size (valid header and item pointers
 * that fit in @c max_size, as spead2 checks) is counted as truncated and
 * skipped whole, as its bytes arrive: it is never buffered, and nothing
 * inside it is parsed; while resynchronising after garbage, such a
 * "packet" is taken for more garbage instead. The end of the connection
 * stops the stream.
 *
 * @throws std::invalid_argument if @c max_size is below 8;
 *         boost::system::system_error if the endpoint cannot be bound.
 */
class tcp_reader : public reader
{
public:
    /// Default largest packet accepted, in bytes.
    static constexpr std::size_t default_max_size = 65536;
    /// Default socket receive buffer size, in bytes.
    static constexpr std::size_t default_buffer_size = 8 * 1024 * 1024;

private:
    boost::asio::ip::tcp::acceptor acceptor;
    boost::asio::ip::tcp::socket socket;
    std::vector<std::uint8_t> buffer;
    std::size_t head = 0, tail = 0;  // unparsed bytes are buffer[head, tail)
    std::size_t skip = 0;            // bytes of an oversized packet still to arrive and be skipped
    stream_framer framer;
    std::size_t receive_buffer_size;

    void on_accept(const boost::system::error_code &ec);
    void read();
    void on_read(const boost::system::error_code &ec, std::size_t n);
    bool parse(stream::batch &batch);

public:
    /// Listen on @a endpoint (port 0 picks a free port: see @ref get_local_endpoint).
    tcp_reader(stream &owner, const boost::asio::ip::tcp::endpoint &endpoint, std::size_t max_size = default_max_size,
               std::size_t buffer_size = default_buffer_size);

    /**
     * Accept one connection on @a acceptor, already open, bound and
     * listening (set up by the caller). The reader takes it over, moving it
     * to the stream's io_context.
     */
    tcp_reader(stream &owner, boost::asio::ip::tcp::acceptor &&acceptor, std::size_t max_size = default_max_size);

    /// Where the reader listens.
    boost::asio::ip::tcp::endpoint get_local_endpoint() const { return acceptor.local_endpoint(); }

    void start() override;
    void stop() override;
};

}  // namespace lightspead::recv

#endif  // LIGHTSPEAD_RECV_TCP_READER_H
