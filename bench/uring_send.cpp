// The zero-copy ceiling for small heaps, three ways: datagrams of a
// header (in memory of its own, as a SPEAD sender's) and a payload, in
// GSO super-packets, all from one region on transparent huge pages,
// sent without copying by
//   zerocopy     sendmmsg with MSG_ZEROCOPY (what lightspead's UDP sender
//                does): the kernel pins the pages of every message;
//   uring        io_uring SENDMSG_ZC, the same messages through a ring;
//   uring-fixed  io_uring SENDMSG_ZC with the region registered once as a
//                fixed buffer (IORING_RECVSEND_FIXED_BUF, kernel 6.15 or
//                later for vectored sends): no pinning per message. One
//                request names one registered buffer and every piece of its
//                message must lie in it, so headers and payloads share the
//                region here.
// Completions are reaped as they come (the error queue, or notification
// CQEs); at most 64 notifications are left outstanding. Nothing is
// written to the region while sending, so no send waits for a release.
//
// The kernel counts the 4 KiB pages of a piece as fragments unless they
// merge: page-aligned payloads (the default, 8 KiB) fit; payloads that
// straddle pages (-H 4000) can exceed 17 fragments, and the modes that
// pin pages then fail with "Message too long", as lightspead's transport
// would see EMSGSIZE.
//
// Usage: uring_send [-m zerocopy|uring|uring-fixed] [-n messages] [-H payload] [-h header] host port
// Prints "N MB/s" (payload bytes per second), then the messages sent and
// how many releases the kernel reported as copies.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>
#include <arpa/inet.h>
#include <liburing.h>
#include <linux/errqueue.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <lightspead/common/udp_offload.h>

#ifndef MADV_POPULATE_WRITE
# define MADV_POPULATE_WRITE 23
#endif

namespace
{

constexpr std::size_t region_size = 64 << 20, header_area = 1 << 20, header_stride = 64;
constexpr std::size_t batch = 10;  // messages per sendmmsg or per submission
constexpr std::size_t max_outstanding_notifications = 64;
constexpr unsigned notif_copied = 1U << 31;  // IORING_NOTIF_USAGE_ZC_COPIED (newer headers)

enum class send_mode
{
    zerocopy,
    uring,
    uring_fixed
};

struct message
{
    std::vector<iovec> iov;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(std::uint16_t))];
    msghdr hdr;
};

[[noreturn]] void fail(const std::string &what)
{
    std::cerr << "uring_send: " << what << '\n';
    std::exit(1);
}

}  // anonymous namespace

