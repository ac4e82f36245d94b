// lightspead-capture: capture UDP datagrams (unicast or multicast) into a pcap
// file, or count them, and say how many the kernel dropped. spead2's mcdump
// does this job with ibverbs; this one uses ordinary sockets (recvmmsg, GRO).

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <boost/asio.hpp>
#include <lightspead/common/socket_options.h>
#include <lightspead/common/udp_offload.h>
#include <lightspead/lightspead.h>
#include <CLI/CLI.hpp>

#include "tool_support.h"

namespace
{

using namespace lightspead;
using namespace lightspead::tools;
const char *const program = "lightspead-capture";

struct options : report_options
{
    std::string filename;
    std::vector<std::string> endpoints;
    std::string interface;
    std::size_t snaplen = 9230;
    std::size_t buffer = 64 * 1024 * 1024;
    std::uint64_t count = 0;  // 0: no limit
    bool no_gro = false;
};

int parse(int argc, char **argv, options &opts)
{
    CLI::App app("Capture UDP datagrams into a pcap file (or count them with - as the file).", program);
    app.get_formatter()->column_width(34);
    app.footer("Endpoints are [host:]port; a multicast address is joined (on --interface for IPv4). The file "
               "holds each datagram as an Ethernet frame with IPv4 or IPv6 and UDP headers, timestamps in "
               "nanoseconds. Exit codes: 0 captured, nothing dropped; 1 runtime error; 2 bad command line; 3 the "
               "kernel dropped datagrams (its count is printed).");
    app.add_option("filename", opts.filename, "Output pcap file, or - to count only")->required();
    app.add_option("endpoint", opts.endpoints, "Endpoints: [host:]port")->required();
    app.add_option("-i,--interface", opts.interface, "IPv4 address of the interface to join multicast groups on");
    app.add_option("-s,--snaplen", opts.snaplen, "Largest datagram payload kept (longer ones are cut)")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t(1), max_udp_payload_ipv6));
    app.add_option("--buffer", opts.buffer, "Socket receive buffer in bytes")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("-c,--count", opts.count, "Stop after this many datagrams [no limit]")->check(CLI::PositiveNumber);
    app.add_flag("--no-gro", opts.no_gro, "Receive one datagram per buffer (no UDP generic receive offload)");
    opts.add_to(app, "No interval lines, only the summary", "Stop after this many seconds");
    if (const auto rc = parse_command_line(
            app, argc, argv, program,
            [&]
            {
                for (const std::string &e : opts.endpoints)
                    if (!parse_endpoint(e, true))
                        throw CLI::ValidationError("endpoint",
                                                   "'" + e + "' is not [host:]port with a port from 0 to 65535");
            }))
        return *rc;
    return -1;
}

[[noreturn]] void throw_errno(const std::string &what)
{
    throw std::system_error(errno, std::generic_category(), what);
}

// Writes records of a nanosecond-resolution Ethernet pcap file.
class pcap_writer
{
private:
    FILE *file = nullptr;
    std::vector<char> buffer = std::vector<char>(4 << 20);
    std::vector<std::uint8_t> frame;

    void put(const void *data, std::size_t size)
    {
        if (std::fwrite(data, 1, size, file) != size)
            throw_errno("cannot write the pcap file");
    }

    static void be16(std::uint8_t *p, std::uint16_t v)
    {
        p[0] = std::uint8_t(v >> 8);
        p[1] = std::uint8_t(v);
    }

public:
    explicit pcap_writer(const std::string &filename)
    {
        file = std::fopen(filename.c_str(), "wb");
        if (!file)
            throw_errno("cannot create " + filename);
        std::setvbuf(file, buffer.data(), _IOFBF, buffer.size());
        const std::uint32_t magic = 0xa1b23c4d;  // nanosecond timestamps
        const std::uint16_t version[2] = {2, 4};
        const std::uint32_t rest[4] = {0, 0, 262144, 1};  // zone, sigfigs, snaplen, LINKTYPE_ETHERNET
        put(&magic, 4);
        put(version, 4);
        put(rest, 16);
    }

    ~pcap_writer()
    {
        if (file)
            std::fclose(file);
    }

    /// Write the file out; reports a failure (a full disk) that fclose would hide.
    void close()
    {
        FILE *f = std::exchange(file, nullptr);
        if (std::fflush(f) != 0 || std::fclose(f) != 0)
            throw_errno("cannot write the pcap file");
    }

