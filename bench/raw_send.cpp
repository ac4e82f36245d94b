// The ceiling a SPEAD sender is measured against: one thread pushing a
// reused buffer out as UDP datagrams with sendmmsg and GSO super-packets,
// with no protocol work at all.
//
// Usage: raw_send [-n passes] [-p datagram-size] [-H buffer-size] [-G] [-h header-bytes] [-z] [-T] host port
//   -G  disable GSO (one datagram per message)
//   -h  give every datagram a header of that many bytes in a piece of
//       memory of its own, as a SPEAD sender does (its payload is then
//       the rest of the datagram, from the buffer)
//   -z  MSG_ZEROCOPY: the kernel sends from the buffer's pages instead of
//       copying them, and reports on the socket's error queue when it has
//       released them (or that it copied after all)
//   -T  the buffer and the headers on transparent huge pages
// Prints "N MB/s" (buffer bytes per second); with -z also how many sends
// completed and how many of those the kernel reported as copied.

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>
#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef UDP_SEGMENT
# define UDP_SEGMENT 103
#endif
#ifndef SOL_UDP
# define SOL_UDP 17
#endif

#ifndef SO_ZEROCOPY
# define SO_ZEROCOPY 60
#endif
#ifndef MSG_ZEROCOPY
# define MSG_ZEROCOPY 0x4000000
#endif

static void usage(const char *name)
{
    std::cerr << "Usage: " << name
              << " [-n passes] [-p datagram-size] [-H buffer-size] [-G] [-h header-bytes] [-z] [-T] host port\n";
}

namespace
{

// Memory for the buffer: ordinary, or 2 MiB-aligned with transparent huge pages asked for.
std::uint8_t *allocate(std::size_t size, bool huge)
{
    constexpr std::size_t huge_page = 2 << 20;
    const std::size_t rounded = (size + huge_page - 1) / huge_page * huge_page;
    void *p = mmap(nullptr, rounded + huge_page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
    {
        perror("mmap");
        std::exit(1);
    }
    auto *aligned = reinterpret_cast<std::uint8_t *>((reinterpret_cast<std::uintptr_t>(p) + huge_page - 1) / huge_page
                                                     * huge_page);
    if (huge && madvise(aligned, rounded, MADV_HUGEPAGE) != 0)
        perror("madvise(MADV_HUGEPAGE)");
    std::memset(aligned, 1, rounded);  // touched up front
    return aligned;
}

// Zero-copy completions: ranges of send numbers the kernel has released.
struct completions
{
    std::uint64_t sends = 0;      // zero-copy sends made
    std::uint64_t completed = 0;  // sends the kernel has released
    std::uint64_t copied = 0;     // of those, sends it reported as copied

    // Read every notification waiting on fd's error queue.
    void reap(int fd)
    {
        for (;;)
        {
            alignas(cmsghdr) std::uint8_t control[128];
            msghdr msg{};
            msg.msg_control = control;
            msg.msg_controllen = sizeof(control);
            if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
                return;
            for (cmsghdr *c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c))
            {
                sock_extended_err err;
                std::memcpy(&err, CMSG_DATA(c), sizeof(err));
                if (err.ee_origin != SO_EE_ORIGIN_ZEROCOPY)
                    continue;
                const std::uint64_t n = std::uint32_t(err.ee_data - err.ee_info) + 1;
                completed += n;
                if (err.ee_code & SO_EE_CODE_ZEROCOPY_COPIED)
                    copied += n;
            }
        }
    }

    // Wait until every send has been released.
    void drain(int fd)
    {
        while (completed < sends)
        {
            pollfd p{fd, 0, 0};
            poll(&p, 1, 1000);
            reap(fd);
        }
    }
};

}  // anonymous namespace

