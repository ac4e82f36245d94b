#include <algorithm>
#include <atomic>
#include <cerrno>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <boost/asio/ip/multicast.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/system_error.hpp>
#include <lightspead/common/logging.h>
#include <lightspead/common/socket_options.h>

namespace lightspead
{

namespace
{

std::size_t usable_buffer(int fd, int option) noexcept
{
    int value = 0;
    socklen_t len = sizeof(value);
    if (getsockopt(fd, SOL_SOCKET, option, &value, &len) != 0 || value < 0)
        return 0;
    return std::size_t(value) / 2;  // Linux reports double: half is bookkeeping
}

}  // anonymous namespace

int socket_family(int fd)
{
    sockaddr_storage address{};
    socklen_t len = sizeof(address);
    if (getsockname(fd, reinterpret_cast<sockaddr *>(&address), &len) != 0)
        throw boost::system::system_error(errno, boost::system::system_category(), "getsockname");
    if (address.ss_family != AF_INET && address.ss_family != AF_INET6)
        throw std::invalid_argument("the socket is neither IPv4 nor IPv6");
    return address.ss_family;
}

template<typename Socket>
Socket duplicate_socket(boost::asio::io_context &io, int fd)
{
    using protocol = typename Socket::protocol_type;
    const int family = socket_family(fd);
    const int copy = ::dup(fd);
    if (copy < 0)
        throw boost::system::system_error(errno, boost::system::system_category(), "dup");
    try
    {
        return Socket(io, family == AF_INET ? protocol::v4() : protocol::v6(), copy);
    }
    catch (...)
    {
        ::close(copy);
        throw;
    }
}

template boost::asio::ip::udp::socket duplicate_socket(boost::asio::io_context &, int);
template boost::asio::ip::tcp::socket duplicate_socket(boost::asio::io_context &, int);
template boost::asio::ip::tcp::acceptor duplicate_socket(boost::asio::io_context &, int);

std::size_t set_socket_buffer(int fd, socket_buffer which, std::size_t size)
{
    if (size == 0)
        return 0;
    const bool send = which == socket_buffer::send;
    const int option = send ? SO_SNDBUF : SO_RCVBUF;
    // The kernel doubles the request in an int: stay clear of overflow.
    const int requested = int(std::min<std::size_t>(size, 0x3fffffff));
    setsockopt(fd, SOL_SOCKET, option, &requested, sizeof(requested));
    std::size_t granted = usable_buffer(fd, option);
    if (granted >= size)
        return granted;
    // Beyond the system cap only a privileged process may go.
    setsockopt(fd, SOL_SOCKET, send ? SO_SNDBUFFORCE : SO_RCVBUFFORCE, &requested, sizeof(requested));
    granted = usable_buffer(fd, option);
    if (granted < size)
    {
        // Once per process and direction: a program with many sockets
        // would otherwise repeat the same advice for each.
        static std::atomic<bool> warned[2];
        if (!warned[send].exchange(true))
            log_warning(std::string("requested a ") + (send ? "send" : "receive") + " buffer of " + std::to_string(size)
                        + " bytes but got " + std::to_string(granted) + ": raise net.core."
                        + (send ? "wmem_max" : "rmem_max") + " or run as root");
    }
    return granted;
}

void check_multicast_interface(const boost::asio::ip::address &group, const boost::asio::ip::address *interface_address,
                               const unsigned int *interface_index)
{
    if (interface_address && !interface_address->is_unspecified() && (!interface_address->is_v4() || !group.is_v4()))
        throw std::invalid_argument("a multicast interface address is only for IPv4 endpoints");
    if (interface_index && !group.is_v6())
        throw std::invalid_argument("a multicast interface index is only for IPv6 endpoints");
}

void join_multicast_group(boost::asio::ip::udp::socket &socket, const boost::asio::ip::address &group,
                          const boost::asio::ip::address *interface_address, const unsigned int *interface_index)
{
    namespace multicast = boost::asio::ip::multicast;
    if (group.is_v4())
        socket.set_option(multicast::join_group(group.to_v4(),
                                                interface_address && !interface_address->is_unspecified()
                                                    ? interface_address->to_v4()
                                                    : boost::asio::ip::address_v4::any()));
    else
        socket.set_option(multicast::join_group(group.to_v6(), interface_index ? *interface_index : 0));
}

void set_multicast_send_interface(boost::asio::ip::udp::socket &socket,
                                  const boost::asio::ip::address *interface_address,
                                  const unsigned int *interface_index)
{
    namespace multicast = boost::asio::ip::multicast;
    if (interface_address && !interface_address->is_unspecified())
        socket.set_option(multicast::outbound_interface(interface_address->to_v4()));
    if (interface_index)
        socket.set_option(multicast::outbound_interface(*interface_index));
}

}  // namespace lightspead
