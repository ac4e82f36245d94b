// The platform layer that send and receive share: the eventfd semaphore,
// socket options, scatter/gather and thread-pool membership.
#include <atomic>
#include <stdexcept>
#include <utility>  // before Boost 1.74 asio, which misses it in C++20
#include <vector>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <boost/asio.hpp>
#include <gtest/gtest.h>
#include <lightspead/common/endian.h>
#include <lightspead/common/eventfd_semaphore.h>
#include <lightspead/common/iovec.h>
#include <lightspead/common/resolve.h>
#include <lightspead/common/socket_options.h>
#include <lightspead/common/thread_pool.h>

using namespace lightspead;

namespace
{

bool readable(int fd)
{
    pollfd pfd{fd, POLLIN, 0};
    return ::poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

std::size_t reported_buffer(int fd, int option)
{
    int value = 0;
    socklen_t len = sizeof(value);
    getsockopt(fd, SOL_SOCKET, option, &value, &len);
    return std::size_t(value);
}

}  // anonymous namespace

TEST(eventfd_semaphore, signal_and_reset)
{
    eventfd_semaphore sem;
    EXPECT_FALSE(readable(sem.get_fd()));
    EXPECT_FALSE(sem.reset());
    sem.signal();
    sem.signal();
    EXPECT_TRUE(readable(sem.get_fd()));
    EXPECT_TRUE(sem.reset());  // both signals collapse into one
    EXPECT_FALSE(readable(sem.get_fd()));
    EXPECT_FALSE(sem.reset());
}

TEST(eventfd_semaphore, descriptor_is_nonblocking_and_close_on_exec)
{
    eventfd_semaphore sem;
    EXPECT_NE(fcntl(sem.get_fd(), F_GETFL) & O_NONBLOCK, 0);
    EXPECT_NE(fcntl(sem.get_fd(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST(socket_options, buffer_size_is_the_usable_half_of_what_the_kernel_reports)
{
    boost::asio::io_context io;
    boost::asio::ip::udp::socket socket(io, boost::asio::ip::udp::v4());
    const int fd = socket.native_handle();
    // Well below the 4 MiB caps of these machines, so no privilege is needed.
    const std::size_t granted = set_socket_buffer(fd, socket_buffer::receive, 300000);
    EXPECT_EQ(granted, reported_buffer(fd, SO_RCVBUF) / 2);
    EXPECT_GE(granted, 300000u);
    const std::size_t sent = set_socket_buffer(fd, socket_buffer::send, 200000);
    EXPECT_EQ(sent, reported_buffer(fd, SO_SNDBUF) / 2);
    EXPECT_GE(sent, 200000u);
}

TEST(socket_options, zero_leaves_the_default)
{
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io, boost::asio::ip::tcp::v4());
    const int fd = socket.native_handle();
    const std::size_t before = reported_buffer(fd, SO_RCVBUF);
    EXPECT_EQ(set_socket_buffer(fd, socket_buffer::receive, 0), 0u);
    EXPECT_EQ(reported_buffer(fd, SO_RCVBUF), before);
}

TEST(socket_options, multicast_interface_must_match_the_address_family)
{
    using boost::asio::ip::make_address;
    const auto v4 = make_address("239.1.2.3"), v6 = make_address("ff14::1");
    const auto lo4 = make_address("127.0.0.1"), any = make_address("0.0.0.0"), lo6 = make_address("::1");
    const unsigned int index = 1;
    EXPECT_NO_THROW(check_multicast_interface(v4, &lo4, nullptr));
    EXPECT_NO_THROW(check_multicast_interface(v4, nullptr, nullptr));
    EXPECT_NO_THROW(check_multicast_interface(v6, &any, nullptr));  // unspecified: "any"
    EXPECT_NO_THROW(check_multicast_interface(v6, nullptr, &index));
    EXPECT_THROW(check_multicast_interface(v6, &lo4, nullptr), std::invalid_argument);
    EXPECT_THROW(check_multicast_interface(v4, &lo6, nullptr), std::invalid_argument);
    EXPECT_THROW(check_multicast_interface(v4, nullptr, &index), std::invalid_argument);
}

TEST(iovec, gather_copies_any_range_across_pieces)
{
    std::vector<std::uint8_t> a{0, 1, 2}, b{}, c{3, 4, 5, 6}, d{7};
    const std::vector<iovec> iov{{a.data(), a.size()}, {b.data(), 0}, {c.data(), c.size()}, {d.data(), 1}};
    for (std::size_t from = 0; from <= 8; from++)
        for (std::size_t n = 0; from + n <= 8; n++)
        {
            std::vector<std::uint8_t> out(n + 1, 0xff);
            gather(iov.data(), from, n, out.data());
            for (std::size_t i = 0; i < n; i++)
                EXPECT_EQ(out[i], from + i);
            EXPECT_EQ(out[n], 0xff);  // nothing written past n
        }
}

TEST(pool_membership, pool_stop_calls_the_member)
{
    thread_pool pool;
    pool_membership member;
    std::atomic<int> stops{0};
    EXPECT_TRUE(member.join(pool, [&] { stops++; }));
    EXPECT_TRUE(member.join(pool, [&] { stops += 100; }));  // registers only once
    pool.stop();
    EXPECT_EQ(stops, 1);
}

TEST(pool_membership, leaving_first_means_no_call)
{
    thread_pool pool;
    pool_membership member;
    std::atomic<int> stops{0};
    ASSERT_TRUE(member.join(pool, [&] { stops++; }));
    member.leave();
    member.leave();
    EXPECT_FALSE(member.join(pool, [&] { stops++; }));
    pool.stop();
    EXPECT_EQ(stops, 0);
}

TEST(pool_membership, stopped_pool_refuses_and_plain_io_context_accepts)
{
    thread_pool pool;
    pool.stop();
    pool_membership late;
    bool called = false;
    EXPECT_FALSE(late.join(pool, [&] { called = true; }));
    EXPECT_FALSE(called);

    boost::asio::io_context io;
    pool_membership own;
    EXPECT_TRUE(own.join(io, [&] { called = true; }));
    own.leave();
    EXPECT_FALSE(called);
}

TEST(resolve, numeric_names_and_errors)
{
    EXPECT_EQ(resolve_host(""), boost::asio::ip::make_address("0.0.0.0"));
    EXPECT_EQ(resolve_host("127.0.0.2"), boost::asio::ip::make_address("127.0.0.2"));
    EXPECT_EQ(resolve_host("::1"), boost::asio::ip::make_address("::1"));
    EXPECT_EQ(resolve_host("localhost"), boost::asio::ip::make_address("127.0.0.1"));  // IPv4 first
    EXPECT_THROW(resolve_host("no-such-host.invalid"), boost::system::system_error);
}

TEST(duplicate_socket, copies_descriptor_and_checks_family)
{
    boost::asio::io_context io;
    boost::asio::ip::udp::socket original(io, boost::asio::ip::udp::v6());
    auto copy = duplicate_socket<boost::asio::ip::udp::socket>(io, original.native_handle());
    EXPECT_NE(copy.native_handle(), original.native_handle());
    EXPECT_EQ(copy.local_endpoint().protocol(), boost::asio::ip::udp::v6());
    original.close();  // the copy stays usable
    EXPECT_NO_THROW(copy.local_endpoint());
    EXPECT_THROW(duplicate_socket<boost::asio::ip::udp::socket>(io, -1), boost::system::system_error);
    int pipe_fds[2];
    ASSERT_EQ(pipe(pipe_fds), 0);
    EXPECT_THROW(duplicate_socket<boost::asio::ip::udp::socket>(io, pipe_fds[0]), boost::system::system_error);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
}

TEST(endian, big_endian_conversions)
{
    EXPECT_EQ(lightspead::htobe(std::uint16_t(0x1234)), std::uint16_t(0x3412));
    EXPECT_EQ(lightspead::htobe(std::uint32_t(0x12345678)), std::uint32_t(0x78563412));
    EXPECT_EQ(lightspead::htobe(std::uint64_t(0x0102030405060708)), std::uint64_t(0x0807060504030201));
    EXPECT_EQ(lightspead::betoh(lightspead::htobe(std::uint64_t(42))), 42u);
    const std::uint8_t bytes[] = {0xff, 0x01, 0x02, 0x03, 0x04};
    EXPECT_EQ(lightspead::load_be<std::uint32_t>(bytes + 1), 0x01020304u);  // unaligned
    EXPECT_EQ(lightspead::load_be<std::uint16_t>(bytes), 0xff01u);
}