    void write(const timespec &ts, const sockaddr_storage &src, const sockaddr_storage &dst, const std::uint8_t *data,
               std::size_t kept, std::size_t length)
    {
        const bool v6 = src.ss_family == AF_INET6;
        const std::size_t ip_header = v6 ? 40 : 20;
        const std::size_t headers = 14 + ip_header + 8;
        frame.assign(headers, 0);
        std::uint8_t *eth = frame.data();
        eth[0] = 0x02;  // locally administered addresses, as no real link was seen
        eth[6] = 0x02;
        be16(eth + 12, v6 ? 0x86dd : 0x0800);
        std::uint8_t *ip = eth + 14;
        std::uint8_t *udp = ip + ip_header;
        std::uint16_t sport, dport;
        if (v6)
        {
            const auto &s6 = reinterpret_cast<const sockaddr_in6 &>(src);
            const auto &d6 = reinterpret_cast<const sockaddr_in6 &>(dst);
            ip[0] = 0x60;
            be16(ip + 4, std::uint16_t(8 + length));
            ip[6] = IPPROTO_UDP;
            ip[7] = 64;
            std::memcpy(ip + 8, &s6.sin6_addr, 16);
            std::memcpy(ip + 24, &d6.sin6_addr, 16);
            sport = ntohs(s6.sin6_port);
            dport = ntohs(d6.sin6_port);
        }
        else
        {
            const auto &s4 = reinterpret_cast<const sockaddr_in &>(src);
            const auto &d4 = reinterpret_cast<const sockaddr_in &>(dst);
            ip[0] = 0x45;
            be16(ip + 2, std::uint16_t(20 + 8 + length));
            be16(ip + 6, 0x4000);  // don't fragment
            ip[8] = 64;
            ip[9] = IPPROTO_UDP;
            std::memcpy(ip + 12, &s4.sin_addr, 4);
            std::memcpy(ip + 16, &d4.sin_addr, 4);
            std::uint32_t sum = 0;
            for (int i = 0; i < 20; i += 2)
                sum += std::uint32_t(ip[i]) << 8 | ip[i + 1];
            while (sum >> 16)
                sum = (sum & 0xffff) + (sum >> 16);
            be16(ip + 10, std::uint16_t(~sum));
            sport = ntohs(s4.sin_port);
            dport = ntohs(d4.sin_port);
        }
        be16(udp, sport);
        be16(udp + 2, dport);
        be16(udp + 4, std::uint16_t(8 + length));  // checksum left 0: not computed
        const std::uint32_t record[4] = {std::uint32_t(ts.tv_sec), std::uint32_t(ts.tv_nsec),
                                         std::uint32_t(headers + kept), std::uint32_t(headers + length)};
        put(record, sizeof(record));
        put(frame.data(), headers);
        put(data, kept);
    }
};

// One socket per endpoint.
struct capture_socket
{
    int fd = -1;
    bool v6 = false;
    std::uint16_t port = 0;
    sockaddr_storage local{};        // the address datagrams are captured on, when IP_PKTINFO gives none
    std::uint32_t dropped_seen = 0;  // the kernel's running drop count (SO_RXQ_OVFL)

    capture_socket() = default;
    capture_socket(const capture_socket &) = delete;
    capture_socket &operator=(const capture_socket &) = delete;
    capture_socket(capture_socket &&other) noexcept
        : fd(std::exchange(other.fd, -1)), v6(other.v6), port(other.port), local(other.local),
          dropped_seen(other.dropped_seen)
    {
    }
    ~capture_socket()
    {
        if (fd >= 0)
            ::close(fd);
    }
};

