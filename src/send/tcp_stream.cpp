#include <algorithm>
#include <cerrno>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <sys/uio.h>
#include <boost/asio/error.hpp>
#include <lightspead/common/iovec.h>
#include <lightspead/common/socket_options.h>
#include <lightspead/send/tcp_stream.h>

namespace lightspead::send
{

namespace
{

using boost::asio::ip::tcp;

class tcp_transport final : public transport
{
private:
    tcp::socket socket;
    packet_batch *batch = nullptr;
    std::function<void()> resume;
    std::size_t next_iov = 0;          // first iovec not fully written
    std::size_t iov_offset = 0;        // bytes of it already written
    boost::system::error_code failed;  // sticky: a broken connection stays broken
    // cancel() may come from any thread: it and starting a wait take wait_mutex.
    std::mutex wait_mutex;
    bool cancelled = false;
    // An asynchronous connect is under way: the socket is not touched
    // until it ends (a send on it would consume the connect's error), and a
    // batch handed over meanwhile waits for it.
    bool connecting = false;
    bool waiting_for_connect = false;

    bool write_pending();
    void fail_rest(const boost::system::error_code &ec);

public:
    explicit tcp_transport(tcp::socket &&socket) : socket(std::move(socket)) { this->socket.non_blocking(true); }

    std::size_t num_substreams() const override { return 1; }

    void cancel() override
    {
        std::lock_guard<std::mutex> lock(wait_mutex);
        cancelled = true;
        boost::system::error_code ec;
        socket.cancel(ec);
    }

    /// Connect in the background; @a handler learns the outcome, and
    /// batches handed over meanwhile are sent once connected.
    void start_connect(const tcp::endpoint &endpoint, std::function<void(const boost::system::error_code &)> handler);

    bool transmit(packet_batch &b, const std::function<void()> &r) override
    {
        batch = &b;
        next_iov = 0;
        iov_offset = 0;
        {
            std::lock_guard<std::mutex> lock(wait_mutex);
            if (connecting)
            {
                resume = r;
                waiting_for_connect = true;
                return false;
            }
        }
        if (failed)
        {
            fail_rest(failed);
            return true;
        }
        if (write_pending())
            return true;
        resume = r;
        return false;
    }
};

void tcp_transport::start_connect(const tcp::endpoint &endpoint,
                                  std::function<void(const boost::system::error_code &)> handler)
{
    connecting = true;
    socket.async_connect(endpoint,
                         [this, handler = std::move(handler)](const boost::system::error_code &ec)
                         {
                             if (!ec)
                             {
                                 boost::system::error_code ignored;
                                 socket.set_option(tcp::no_delay(true), ignored);
                             }
                             bool resume_now;
                             {
                                 std::lock_guard<std::mutex> lock(wait_mutex);
                                 connecting = false;
                                 if (ec)
                                     failed = ec;  // sticky: every heap fails with it
                                 resume_now = waiting_for_connect;
                                 waiting_for_connect = false;
                             }
                             if (handler)
                                 handler(ec);
                             if (!resume_now)
                                 return;
                             if (failed)
                             {
                                 fail_rest(failed);
                                 resume();
                             }
                             else if (write_pending())
                                 resume();
                         });
}

void tcp_transport::fail_rest(const boost::system::error_code &ec)
{
    failed = ec;
    for (auto &p : batch->packets)
        if (p.iov_first + p.iov_count > next_iov)
            p.error = ec;
    next_iov = batch->iov.size();
}

bool tcp_transport::write_pending()
{
    auto &iov = batch->iov;
    while (next_iov < iov.size())
    {
        // writev the next stretch, starting part-way into the first piece
        iovec local[max_iov];
        const std::size_t n = std::min(max_iov, iov.size() - next_iov);
        std::copy(iov.begin() + next_iov, iov.begin() + next_iov + n, local);
        local[0].iov_base = static_cast<std::uint8_t *>(local[0].iov_base) + iov_offset;
        local[0].iov_len -= iov_offset;
        msghdr msg{};
        msg.msg_iov = local;
        msg.msg_iovlen = n;
        const ssize_t written = sendmsg(socket.native_handle(), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (written < 0)
        {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
            {
                std::lock_guard<std::mutex> lock(wait_mutex);
                if (cancelled)
                {
                    // Sticky: a heap cut short leaves the byte stream unusable.
                    fail_rest(boost::asio::error::operation_aborted);
                    return true;
                }
                socket.async_wait(tcp::socket::wait_write,
                                  [this](const boost::system::error_code &ec)
                                  {
                                      if (ec)
                                          fail_rest(ec);
                                      if (write_pending())
                                          resume();
                                  });
                return false;
            }
            fail_rest(boost::system::error_code(errno, boost::system::system_category()));
            return true;
        }
        // Advance over what was written
        std::size_t left = written;
        while (left > 0)
        {
            const std::size_t rest = iov[next_iov].iov_len - iov_offset;
            if (left >= rest)
            {
                left -= rest;
                next_iov++;
                iov_offset = 0;
            }
            else
            {
                iov_offset += left;
                left = 0;
            }
        }
        while (next_iov < iov.size() && iov[next_iov].iov_len == 0)
            next_iov++;
    }
    return true;
}

tcp::socket connect(boost::asio::io_context &io, const tcp::endpoint &endpoint, std::size_t buffer_size)
{
    tcp::socket socket(io, endpoint.protocol());
    set_socket_buffer(socket.native_handle(), socket_buffer::send, buffer_size);
    socket.connect(endpoint);
    socket.set_option(tcp::no_delay(true));
    return socket;
}

tcp::socket check_connected(tcp::socket &&socket)
{
    if (!socket.is_open())
        throw std::invalid_argument("tcp_stream needs a connected socket");
    return std::move(socket);
}

}  // anonymous namespace

tcp_stream::tcp_stream(io_context_ref io, const tcp::endpoint &endpoint, const stream_config &config,
                       std::size_t buffer_size)
    : stream(io, config, std::make_unique<tcp_transport>(connect(io.get(), endpoint, buffer_size)))
{
}

namespace
{

std::unique_ptr<tcp_transport> connect_async(boost::asio::io_context &io,
                                             std::function<void(const boost::system::error_code &)> &&handler,
                                             const std::vector<tcp::endpoint> &endpoints, std::size_t buffer_size,
                                             const boost::asio::ip::address &interface_address)
{
    if (endpoints.size() != 1)
        throw std::invalid_argument("tcp_stream takes exactly one endpoint, not " + std::to_string(endpoints.size()));
    tcp::socket socket(io, endpoints[0].protocol());
    set_socket_buffer(socket.native_handle(), socket_buffer::send, buffer_size);
    if (!interface_address.is_unspecified())
        socket.bind(tcp::endpoint(interface_address, 0));
    auto transport = std::make_unique<tcp_transport>(std::move(socket));
    transport->start_connect(endpoints[0], std::move(handler));
    return transport;
}

}  // anonymous namespace

tcp_stream::tcp_stream(io_context_ref io, std::function<void(const boost::system::error_code &)> &&connect_handler,
                       const std::vector<tcp::endpoint> &endpoints, const stream_config &config,
                       std::size_t buffer_size, const boost::asio::ip::address &interface_address)
    : stream(io, config, connect_async(io.get(), std::move(connect_handler), endpoints, buffer_size, interface_address))
{
}

tcp_stream::tcp_stream(io_context_ref io, tcp::socket &&socket, const stream_config &config)
    : stream(io, config, std::make_unique<tcp_transport>(check_connected(std::move(socket))))
{
}

}  // namespace lightspead::send
