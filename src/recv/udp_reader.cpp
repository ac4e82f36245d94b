#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <unistd.h>
#include <boost/asio/ip/multicast.hpp>
#include <boost/system/system_error.hpp>
#include <lightspead/common/logging.h>
#include <lightspead/recv/udp_reader.h>

#ifndef UDP_GRO
# define UDP_GRO 104
#endif
#ifndef SOL_UDP
# define SOL_UDP 17
#endif

namespace lightspead::recv
{

namespace
{

using boost::asio::ip::udp;

constexpr std::size_t batch_messages = 64;       // datagrams per recvmmsg
constexpr std::size_t max_calls_per_wakeup = 16; // then let other work run
constexpr std::size_t gro_slot_size = 65536;     // a whole coalesced super-packet
constexpr std::size_t control_size = CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(std::uint32_t));

void set_receive_buffer(udp::socket &socket, std::size_t size)
{
    if (size == 0)
        return;
    const int fd = socket.native_handle();
    const int requested = int(std::min<std::size_t>(size, 0x3fffffff));
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &requested, sizeof(requested));
    auto granted = [fd]
    {
        int value = 0;
        socklen_t len = sizeof(value);
        getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &value, &len);
        return std::size_t(value) / 2;      // Linux reports double (bookkeeping)
    };
    if (granted() >= size)
        return;
    // Beyond net.core.rmem_max only a privileged process may go.
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &requested, sizeof(requested));
    const std::size_t actual = granted();
    if (actual < size)
    {
        static bool warned = false;     // say it once per process, not per reader
        if (!warned)
        {
            warned = true;
            log_warning("requested a receive buffer of " + std::to_string(size) + " bytes but got "
                        + std::to_string(actual) + ": raise net.core.rmem_max or run as root");
        }
    }
}

} // anonymous namespace

udp_reader::udp_reader(stream &owner, const udp::endpoint &endpoint,
                       std::size_t max_size, std::size_t buffer_size)
    : reader(owner), socket(get_strand()), max_size(max_size)
{
    setup(endpoint, buffer_size, nullptr, nullptr);
}

udp_reader::udp_reader(stream &owner, const udp::endpoint &endpoint,
                       std::size_t max_size, std::size_t buffer_size,
                       const boost::asio::ip::address &interface_address)
    : reader(owner), socket(get_strand()), max_size(max_size)
{
    setup(endpoint, buffer_size, &interface_address, nullptr);
}

udp_reader::udp_reader(stream &owner, const udp::endpoint &endpoint,
                       std::size_t max_size, std::size_t buffer_size, unsigned int interface_index)
    : reader(owner), socket(get_strand()), max_size(max_size)
{
    setup(endpoint, buffer_size, nullptr, &interface_index);
}

void udp_reader::setup(const udp::endpoint &endpoint, std::size_t buffer_size,
                       const boost::asio::ip::address *interface_address,
                       const unsigned int *interface_index)
{
    if (max_size < packet_header_size || max_size > 65535)
        throw std::invalid_argument("udp_reader max_size " + std::to_string(max_size)
                                    + " is outside [8, 65535]");
    const auto &address = endpoint.address();
    if (interface_address && !interface_address->is_unspecified()
        && (!interface_address->is_v4() || !address.is_v4()))
        throw std::invalid_argument("a multicast interface address is only for IPv4 endpoints");
    if (interface_index && !address.is_v6())
        throw std::invalid_argument("a multicast interface index is only for IPv6 endpoints");

    socket.open(endpoint.protocol());
    socket.set_option(udp::socket::reuse_address(address.is_multicast()));
    set_receive_buffer(socket, buffer_size);
    socket.bind(endpoint);
    if (address.is_multicast())
    {
        if (address.is_v4())
            socket.set_option(boost::asio::ip::multicast::join_group(
                address.to_v4(),
                interface_address && !interface_address->is_unspecified()
                    ? interface_address->to_v4() : boost::asio::ip::address_v4::any()));
        else
            socket.set_option(boost::asio::ip::multicast::join_group(
                address.to_v6(), interface_index ? *interface_index : 0));
    }
    socket.non_blocking(true);

    // GRO when the kernel has it: coalesced datagrams need whole-super-packet slots.
    int one = 1;
    // Ask for the kernel's count of drops with every datagram (harmless if refused).
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
    gro = setsockopt(socket.native_handle(), SOL_UDP, UDP_GRO, &one, sizeof(one)) == 0;
    // One spare byte shows a datagram larger than max_size as too long.
    slot_size = gro ? gro_slot_size : max_size + 1;
    buffer.resize(slot_size * batch_messages);
    msgs.resize(batch_messages);
    iovs.resize(batch_messages);
    controls.resize(control_size * batch_messages);
}