int main(int argc, char *const argv[])
{
    send_mode mode = send_mode::zerocopy;
    std::size_t messages = 40000, payload = 8192, header = 48;
    int opt;
    while ((opt = getopt(argc, argv, "m:n:H:h:")) != -1)
    {
        switch (opt)
        {
        case 'm':
            if (std::string(optarg) == "zerocopy")
                mode = send_mode::zerocopy;
            else if (std::string(optarg) == "uring")
                mode = send_mode::uring;
            else if (std::string(optarg) == "uring-fixed")
                mode = send_mode::uring_fixed;
            else
                fail("unknown mode " + std::string(optarg));
            break;
        case 'n':
            messages = std::stoul(optarg);
            break;
        case 'H':
            payload = std::stoul(optarg);
            break;
        case 'h':
            header = std::stoul(optarg);
            break;
        default:
            std::cerr << "Usage: " << argv[0]
                      << " [-m zerocopy|uring|uring-fixed] [-n messages] [-H payload] [-h header] host port\n";
            return 2;
        }
    }
    if (argc - optind != 2)
        fail("need host and port");
    const std::size_t datagram = header + payload;
    if (header == 0 || header > header_stride || payload == 0 || datagram > lightspead::max_udp_payload_ipv4)
        fail("header must be 1-64 bytes and a datagram at most " + std::to_string(lightspead::max_udp_payload_ipv4));
    // Datagrams in one GSO super-packet: within the UDP payload limit, and
    // (two fragments a datagram, header and payload) within the 17 page
    // fragments (MAX_SKB_FRAGS) a message sent without copying may have.
    constexpr std::size_t max_fragments = 17;
    const std::size_t per_message = std::min(max_fragments / 2, lightspead::max_udp_payload_ipv4 / datagram);
    const std::size_t payloads = (region_size - header_area) / payload;
    const std::size_t headers = header_area / header_stride;

    // The region, 2 MiB-aligned on transparent huge pages, faulted in now
    auto *raw = static_cast<std::uint8_t *>(
        mmap(nullptr, region_size + (2 << 20), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (raw == MAP_FAILED)
        fail(std::string("mmap: ") + std::strerror(errno));
    auto *region = reinterpret_cast<std::uint8_t *>((reinterpret_cast<std::uintptr_t>(raw) + (2 << 20) - 1)
                                                    & ~std::uintptr_t((2 << 20) - 1));
    madvise(region, region_size, MADV_HUGEPAGE);
    madvise(region, region_size, MADV_POPULATE_WRITE);
    std::memset(region, 0x5a, region_size);

    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    const int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)) != 0)
        fail(std::string("SO_ZEROCOPY: ") + std::strerror(errno));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(std::stoi(argv[optind + 1]));
    if (inet_pton(AF_INET, argv[optind], &address.sin_addr) != 1)
        fail("not an IPv4 address: " + std::string(argv[optind]));
    if (connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)) != 0)
        fail(std::string("connect: ") + std::strerror(errno));

    io_uring ring{};
    if (mode != send_mode::zerocopy)
    {
        if (const int e = io_uring_queue_init(256, &ring, 0); e < 0)
            fail(std::string("io_uring_queue_init: ") + std::strerror(-e));
        if (mode == send_mode::uring_fixed)
        {
            const iovec whole{region, region_size};
            if (const int e = io_uring_register_buffers(&ring, &whole, 1); e < 0)
                fail(std::string("io_uring_register_buffers: ") + std::strerror(-e));
        }
    }

    std::vector<message> slots(batch);
    std::size_t next_datagram = 0;
    auto build = [&](message &m)
    {
        m.iov.clear();
        for (std::size_t j = 0; j < per_message; j++, next_datagram++)
        {
            m.iov.push_back({region + (next_datagram % headers) * header_stride, header});
            m.iov.push_back({region + header_area + (next_datagram % payloads) * payload, payload});
        }
        std::memset(&m.hdr, 0, sizeof(m.hdr));
        m.hdr.msg_iov = m.iov.data();
        m.hdr.msg_iovlen = m.iov.size();
        m.hdr.msg_control = m.control;
        m.hdr.msg_controllen = sizeof(m.control);
        cmsghdr *c = CMSG_FIRSTHDR(&m.hdr);
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
        const auto segment = std::uint16_t(datagram);
        std::memcpy(CMSG_DATA(c), &segment, sizeof(segment));
    };

    std::size_t sent = 0, copied = 0, outstanding = 0;
    const auto start = std::chrono::steady_clock::now();
    while (sent < messages)
    {
        for (auto &m : slots)
            build(m);
        if (mode == send_mode::zerocopy)
        {
            mmsghdr mm[batch];
            for (std::size_t i = 0; i < batch; i++)
                mm[i] = {slots[i].hdr, 0};
            const int n = sendmmsg(fd, mm, batch, MSG_ZEROCOPY);
            if (n != int(batch))
                fail(n < 0 ? std::string("sendmmsg: ") + std::strerror(errno)
                           : "sendmmsg sent " + std::to_string(n) + " of " + std::to_string(batch)
                             + " messages (the next one fails: too many fragments?)");
            sent += batch;
            for (;;)  // reap the releases reported so far
            {
                alignas(cmsghdr) char control[128];
                msghdr eh{};
                eh.msg_control = control;
                eh.msg_controllen = sizeof(control);
                if (recvmsg(fd, &eh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
                    break;
                for (cmsghdr *c = CMSG_FIRSTHDR(&eh); c; c = CMSG_NXTHDR(&eh, c))
                {
                    sock_extended_err ee;
                    std::memcpy(&ee, CMSG_DATA(c), sizeof(ee));
                    if (ee.ee_origin == SO_EE_ORIGIN_ZEROCOPY && (ee.ee_code & SO_EE_CODE_ZEROCOPY_COPIED))
                        copied += ee.ee_data - ee.ee_info + 1;
                }
            }
            continue;
        }
        for (auto &m : slots)
        {
            io_uring_sqe *sqe = io_uring_get_sqe(&ring);
            io_uring_prep_sendmsg_zc(sqe, fd, &m.hdr, 0);
            // Ask for the notification to say whether the kernel copied
            // (IORING_SEND_ZC_REPORT_USAGE, Linux 6.2; not in liburing 2.3's header)
            sqe->ioprio |= 1U << 3;
            if (mode == send_mode::uring_fixed)
            {
                sqe->ioprio |= IORING_RECVSEND_FIXED_BUF;
                sqe->buf_index = 0;
            }
        }
        io_uring_submit(&ring);
        std::size_t results = 0;
        while (results < batch || outstanding > max_outstanding_notifications)
        {
            io_uring_cqe *cqe;
            if (const int e = io_uring_wait_cqe(&ring, &cqe); e < 0)
                fail(std::string("io_uring_wait_cqe: ") + std::strerror(-e));
            if (cqe->flags & IORING_CQE_F_NOTIF)
            {
                outstanding--;
                if (unsigned(cqe->res) & notif_copied)
                    copied++;
            }
            else
            {
                if (cqe->res < 0)
                    fail(std::string("SENDMSG_ZC: ") + std::strerror(-cqe->res));
                results++;
                sent++;
                if (cqe->flags & IORING_CQE_F_MORE)
                    outstanding++;
            }
            io_uring_cqe_seen(&ring, cqe);
        }
    }
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    std::cout << double(sent * per_message * payload) / elapsed.count() / 1e6 << " MB/s\n"
              << sent << " messages of " << per_message << " datagrams, " << copied << " releases reported as copies\n";
    if (mode != send_mode::zerocopy)
        io_uring_queue_exit(&ring);
    close(fd);
    return 0;
}
