#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <boost/asio/buffer.hpp>
#include <lightspead/common/socket_options.h>
#include <lightspead/protocol/stream_framing.h>
#include <lightspead/recv/tcp_reader.h>

namespace lightspead::recv
{

using boost::asio::ip::tcp;

namespace
{

constexpr std::size_t read_size = 1 << 20;  // bytes asked for per read

}  // anonymous namespace

tcp_reader::tcp_reader(stream &owner, const tcp::endpoint &endpoint, std::size_t max_size, std::size_t buffer_size)
    : reader(owner), acceptor(get_strand()), socket(get_strand()), framer(max_size), receive_buffer_size(buffer_size)
{
    if (max_size < packet_header_size)
        throw std::invalid_argument("tcp_reader max_size " + std::to_string(max_size) + " is below 8");
    acceptor.open(endpoint.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(1);
    // Room for a whole packet of max_size plus a read's worth after it.
    buffer.resize(max_size + read_size);
}

tcp_reader::tcp_reader(stream &owner, tcp::acceptor &&given, std::size_t max_size)
    : reader(owner), acceptor(get_strand()), socket(get_strand()), framer(max_size),
      receive_buffer_size(0)  // the caller's socket options stand
{
    if (max_size < packet_header_size)
        throw std::invalid_argument("tcp_reader max_size " + std::to_string(max_size) + " is below 8");
    if (!given.is_open())
        throw std::invalid_argument("tcp_reader needs an open, listening acceptor");
    const auto protocol = given.local_endpoint().protocol();
    acceptor.assign(protocol, given.release());
    buffer.resize(max_size + read_size);
}

void tcp_reader::start()
{
    acceptor.async_accept(socket, [this](const boost::system::error_code &ec) { on_accept(ec); });
}

void tcp_reader::stop()
{
    boost::system::error_code ignored;
    acceptor.close(ignored);
    socket.close(ignored);  // pending operations complete with operation_aborted
}

void tcp_reader::on_accept(const boost::system::error_code &ec)
{
    if (ec)
    {
        finished();
        return;
    }
    boost::system::error_code ignored;
    acceptor.close(ignored);  // one connection only
    set_socket_buffer(socket.native_handle(), socket_buffer::receive, receive_buffer_size);
    read();
}

void tcp_reader::read()
{
    // Keep the unparsed bytes at the front so a whole packet always fits.
    if (head > 0)
    {
        std::memmove(buffer.data(), buffer.data() + head, tail - head);
        tail -= head;
        head = 0;
    }
    socket.async_read_some(boost::asio::buffer(buffer.data() + tail, buffer.size() - tail),
                           [this](const boost::system::error_code &ec, std::size_t n) { on_read(ec, n); });
}

bool tcp_reader::parse(stream::batch &batch)
{
    const std::size_t skipped = std::min(skip, tail - head);
    head += skipped;
    skip -= skipped;
    while (head < tail && !batch.is_stopped())
    {
        const stream_frame f = framer.next(buffer.data() + head, tail - head, true);
        if (f.kind == stream_frame_kind::incomplete)
            return true;  // the buffer has room for it: read on
        if (f.kind == stream_frame_kind::packet)
            batch.add_packet(f.packet);
        else if (f.kind == stream_frame_kind::oversized)
        {
            batch.discard(stat_packets_truncated);
            if (f.size > tail - head)
            {
                skip = f.size - (tail - head);  // the rest is skipped as it arrives
                head = tail;
                break;
            }
        }
        else
            batch.discard(stat_packets_malformed);  // skipping to where a packet could start
        head += f.size;
    }
    return !batch.is_stopped();
}

void tcp_reader::on_read(const boost::system::error_code &ec, std::size_t n)
{
    if (ec == boost::asio::error::operation_aborted)
    {
        finished();
        return;
    }
    tail += n;
    bool more;
    {
        stream::batch batch(get_stream());
        more = parse(batch);
        if (more && ec)
        {
            // End of the connection (or an error): whatever is left is a
            // truncated packet; the stream ends here.
            if (head < tail)
                batch.discard(stat_packets_malformed);
            batch.stop_stream();
            more = false;
        }
    }
    if (more)
        read();
    else
    {
        boost::system::error_code ignored;
        socket.close(ignored);
        finished();
    }
}

}  // namespace lightspead::recv