void udp_reader::start()
{
    wait();
}

void udp_reader::stop()
{
    boost::system::error_code ignored;
    socket.close(ignored);      // the pending wait completes with operation_aborted
}

void udp_reader::wait()
{
    socket.async_wait(udp::socket::wait_read,
                      [this](const boost::system::error_code &ec) { on_readable(ec); });
}

void udp_reader::on_readable(const boost::system::error_code &ec)
{
    if (ec)
    {
        finished();
        return;
    }
    bool stopped = false;
    {
        stream::batch batch(get_stream());
        for (std::size_t call = 0; call < max_calls_per_wakeup && !batch.is_stopped(); call++)
        {
            for (std::size_t i = 0; i < batch_messages; i++)
            {
                iovs[i] = {buffer.data() + i * slot_size, slot_size};
                std::memset(&msgs[i], 0, sizeof(msgs[i]));
                msgs[i].msg_hdr.msg_iov = &iovs[i];
                msgs[i].msg_hdr.msg_iovlen = 1;
                msgs[i].msg_hdr.msg_control = controls.data() + i * control_size;
                msgs[i].msg_hdr.msg_controllen = control_size;
            }
            const int n = recvmmsg(socket.native_handle(), msgs.data(), batch_messages, MSG_DONTWAIT, nullptr);
            if (n <= 0)
            {
                if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                    log_warning(std::string("UDP receive failed: ") + std::strerror(errno));
                break;
            }
            for (int i = 0; i < n; i++)
            {
                const std::uint8_t *data = buffer.data() + i * slot_size;
                const std::size_t length = msgs[i].msg_len;
                int segment = 0;
                for (cmsghdr *c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c; c = CMSG_NXTHDR(&msgs[i].msg_hdr, c))
                {
                    if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO)
                        std::memcpy(&segment, CMSG_DATA(c), sizeof(segment));
                    else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL)
                    {
                        // A running count, wrapping at 2^32: add the increase
                        std::uint32_t dropped;
                        std::memcpy(&dropped, CMSG_DATA(c), sizeof(dropped));
                        batch.kernel_dropped(std::uint32_t(dropped - last_dropped));
                        last_dropped = dropped;
                    }
                }
                if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
                {
                    batch.discard(stat_packets_truncated);
                    continue;
                }
                const std::size_t step = segment > 0 ? std::size_t(segment) : length;
                for (std::size_t off = 0; off < length; off += step)
                {
                    const std::size_t size = std::min(step, length - off);
                    if (size > max_size)
                        batch.discard(stat_packets_truncated);
                    else
                        batch.add_datagram(data + off, size);
                }
                if (length == 0)
                    batch.discard(stat_packets_malformed);     // an empty datagram
            }
            if (std::size_t(n) < batch_messages)
                break;      // the socket is drained
        }
        stopped = batch.is_stopped();
    }
    if (stopped)
    {
        boost::system::error_code ignored;
        socket.close(ignored);
        finished();
    }
    else
        wait();
}

} // namespace lightspead::recv