capture_socket open_socket(const std::string &text, const options &opts, bool gro)
{
    const endpoint_text ep = *parse_endpoint(text, true);
    const boost::asio::ip::address address = resolve_host(ep.host);
    boost::asio::io_context io;
    boost::asio::ip::udp::socket socket(io);
    const boost::asio::ip::udp::endpoint endpoint(address, ep.port);
    socket.open(endpoint.protocol());
    if (address.is_multicast())
        socket.set_option(boost::asio::socket_base::reuse_address(true));
    const std::size_t granted = set_socket_buffer(socket.native_handle(), socket_buffer::receive, opts.buffer);
    if (granted < opts.buffer && opts.mode() == output_mode::text)
        std::cerr << program << ": warning: receive buffer of " << granted << " bytes for " << text << ", not "
                  << opts.buffer << '\n';
    socket.bind(endpoint);
    if (address.is_multicast())
    {
        boost::asio::ip::address iface;
        if (!opts.interface.empty())
            iface = resolve_host(opts.interface);
        check_multicast_interface(address, opts.interface.empty() ? nullptr : &iface, nullptr);
        join_multicast_group(socket, address, opts.interface.empty() ? nullptr : &iface, nullptr);
    }
    capture_socket s;
    s.v6 = address.is_v6();
    s.port = ep.port;
    const auto local = socket.local_endpoint();
    std::memcpy(&s.local, local.data(), local.size());
    s.fd = socket.release();
    const int one = 1;
    if (setsockopt(s.fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)) != 0)
        throw_errno("cannot ask for the kernel's drop count (SO_RXQ_OVFL)");
    setsockopt(s.fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));  // else the time of reading
    if (s.v6)
        setsockopt(s.fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
    else
        setsockopt(s.fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
    if (gro)
        setsockopt(s.fd, IPPROTO_UDP, UDP_GRO, &one, sizeof(one));  // refused on old kernels: no matter
    return s;
}

class capturer
{
private:
    const options &opts;
    const bool gro;
    std::vector<capture_socket> sockets;
    std::unique_ptr<pcap_writer> writer;

public:
    std::atomic<std::uint64_t> packets{0}, bytes{0}, kernel_dropped{0}, truncated{0};
    std::atomic<bool> stop{false}, finished{false};
    std::string error;  // set before finished

    explicit capturer(const options &opts) : opts(opts), gro(!opts.no_gro)
    {
        for (const std::string &e : opts.endpoints)
            sockets.push_back(open_socket(e, opts, gro));
        if (opts.filename != "-")
            writer = std::make_unique<pcap_writer>(opts.filename);
    }

    void run()
    {
        try
        {
            loop();
            if (writer)
                writer->close();
        }
        catch (const std::exception &e)
        {
            error = e.what();
        }
        finished = true;
        report_loop::notify();
    }

private:
    void loop()
    {
        constexpr std::size_t batch = 32;
        const std::size_t buffer_size = gro ? max_gro_message : std::max<std::size_t>(opts.snaplen, 1);
        std::vector<std::uint8_t> buffers(batch * buffer_size);
        std::vector<sockaddr_storage> names(batch);
        std::vector<iovec> iov(batch);
        std::vector<std::array<char, 256>> controls(batch);
        std::vector<mmsghdr> msgs(batch);
        std::vector<pollfd> fds;
        for (const auto &s : sockets)
            fds.push_back({s.fd, POLLIN, 0});
        while (!stop)
        {
            const int ready = ::poll(fds.data(), fds.size(), 50);
            if (ready < 0)
            {
                if (errno == EINTR)
                    continue;
                throw_errno("poll failed");
            }
            for (std::size_t k = 0; k < fds.size() && !stop; k++)
            {
                if (!(fds[k].revents & POLLIN))
                    continue;
                for (std::size_t i = 0; i < batch; i++)
                {
                    iov[i] = {buffers.data() + i * buffer_size, buffer_size};
                    msgs[i].msg_hdr = {};
                    msgs[i].msg_hdr.msg_name = &names[i];
                    msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
                    msgs[i].msg_hdr.msg_iov = &iov[i];
                    msgs[i].msg_hdr.msg_iovlen = 1;
                    msgs[i].msg_hdr.msg_control = controls[i].data();
                    msgs[i].msg_hdr.msg_controllen = controls[i].size();
                }
                const int n = ::recvmmsg(sockets[k].fd, msgs.data(), batch, MSG_DONTWAIT | MSG_TRUNC, nullptr);
                if (n < 0)
                {
                    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                        continue;
                    throw_errno("recvmmsg failed");
                }
                for (int i = 0; i < n && !stop; i++)
                    handle(sockets[k], msgs[i], buffers.data() + i * buffer_size, buffer_size);
            }
        }
    }

    void handle(capture_socket &s, const mmsghdr &m, const std::uint8_t *data, std::size_t buffer_size)
    {
        timespec ts{};
        std::size_t segment = 0;
        sockaddr_storage dst = s.local;
        for (cmsghdr *c = CMSG_FIRSTHDR(&m.msg_hdr); c; c = CMSG_NXTHDR(const_cast<msghdr *>(&m.msg_hdr), c))
        {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL)
            {
                std::uint32_t total;
                std::memcpy(&total, CMSG_DATA(c), sizeof(total));
                if (total != s.dropped_seen)
                {
                    kernel_dropped += std::uint32_t(total - s.dropped_seen);  // the counter wraps at 2^32
                    s.dropped_seen = total;
                }
            }
            else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS)
                std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));
            else if (c->cmsg_level == IPPROTO_UDP && c->cmsg_type == UDP_GRO)
            {
                int size;
                std::memcpy(&size, CMSG_DATA(c), sizeof(size));
                segment = std::size_t(size);
            }
            else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
            {
                in_pktinfo info;
                std::memcpy(&info, CMSG_DATA(c), sizeof(info));
                reinterpret_cast<sockaddr_in &>(dst).sin_addr = info.ipi_addr;
            }
            else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO)
            {
                in6_pktinfo info;
                std::memcpy(&info, CMSG_DATA(c), sizeof(info));
                reinterpret_cast<sockaddr_in6 &>(dst).sin6_addr = info.ipi6_addr;
            }
        }
        if (ts.tv_sec == 0 && ts.tv_nsec == 0)
            clock_gettime(CLOCK_REALTIME, &ts);
        // The whole message's length (MSG_TRUNC): what arrived, even past the buffer.
        const std::size_t total = m.msg_len;
        const std::size_t in_buffer = std::min(total, buffer_size);
        if (segment == 0 || segment >= total)
            segment = total;  // one datagram
        for (std::size_t offset = 0; offset < total; offset += segment)
        {
            const std::size_t length = std::min(segment, total - offset);
            const std::size_t available = offset < in_buffer ? std::min(length, in_buffer - offset) : 0;
            const std::size_t kept = std::min(available, opts.snaplen);
            if (kept < length)
                truncated++;
            if (writer)
                writer->write(ts, *static_cast<const sockaddr_storage *>(m.msg_hdr.msg_name), dst, data + offset, kept,
                              length);
            bytes += length;
            if (++packets == opts.count)
            {
                stop = true;
                return;
            }
        }
    }
};

}  // namespace