int main(int argc, char *const argv[])
{
    int passes = 100;
    std::size_t datagram = 9000;
    std::size_t buffer_size = 64 << 20;
    bool gso = true;
    std::size_t header = 0;
    bool zerocopy = false, huge = false;
    int opt;
    while ((opt = getopt(argc, argv, "n:p:H:Gh:zT")) != -1)
    {
        switch (opt)
        {
        case 'n':
            passes = std::stoi(optarg);
            break;
        case 'p':
            datagram = std::stoul(optarg);
            break;
        case 'H':
            buffer_size = std::stoul(optarg);
            break;
        case 'G':
            gso = false;
            break;
        case 'h':
            header = std::stoul(optarg);
            break;
        case 'z':
            zerocopy = true;
            break;
        case 'T':
            huge = true;
            break;
        default:
            usage(argv[0]);
            return 2;
        }
    }
    if (argc - optind != 2 || datagram == 0 || datagram > 65507 || header >= datagram)
    {
        usage(argv[0]);
        return 2;
    }
    sockaddr_in dest{};
    dest.sin_family = AF_INET;
    dest.sin_port = htons(std::stoi(argv[optind + 1]));
    if (inet_pton(AF_INET, argv[optind], &dest.sin_addr) != 1)
    {
        std::cerr << "bad IPv4 address\n";
        return 2;
    }
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
    {
        perror("socket");
        return 1;
    }
    int sndbuf = 512 * 1024;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));

    int one = 1;
    if (zerocopy && setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)) != 0)
    {
        perror("setsockopt(SO_ZEROCOPY)");
        return 1;
    }

    std::uint8_t *buffer = allocate(buffer_size, huge);
    const std::size_t payload = datagram - header;  // buffer bytes per datagram
    const std::size_t segs = gso ? std::min<std::size_t>(64, 65507 / datagram) : 1;
    const std::size_t per_msg = segs * payload;
    constexpr std::size_t batch = 64;
    // One header per datagram of a batch, as a SPEAD sender's header arena
    std::uint8_t *headers = header > 0 ? allocate(batch * segs * header, huge) : nullptr;
    std::vector<mmsghdr> msgs(batch);
    std::vector<iovec> iov(batch * segs * 2);
    completions done_sends;
    struct alignas(cmsghdr) control
    {
        std::uint8_t data[CMSG_SPACE(sizeof(std::uint16_t))];
    };
    std::vector<control> controls(batch);

    auto start = std::chrono::steady_clock::now();
    for (int pass = 0; pass < passes; pass++)
    {
        std::size_t offset = 0;
        while (offset < buffer_size)
        {
            std::size_t n = 0;
            for (; n < batch && offset < buffer_size; n++)
            {
                const std::size_t len = std::min(per_msg, buffer_size - offset);
                iovec *first = &iov[n * segs * 2];
                std::size_t pieces = 0;
                if (header == 0)
                    first[pieces++] = {buffer + offset, len};
                else
                    for (std::size_t done = 0, i = 0; done < len; done += payload, i++)
                    {
                        first[pieces++] = {headers + (n * segs + i) * header, header};
                        first[pieces++] = {buffer + offset + done, std::min(payload, len - done)};
                    }
                mmsghdr &m = msgs[n];
                std::memset(&m, 0, sizeof(m));
                m.msg_hdr.msg_name = &dest;
                m.msg_hdr.msg_namelen = sizeof(dest);
                m.msg_hdr.msg_iov = first;
                m.msg_hdr.msg_iovlen = pieces;
                if (len > payload)
                {
                    m.msg_hdr.msg_control = controls[n].data;
                    m.msg_hdr.msg_controllen = sizeof(controls[n].data);
                    cmsghdr *c = CMSG_FIRSTHDR(&m.msg_hdr);
                    c->cmsg_level = SOL_UDP;
                    c->cmsg_type = UDP_SEGMENT;
                    c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
                    const std::uint16_t seg = datagram;
                    std::memcpy(CMSG_DATA(c), &seg, sizeof(seg));
                }
                offset += len;
            }
            std::size_t done = 0;
            while (done < n)
            {
                const int r = sendmmsg(fd, &msgs[done], n - done, zerocopy ? MSG_ZEROCOPY : 0);
                const int error = errno;
                if (zerocopy)
                    done_sends.reap(fd);  // notifications use socket memory: read them as they come
                if (r < 0)
                {
                    if (error == EINTR || error == EAGAIN || error == ENOBUFS)
                        continue;
                    std::cerr << "sendmmsg: " << std::strerror(error) << '\n';
                    return 1;
                }
                done += r;
                done_sends.sends += zerocopy ? r : 0;
            }
        }
    }
    done_sends.drain(fd);  // the kernel has let go of every page
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    std::cout << double(buffer_size) * passes / elapsed.count() / 1e6 << " MB/s\n";
    if (zerocopy)
        std::cout << done_sends.completed << " zero-copy sends completed, " << done_sends.copied
                  << " reported as copied\n";
    close(fd);
    return 0;
}
