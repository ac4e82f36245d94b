// The ceiling a SPEAD sender is measured against: one thread pushing a
// reused buffer out as UDP datagrams with sendmmsg and GSO super-packets,
// with no protocol work at all.
//
// Usage: raw_send [-n passes] [-p datagram-size] [-H buffer-size] [-G] host port
//   -G  disable GSO (one datagram per message)
// Prints "N MB/s" (buffer bytes per second).

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef UDP_SEGMENT
# define UDP_SEGMENT 103
#endif
#ifndef SOL_UDP
# define SOL_UDP 17
#endif

static void usage(const char *name)
{
    std::cerr << "Usage: " << name << " [-n passes] [-p datagram-size] [-H buffer-size] [-G] host port\n";
}

int main(int argc, char *const argv[])
{
    int passes = 100;
    std::size_t datagram = 9000;
    std::size_t buffer_size = 64 << 20;
    bool gso = true;
    int opt;
    while ((opt = getopt(argc, argv, "n:p:H:G")) != -1)
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
        default:
            usage(argv[0]);
            return 2;
        }
    }
    if (argc - optind != 2 || datagram == 0 || datagram > 65507)
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

    std::vector<std::uint8_t> buffer(buffer_size, 1);  // touched up front
    const std::size_t segs = gso ? std::min<std::size_t>(64, 65507 / datagram) : 1;
    const std::size_t per_msg = segs * datagram;
    constexpr std::size_t batch = 64;
    std::vector<mmsghdr> msgs(batch);
    std::vector<iovec> iov(batch);
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
                iov[n] = {buffer.data() + offset, len};
                mmsghdr &m = msgs[n];
                std::memset(&m, 0, sizeof(m));
                m.msg_hdr.msg_name = &dest;
                m.msg_hdr.msg_namelen = sizeof(dest);
                m.msg_hdr.msg_iov = &iov[n];
                m.msg_hdr.msg_iovlen = 1;
                if (len > datagram)
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
                int r = sendmmsg(fd, &msgs[done], n - done, 0);
                if (r < 0)
                {
                    if (errno == EINTR || errno == EAGAIN || errno == ENOBUFS)
                        continue;
                    perror("sendmmsg");
                    return 1;
                }
                done += r;
            }
        }
    }
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    std::cout << double(buffer_size) * passes / elapsed.count() / 1e6 << " MB/s\n";
    close(fd);
    return 0;
}