int main(int argc, char **argv)
{
    options opts;
    if (const int rc = parse(argc, argv, opts); rc >= 0)
        return rc;
    report_loop::block_signals();
    try
    {
        capturer cap(opts);
        const auto start = report_loop::clock::now();
        std::thread worker([&cap] { cap.run(); });
        interval_printer printer(std::cout, is_terminal(1));
        std::uint64_t previous_packets = 0, previous_bytes = 0, previous_dropped = 0;
        auto on_interval = [&](double from, double to)
        {
            const std::uint64_t p = cap.packets, b = cap.bytes, d = cap.kernel_dropped;
            const double rate = to > from ? double(b - previous_bytes) / (to - from) : 0.0;
            if (opts.mode() == output_mode::json_stream)
            {
                json_writer j = report_options::begin_interval(from, to);
                j.field("packets", p - previous_packets)
                    .field("bytes", b - previous_bytes)
                    .field("bytes_per_second", rate)
                    .field("kernel_dropped", d - previous_dropped)
                    .end_object();
                std::cout << j.str() << '\n' << std::flush;
            }
            else if (opts.mode() == output_mode::text && !opts.quiet)
            {
                char line[160];
                std::snprintf(line, sizeof(line), "[%7.2f-%7.2f s] %10llu packets  %10s  %12s", from, to,
                              (unsigned long long)(p - previous_packets),
                              format_bytes(double(b - previous_bytes)).c_str(), format_bits_rate(rate).c_str());
                std::string text = line;
                if (d != previous_dropped)
                    text += "  kernel_dropped +" + std::to_string(d - previous_dropped);
                printer.line(text);
            }
            previous_packets = p;
            previous_bytes = b;
            previous_dropped = d;
        };
        const int sig = report_loop::run(
            start, opts.interval, [&] { return cap.finished.load(); }, on_interval, opts.duration);
        cap.stop = true;
        worker.join();
        const double elapsed = std::chrono::duration<double>(report_loop::clock::now() - start).count();
        if (!cap.error.empty())
        {
            print_error(program, cap.error);
            return EXIT_ERROR;
        }
        const std::uint64_t packets = cap.packets, bytes = cap.bytes, dropped = cap.kernel_dropped;
        const int rc = dropped ? EXIT_LOST : EXIT_OK;
        const char *reason = sig ? "signal" : opts.count && packets >= opts.count ? "count" : "duration";
        if (opts.mode() == output_mode::text)
        {
            printer.finish();
            std::cout << packets << " packets captured (" << bytes << " bytes) in " << elapsed << " s, "
                      << format_bits_rate(elapsed > 0 ? double(bytes) / elapsed : 0.0) << " (stopped by: " << reason
                      << ")\n"
                      << "kernel dropped: " << dropped << (dropped ? " (datagrams lost before capture)" : "") << '\n';
            if (cap.truncated)
                std::cout << "truncated to --snaplen: " << cap.truncated << '\n';
        }
        else
        {
            json_writer j = opts.begin_summary(program);
            j.field("file", opts.filename == "-" ? std::string() : opts.filename)
                .field("elapsed_s", elapsed)
                .field("packets", packets)
                .field("bytes", bytes)
                .field("kernel_dropped", dropped)
                .field("truncated", std::uint64_t(cap.truncated))
                .field("stopped_by", reason)
                .field("exit_code", rc)
                .end_object();
            std::cout << j.str() << '\n' << std::flush;
        }
        return rc;
    }
    catch (const std::exception &e)
    {
        print_error(program, e.what());
        return EXIT_ERROR;
    }
}
