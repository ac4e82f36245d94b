#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <liburing.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <boost/asio/ip/multicast.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/system/system_error.hpp>
#include <lightspead/common/iovec.h>
#include <lightspead/common/logging.h>
#include <lightspead/common/memory_allocator.h>
#include <lightspead/common/socket_options.h>
#include <lightspead/common/udp_offload.h>
#include <lightspead/send/registered_allocator.h>
#include <lightspead/send/udp_stream.h>

namespace lightspead::send
{

namespace
{

using boost::asio::ip::udp;

constexpr unsigned max_mmsg = 1024;  // UIO_MAXIOV: messages per sendmmsg

struct alignas(cmsghdr) gso_control
{
    std::uint8_t data[CMSG_SPACE(sizeof(std::uint16_t))];
};

/* Zero-copy (MSG_ZEROCOPY). The kernel pins the pages a datagram's pieces
 * lie on and puts each piece into a fragment of the socket buffer: at most
 * MAX_SKB_FRAGS (17 unless the kernel was built otherwise) per GSO
 * super-packet, or the send fails with EMSGSIZE. A piece on a huge page is
 * one fragment; on 4 KiB pages it is one per page it touches.
 */
constexpr std::size_t max_zerocopy_frags = 17;
// A datagram (or GSO super-packet) smaller than this is copied even when
// its packets may go without (unless it follows one that goes without):
// pinning the pages and the release notification cost more than copying
// so little. Measured into the drop sink: 16 KiB heaps (one message of
// 16.5 KB each) went 10% slower without copying, messages of 27 KB (4 KiB
// pages) as fast, 57-63 KB faster.
constexpr std::size_t min_zerocopy_message_bytes = 24 * 1024;
constexpr std::size_t huge_page_size = lightspead::mmap_allocator::huge_page_size;
constexpr std::size_t small_page_size = 4096;
// How long a stopped stream waits for the kernel to release its memory
// before it completes the heaps anyway (the pages stay pinned by the
// kernel, so this is safe for memory, not for what goes on the wire).
constexpr auto release_grace = std::chrono::seconds(1);
// io_uring: submissions at once (a batch's messages go in pieces of this
// many), and completions the ring holds: a result and, later, a release
// notification for every message, for every batch the stream may hold.
constexpr unsigned ring_entries = 1024;
constexpr unsigned ring_completions = 16384;
// Asks for a notification's result to say whether the kernel copied, in
// its top bit (Linux 6.2's IORING_SEND_ZC_REPORT_USAGE and
// IORING_NOTIF_USAGE_ZC_COPIED; liburing 2.3's header lacks them).
constexpr std::uint16_t send_zc_report_usage = 1U << 3;
constexpr std::uint32_t notif_copied = 1U << 31;

/* How a message goes: copied by the kernel; MSG_ZEROCOPY (the kernel pins
 * its pages for the send); or io_uring SENDMSG_ZC from a registered
 * (fixed) buffer, already pinned.
 */
enum msg_mode : std::uint8_t
{
    msg_copy,
    msg_zerocopy,
    msg_fixed
};

/* Sends whose memory the kernel releases in any order, numbered in the
 * order they were made: every id below `released` is released, and so
 * are the ranges [first, last) in `early`.
 */
struct release_tracker
{
    std::uint64_t issued = 0;
    std::uint64_t released = 0;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> early;

    void mark(std::uint64_t first, std::uint64_t last)
    {
        early.emplace_back(first, last);
        // Advance the watermark over every range that now touches it.
        bool moved = true;
        while (moved)
        {
            moved = false;
            for (std::size_t k = 0; k < early.size(); k++)
                if (early[k].first <= released)
                {
                    released = std::max(released, early[k].second);
                    early[k] = early.back();
                    early.pop_back();
                    moved = true;
                    break;
                }
        }
    }

    void forget()
    {
        released = issued;
        early.clear();
    }
};

class udp_transport final : public transport
{
private:
    /* The socket is kept out of the io_context's epoll set while sending:
     * a socket registered with epoll has a waiter on its wait queue, and
     * the kernel then takes that queue's lock for every datagram it frees
     * (a few per cent at 10 GB/s). Only when the socket is full is a
     * duplicate descriptor registered, for that one wait.
     */
    int fd;
    boost::asio::posix::stream_descriptor waiter;
    std::vector<udp::endpoint> endpoints;
    std::size_t max_gso_bytes;
    bool gso = true;
    // Zero-copy: the mode asked for, whether it is in use (off for good
    // once the kernel refuses it, or in automatic mode reports a copy),
    // and whether fragments are counted as if on huge pages.
    zerocopy_mode zc_mode;
    std::atomic<bool> zc{false};
    bool zc_assume_huge = true;
    // Whether the kernel has released any zero-copy send yet, and so said
    // whether this path copies (see send_pending).
    bool zc_heard = false;
    // MSG_ZEROCOPY sends, numbered as the socket numbers its notifications.
    release_tracker zc_ids;
    std::atomic<std::uint64_t> zc_copied{0};
    /* io_uring SENDMSG_ZC from the registered allocator's region, which
     * the ring holds as fixed buffers (one per registration unit). `uring`
     * is whether the ring is in use; its sends are numbered by their
     * user_data in uring_ids. The ring is waited on through a duplicate of
     * its descriptor in ring_waiter, as the socket is through `waiter`.
     */
    std::shared_ptr<registered_allocator> registered;
    io_uring ring{};
    bool ring_open = false;
    std::atomic<bool> uring{false};  // read by is_registered_active from any thread
    release_tracker uring_ids;
    std::atomic<std::uint64_t> uring_sent{0};
    boost::asio::posix::stream_descriptor ring_waiter;
    std::vector<int> results;  // of the sends uring_send has in flight
    // Tickets of the batches whose memory the kernel may still read, with
    // the send numbers that release them.
    struct pending_release
    {
        std::uint64_t ticket;
        std::uint64_t zc_target;
        std::uint64_t uring_target;
    };
    std::deque<pending_release> pending;
    std::uint64_t last_ticket = 0;
    // With a single destination the socket is connected: the kernel then
    // keeps the route instead of looking it up for every datagram.
    bool connected = false;

    // State of the batch being sent
    packet_batch *batch = nullptr;
    std::function<void()> resume;
    std::vector<mmsghdr> msgs;
    std::vector<std::size_t> msg_first_packet;  // first packet of each message
    std::vector<std::size_t> msg_packets;       // number of packets in each message
    std::vector<std::uint8_t> msg_how;          // a msg_mode for each message
    std::vector<std::uint16_t> msg_buffer;      // fixed buffer of each msg_fixed message
    std::vector<gso_control> controls;
    std::vector<iovec> bounce_iov;
    std::vector<std::vector<std::uint8_t>> bounce;
    std::size_t next_msg = 0;
    bool retried_refused = false;
    // cancel() may come from any thread: it and every use of the waiters
    // take wait_mutex.
    std::mutex wait_mutex;
    bool cancelled = false;

    void setup_ring();
    void build_messages(std::size_t first_packet);
    bool send_pending();
    void fail_message(std::size_t m, const boost::system::error_code &ec);
    // Fragments packet @a p takes when sent without copying; 0 if it cannot be.
    std::size_t zerocopy_frags(const packet_batch::packet &p) const;
    // The fixed buffer all of @a v[0, n) lies in, or -1.
    int fixed_buffer(const iovec *v, std::size_t n) const;
    /* Sends messages [first, first + n) through the ring, in order, and
     * waits for their results (not their releases): as sendmmsg, returns
     * how many were sent, or -1 with errno set if the first failed.
     */
    int uring_send(std::size_t first, unsigned n);
    // Records that this batch's memory waits for the sends made so far.
    void note_issued();
    // Reads the error queue's notifications; whether any id was released.
    bool reap();
    // Reads the ring's completions; whether any send was released.
    bool reap_ring();
    void mark_released(std::uint32_t lo, std::uint32_t hi, bool copied);
    // A send found that the kernel copied: in automatic mode, copy from now on.
    void note_copied(std::uint64_t sends);
    // Drops the tickets whose sends are all released; whether any is left.
    bool trim_pending();
    /* With @a lock (on wait_mutex) held: registers a duplicate of
     * @a source with @a w, for the caller to async_wait on. If that fails,
     * unlocks, polls @a source for @a events for up to 100 ms on this
     * thread instead and returns false: the caller looks again.
     */
    bool arm_waiter(std::unique_lock<std::mutex> &lock, boost::asio::posix::stream_descriptor &w, int source,
                    short events);
    // First step of a wait handler: the duplicate leaves the epoll set.
    void disarm_waiter(boost::asio::posix::stream_descriptor &w);
    // For a stopped stream: waits a bounded time for every release.
    void drain_releases();

public:
    udp_transport(udp::socket &&socket, std::vector<udp::endpoint> endpoints, const stream_config &config)
        : fd(-1), waiter(socket.get_executor()), endpoints(std::move(endpoints)),
          max_gso_bytes(this->endpoints[0].address().is_v4() ? max_udp_payload_ipv4 : max_udp_payload_ipv6),
          zc_mode(config.get_zerocopy()), registered(config.get_registered_allocator()),
          ring_waiter(socket.get_executor())
    {
        if (this->endpoints.size() == 1)
        {
            boost::system::error_code ec;
            socket.connect(this->endpoints[0], ec);
            connected = !ec;  // otherwise address every datagram as usual
        }
        if (zc_mode != zerocopy_mode::off)
        {
            const int one = 1;
            if (setsockopt(socket.native_handle(), SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)) == 0)
                zc = true;
            else if (zc_mode == zerocopy_mode::on)
                throw boost::system::system_error(errno, boost::system::system_category(),
                                                  "zerocopy_mode::on: setsockopt(SO_ZEROCOPY)");
            else
                log_info(std::string("zero-copy sending is unavailable (") + std::strerror(errno)
                         + "): heaps are copied");
        }
        fd = socket.release();
        if (zc.load(std::memory_order_relaxed) && registered)
            setup_ring();
    }

    ~udp_transport() override
    {
        waiter.close();
        ring_waiter.close();
        if (ring_open)
            io_uring_queue_exit(&ring);  // the kernel keeps what its sends still use
        ::close(fd);
    }

    std::size_t num_substreams() const override { return endpoints.size(); }

    bool is_gso_active() const { return gso; }
    bool is_zerocopy_active() const { return zc.load(std::memory_order_relaxed); }
    bool is_registered_active() const
    {
        return uring.load(std::memory_order_relaxed) && zc.load(std::memory_order_relaxed);
    }
    std::uint64_t zerocopy_copied() const { return zc_copied.load(std::memory_order_relaxed); }
    std::uint64_t registered_sends() const { return uring_sent.load(std::memory_order_relaxed); }

    bool is_released(std::uint64_t ticket) override
    {
        if (!trim_pending() || pending.front().ticket > ticket)
            return true;
        reap();
        if (ring_open)
            reap_ring();
        return !trim_pending() || pending.front().ticket > ticket;
    }

    bool wait_release(const std::function<void()> &r) override;

    void cancel() override
    {
        std::lock_guard<std::mutex> lock(wait_mutex);
        cancelled = true;
        boost::system::error_code ec;
        if (waiter.is_open())
            waiter.cancel(ec);
        if (ring_waiter.is_open())
            ring_waiter.cancel(ec);
    }

    bool transmit(packet_batch &b, const std::function<void()> &r) override
    {
        batch = &b;
        build_messages(0);
        next_msg = 0;
        if (send_pending())
            return true;
        resume = r;
        return false;
    }
};

void udp_transport::setup_ring()
{
    io_uring_params params{};
    params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
    params.cq_entries = ring_completions;
    int e = io_uring_queue_init_params(ring_entries, &ring, &params);
    if (e == -EINVAL)
    {
        // A kernel before 5.18 (no IORING_SETUP_SUBMIT_ALL)
        params = io_uring_params{};
        params.flags = IORING_SETUP_CQSIZE;
        params.cq_entries = ring_completions;
        e = io_uring_queue_init_params(ring_entries, &ring, &params);
    }
    if (e < 0)
    {
        log_info(std::string("io_uring is unavailable (") + std::strerror(-e)
                 + "): heaps in registered memory go with MSG_ZEROCOPY");
        return;
    }
    ring_open = true;
    std::vector<iovec> buffers;
    const std::size_t size = registered->get_region_size();
    auto *base = const_cast<std::uint8_t *>(registered->get_region());
    for (std::size_t offset = 0; offset < size; offset += registered_allocator::registration_unit)
        buffers.push_back({base + offset, std::min(registered_allocator::registration_unit, size - offset)});
    e = io_uring_register_buffers(&ring, buffers.data(), buffers.size());
    if (e < 0)
    {
        // ENOMEM: more than RLIMIT_MEMLOCK allows this (unprivileged) process
        log_info(std::string("cannot register the allocator's memory with io_uring (") + std::strerror(-e)
                 + "): heaps in it go with MSG_ZEROCOPY");
        return;
    }
    uring.store(true, std::memory_order_relaxed);
}

int udp_transport::fixed_buffer(const iovec *v, std::size_t n) const
{
    const auto base = reinterpret_cast<std::uintptr_t>(registered->get_region());
    int index = -1;
    for (std::size_t k = 0; k < n; k++)
    {
        if (!registered->contains(v[k].iov_base, v[k].iov_len) || v[k].iov_len == 0)
            return -1;
        const std::size_t offset = reinterpret_cast<std::uintptr_t>(v[k].iov_base) - base;
        const int unit = offset / registered_allocator::registration_unit;
        if ((offset + v[k].iov_len - 1) / registered_allocator::registration_unit != std::size_t(unit)
            || (index >= 0 && unit != index))
            return -1;
        index = unit;
    }
    return index;
}

void udp_transport::build_messages(std::size_t first_packet)
{
    const auto &packets = batch->packets;
    msgs.clear();
    msg_first_packet.clear();
    msg_packets.clear();
    msg_how.clear();
    msg_buffer.clear();
    bounce_iov.clear();
    bounce.clear();
    // Sized up front: messages point into these vectors.
    if (controls.size() < packets.size())
        controls.resize(packets.size());
    bounce_iov.reserve(packets.size());
    for (std::size_t i = first_packet; i < packets.size();)
    {
        const std::size_t first = i;
        const auto &p0 = packets[first];
        std::size_t bytes = p0.size;
        std::size_t iovs = p0.iov_count;
        std::size_t frags = zerocopy_frags(p0);
        const bool zc_msg = frags > 0;
        i++;
        if (gso)
        {
            // All segments but the last must be exactly the first's size;
            // all go without copying, or none, within the fragment limit.
            std::size_t f = 0;
            while (i < packets.size() && packets[i].substream == p0.substream && i - first < max_gso_segments
                   && packets[i].size <= p0.size && bytes + packets[i].size <= max_gso_bytes
                   && iovs + packets[i].iov_count <= max_iov
                   && (f = zerocopy_frags(packets[i]), (f > 0) == zc_msg && frags + f <= max_zerocopy_frags))
            {
                bytes += packets[i].size;
                iovs += packets[i].iov_count;
                frags += f;
                i++;
                if (packets[i - 1].size < p0.size)
                    break;
            }
        }
        mmsghdr &m = msgs.emplace_back();
        std::memset(&m, 0, sizeof(m));
        const udp::endpoint &ep = endpoints[p0.substream];
        if (!connected)
        {
            m.msg_hdr.msg_name = const_cast<void *>(static_cast<const void *>(ep.data()));
            m.msg_hdr.msg_namelen = ep.size();
        }
        if (iovs <= max_iov)
        {
            m.msg_hdr.msg_iov = &batch->iov[p0.iov_first];
            m.msg_hdr.msg_iovlen = iovs;
        }
        else
        {
            // A single packet made of very many small items: linearise it.
            auto &copy = bounce.emplace_back(p0.size);
            gather(&batch->iov[p0.iov_first], 0, p0.size, copy.data());
            bounce_iov.push_back({copy.data(), copy.size()});
            m.msg_hdr.msg_iov = &bounce_iov.back();
            m.msg_hdr.msg_iovlen = 1;
        }
        if (i - first > 1)
        {
            gso_control &c = controls[msgs.size() - 1];
            m.msg_hdr.msg_control = c.data;
            m.msg_hdr.msg_controllen = sizeof(c.data);
            cmsghdr *cmsg = CMSG_FIRSTHDR(&m.msg_hdr);
            cmsg->cmsg_level = SOL_UDP;
            cmsg->cmsg_type = UDP_SEGMENT;
            cmsg->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
            const std::uint16_t segment = p0.size;
            std::memcpy(CMSG_DATA(cmsg), &segment, sizeof(segment));
        }
        msg_first_packet.push_back(first);
        msg_packets.push_back(i - first);
        // A small message after one sent without copying joins it rather
        // than split the run into two system calls.
        const bool without_copy = zc_msg
            && (bytes >= min_zerocopy_message_bytes || (!msg_how.empty() && msg_how.back() != msg_copy));
        const int buffer = without_copy && uring.load(std::memory_order_relaxed)
            ? fixed_buffer(m.msg_hdr.msg_iov, m.msg_hdr.msg_iovlen)
            : -1;
        msg_how.push_back(buffer >= 0 ? msg_fixed : without_copy ? msg_zerocopy : msg_copy);
        msg_buffer.push_back(buffer >= 0 ? buffer : 0);
    }
}

std::size_t udp_transport::zerocopy_frags(const packet_batch::packet &p) const
{
    if (!p.zerocopy || !zc.load(std::memory_order_relaxed) || p.iov_count > max_iov)
        return 0;
    const std::size_t page = zc_assume_huge ? huge_page_size : small_page_size;
    std::size_t frags = 0;
    for (std::size_t k = 0; k < p.iov_count; k++)
    {
        const iovec &v = batch->iov[p.iov_first + k];
        const auto start = reinterpret_cast<std::uintptr_t>(v.iov_base);
        frags += (start % page + v.iov_len + page - 1) / page;
    }
    return frags <= max_zerocopy_frags ? frags : 0;
}

void udp_transport::note_copied(std::uint64_t sends)
{
    zc_copied.fetch_add(sends, std::memory_order_relaxed);
    if (zc_mode == zerocopy_mode::automatic && zc.load(std::memory_order_relaxed))
    {
        // Typically loopback or a device without scatter/gather: the
        // kernel copies anyway, later than a plain send would.
        log_info("the kernel copies zero-copy sends on this path: copying from now on");
        zc.store(false, std::memory_order_relaxed);
    }
}

void udp_transport::mark_released(std::uint32_t lo, std::uint32_t hi, bool copied)
{
    // Ids are 32 bits and wrap; fewer than 2^31 are ever outstanding.
    const std::uint64_t first = zc_ids.released + std::uint32_t(lo - std::uint32_t(zc_ids.released));
    const std::uint64_t last = first + std::uint32_t(hi - lo) + 1;
    if (last > zc_ids.issued || first < zc_ids.released)
    {
        log_warning("ignoring a zero-copy notification for sends that were not made");
        return;
    }
    zc_heard = true;
    if (copied)
        note_copied(last - first);
    zc_ids.mark(first, last);
}

bool udp_transport::reap()
{
    if (zc_ids.released >= zc_ids.issued)
        return false;  // nothing to hear of
    bool any = false;
    for (;;)
    {
        alignas(cmsghdr) std::uint8_t control[256];
        msghdr msg{};
        msg.msg_control = control;
        msg.msg_controllen = sizeof(control);
        if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
        {
            if (errno == EINTR)
                continue;
            return any;  // EAGAIN: the queue is empty
        }
        for (cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
        {
            if (!((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR)
                  || (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)))
                continue;
            sock_extended_err ee;
            std::memcpy(&ee, CMSG_DATA(c), sizeof(ee));
            if (ee.ee_origin != SO_EE_ORIGIN_ZEROCOPY || ee.ee_errno != 0)
                continue;
            mark_released(ee.ee_info, ee.ee_data, ee.ee_code & SO_EE_CODE_ZEROCOPY_COPIED);
            any = true;
        }
        // Everything sent is released: skip the read that would only say
        // the queue is empty (one system call per batch saved).
        if (any && zc_ids.released >= zc_ids.issued)
            return true;
    }
}

bool udp_transport::reap_ring()
{
    bool any = false;
    io_uring_cqe *cqe;
    while (io_uring_peek_cqe(&ring, &cqe) == 0)
    {
        const std::uint64_t id = cqe->user_data;
        if (cqe->flags & IORING_CQE_F_NOTIF)
        {
            // The kernel has let go of the send's memory.
            zc_heard = true;
            if (std::uint32_t(cqe->res) & notif_copied)
                note_copied(1);
            uring_ids.mark(id, id + 1);
            any = true;
        }
        else
        {
            // A send's result: uring_send is waiting for it.
            const std::uint64_t first = uring_ids.issued - results.size();
            if (id >= first && id < uring_ids.issued)
                results[id - first] = cqe->res;
            if (!(cqe->flags & IORING_CQE_F_MORE))
            {
                uring_ids.mark(id, id + 1);  // failed or cancelled: no notification follows
                any = true;
            }
        }
        io_uring_cqe_seen(&ring, cqe);
    }
    return any;
}

int udp_transport::uring_send(std::size_t first, unsigned n)
{
    n = std::min(n, ring_entries);
    constexpr int waiting = std::numeric_limits<int>::min();
    results.assign(n, waiting);
    const std::uint64_t first_id = uring_ids.issued;
    /* The ring failed (it should not: every submission is waited for, so
     * it has room): give it up for good, the sends not made count as
     * released, and EOPNOTSUPP makes send_pending send them again with
     * MSG_ZEROCOPY.
     */
    auto give_up = [&](int e, unsigned made)
    {
        log_warning(std::string("io_uring failed (") + std::strerror(e) + "): using MSG_ZEROCOPY from now on");
        uring.store(false, std::memory_order_relaxed);
        uring_ids.mark(first_id, first_id + made);
        results.clear();
        errno = EOPNOTSUPP;
        return -1;
    };
    for (unsigned k = 0; k < n; k++)
    {
        io_uring_sqe *sqe = io_uring_get_sqe(&ring);
        if (!sqe)
        {
            uring_ids.issued += k;
            return give_up(EBUSY, k);
        }
        // Without waiting for room in the socket: a full socket fails the
        // send with EAGAIN (and the linked ones after it with ECANCELED),
        // so that the stream waits as it does with sendmmsg.
        io_uring_prep_sendmsg_zc(sqe, fd, &msgs[first + k].msg_hdr, MSG_DONTWAIT);
        // liburing 2.3 has no helper for a vectored send from a fixed buffer
        sqe->ioprio |= IORING_RECVSEND_FIXED_BUF | send_zc_report_usage;
        sqe->buf_index = msg_buffer[first + k];
        sqe->user_data = first_id + k;
        // Linked, so that they go in order, and none after one that failed
        if (k + 1 < n)
            sqe->flags |= IOSQE_IO_LINK;
    }
    uring_ids.issued += n;
    for (;;)
    {
        const int e = io_uring_submit_and_wait(&ring, 1);
        if (e < 0 && e != -EINTR && e != -EAGAIN && e != -EBUSY)
            return give_up(-e, n);
        reap_ring();
        if (std::find(results.begin(), results.end(), waiting) == results.end())
            break;
    }
    unsigned sent = 0;
    while (sent < n && results[sent] >= 0)
        sent++;
    const int err = sent < n ? -results[sent] : 0;
    results.clear();
    uring_sent.fetch_add(sent, std::memory_order_relaxed);
    if (sent > 0)
        return sent;
    errno = err;
    return -1;
}

void udp_transport::note_issued()
{
    if (batch->release_ticket == 0)
    {
        batch->release_ticket = ++last_ticket;
        pending.push_back({last_ticket, 0, 0});
    }
    pending.back().zc_target = zc_ids.issued;
    pending.back().uring_target = uring_ids.issued;
}

bool udp_transport::trim_pending()
{
    while (!pending.empty() && pending.front().zc_target <= zc_ids.released
           && pending.front().uring_target <= uring_ids.released)
        pending.pop_front();
    return !pending.empty();
}

void udp_transport::drain_releases()
{
    const auto deadline = std::chrono::steady_clock::now() + release_grace;
    while (trim_pending())
    {
        reap();
        if (ring_open)
            reap_ring();
        const auto left = deadline - std::chrono::steady_clock::now();
        if (!trim_pending() || left <= left.zero())
            break;
        pollfd pfds[2] = {{fd, POLLERR, 0}, {ring_open ? ring.ring_fd : -1, POLLIN, 0}};
        ::poll(pfds, 2, 10);
    }
    if (trim_pending())
    {
        log_warning("the kernel has not released "
                    + std::to_string(zc_ids.issued - zc_ids.released + uring_ids.issued - uring_ids.released)
                    + " zero-copy sends after the stream stopped: completing their heaps anyway");
        zc_ids.forget();
        uring_ids.forget();
        pending.clear();
    }
}

bool udp_transport::arm_waiter(std::unique_lock<std::mutex> &lock, boost::asio::posix::stream_descriptor &w, int source,
                               short events)
{
    const int dup_fd = ::dup(source);
    if (dup_fd >= 0)
    {
        boost::system::error_code ec;
        w.assign(dup_fd, ec);
        if (!ec)
            return true;
        ::close(dup_fd);
    }
    // Out of descriptors (or epoll refused it): wait on this thread rather
    // than fail.
    lock.unlock();
    pollfd pfd{source, events, 0};
    ::poll(&pfd, 1, 100);
    return false;
}

void udp_transport::disarm_waiter(boost::asio::posix::stream_descriptor &w)
{
    std::lock_guard<std::mutex> lock(wait_mutex);
    w.close();  // leave the epoll set again
}

bool udp_transport::wait_release(const std::function<void()> &r)
{
    if (!trim_pending())
        return true;
    if (reap() || (ring_open && reap_ring()))
        return true;  // look again at once
    if (ring_open && pending.front().uring_target > uring_ids.released)
    {
        /* The kernel posts a release through work queued for the thread
         * that sent, which runs when that thread next leaves the kernel.
         * Mostly it is there already, waiting: one system call runs it,
         * which is much cheaper than a wait through epoll.
         */
        io_uring_get_events(&ring);
        if (reap_ring())
            return true;
    }
    std::unique_lock<std::mutex> lock(wait_mutex);
    if (cancelled)
    {
        lock.unlock();
        drain_releases();
        return true;
    }
    resume = r;
    if (pending.front().uring_target > uring_ids.released)
    {
        // The ring is readable while it holds completions.
        if (!arm_waiter(lock, ring_waiter, ring.ring_fd, POLLIN))
            return true;
        ring_waiter.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                               [this](const boost::system::error_code &ec)
                               {
                                   disarm_waiter(ring_waiter);
                                   if (ec)
                                       drain_releases();  // stopped: wait no longer than the grace
                                   else
                                       reap_ring();
                                   resume();
                               });
        return false;
    }
    if (!arm_waiter(lock, waiter, fd, POLLERR))
        return true;
    // The socket reports POLLERR while its error queue holds notifications.
    waiter.async_wait(boost::asio::posix::stream_descriptor::wait_error,
                      [this](const boost::system::error_code &ec)
                      {
                          disarm_waiter(waiter);
                          if (ec)
                              drain_releases();  // stopped: wait no longer than the grace
                          else if (!reap())
                          {
                              // POLLERR without a notification is a pending
                              // socket error (an ICMP report): reading it
                              // clears it, so the next wait does not spin.
                              int err = 0;
                              socklen_t len = sizeof(err);
                              getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
                          }
                          resume();
                      });
    return false;
}

void udp_transport::fail_message(std::size_t m, const boost::system::error_code &ec)
{
    for (std::size_t k = 0; k < msg_packets[m]; k++)
        batch->packets[msg_first_packet[m] + k].error = ec;
}

bool udp_transport::send_pending()
{
    while (next_msg < msgs.size())
    {
        // One call sends messages that all go the same way.
        const auto how = msg_how[next_msg];
        const bool zc_run = how != msg_copy;
        /* In automatic mode, until the kernel has said whether this path
         * copies, zero-copy sends go one message at a time and its answer
         * is read after each. Loopback answers at once that it copied, and
         * the rest then goes by copying: sent without copying, a burst of
         * it overflowed a receiver with a 4 MiB socket buffer (the kernel
         * charged each registered-buffer datagram far beyond its size).
         */
        const bool probe = zc_run && zc_mode == zerocopy_mode::automatic && !zc_heard;
        unsigned n_msgs = 1;
        while (!probe && next_msg + n_msgs < msgs.size() && n_msgs < max_mmsg && msg_how[next_msg + n_msgs] == how)
            n_msgs++;
        const int sent = how == msg_fixed
            ? uring_send(next_msg, n_msgs)
            : sendmmsg(fd, &msgs[next_msg], n_msgs, MSG_DONTWAIT | (zc_run ? MSG_ZEROCOPY : 0));
        if (sent > 0)
        {
            if (how == msg_zerocopy)
                zc_ids.issued += sent;
            if (zc_run)
                note_issued();
            next_msg += sent;
            retried_refused = false;
            if (probe)
            {
                if (how == msg_zerocopy)
                    reap();  // uring_send has read the ring already
                if (!zc.load(std::memory_order_relaxed) && next_msg < msgs.size())
                {
                    build_messages(msg_first_packet[next_msg]);  // the rest by copying
                    next_msg = 0;
                }
            }
            continue;
        }
        const int err = sent < 0 ? errno : EAGAIN;
        if (how == msg_fixed && (err == EINVAL || err == EOPNOTSUPP || err == EFAULT))
        {
            // A kernel before 6.15 cannot send a message of several pieces
            // from a fixed buffer (EINVAL), the memory is not what was
            // registered, or the ring failed (uring_send gave it up):
            // MSG_ZEROCOPY from now on.
            if (uring.load(std::memory_order_relaxed))
                log_info(std::string("the kernel refused a send from registered memory (") + std::strerror(err)
                         + "): using MSG_ZEROCOPY from now on");
            uring.store(false, std::memory_order_relaxed);
            build_messages(msg_first_packet[next_msg]);
            next_msg = 0;
            continue;
        }
        if (zc_run && err == ENOBUFS)
        {
            // Unread notifications use up the socket's option memory:
            // read them; if none were waiting, send this one by copying.
            if (!reap() && !(ring_open && reap_ring()))
                msg_how[next_msg] = msg_copy;
            continue;
        }
        if (zc_run && err == EMSGSIZE)
        {
            // Too many fragments: the memory is not on huge pages after
            // all. Count in small pages from now on; if even that fails,
            // copy.
            if (zc_assume_huge)
                zc_assume_huge = false;
            else
            {
                log_warning("the kernel refused a zero-copy send (EMSGSIZE): copying from now on");
                zc.store(false, std::memory_order_relaxed);
            }
            build_messages(msg_first_packet[next_msg]);
            next_msg = 0;
            continue;
        }
        if (err == EINTR)
            continue;
        if (err == ECONNREFUSED && connected && !retried_refused)
        {
            // A connected UDP socket reports an ICMP "port unreachable"
            // for an earlier datagram on the next send, which it then
            // drops. Nobody listening is not an error for a sender (an
            // unconnected socket never hears of it): send again.
            retried_refused = true;
            continue;
        }
        retried_refused = false;
        if (err == EAGAIN || err == EWOULDBLOCK)
        {
            std::unique_lock<std::mutex> lock(wait_mutex);
            if (cancelled)
            {
                for (std::size_t m = next_msg; m < msgs.size(); m++)
                    fail_message(m, boost::asio::error::operation_aborted);
                next_msg = msgs.size();
                return true;
            }
            if (!arm_waiter(lock, waiter, fd, POLLOUT))
                continue;
            waiter.async_wait(boost::asio::posix::stream_descriptor::wait_write,
                              [this](const boost::system::error_code &ec)
                              {
                                  disarm_waiter(waiter);
                                  if (ec)
                                  {
                                      for (std::size_t m = next_msg; m < msgs.size(); m++)
                                          fail_message(m, ec);
                                      next_msg = msgs.size();
                                  }
                                  if (send_pending())
                                      resume();
                              });
            return false;
        }
        if (gso && msg_packets[next_msg] > 1
            && (err == EIO || err == EINVAL || err == EOPNOTSUPP || err == ENOPROTOOPT || err == EMSGSIZE))
        {
            log_warning(std::string("the kernel refused UDP GSO (") + std::strerror(err)
                        + "); sending packets individually from now on");
            gso = false;
            build_messages(msg_first_packet[next_msg]);
            next_msg = 0;
            continue;
        }
        fail_message(next_msg, boost::system::error_code(err, boost::system::system_category()));
        next_msg++;
    }
    return true;
}

std::vector<udp::endpoint> check_endpoints(const std::vector<udp::endpoint> &endpoints, const stream_config &config,
                                           bool multicast)
{
    if (endpoints.empty())
        throw std::invalid_argument("udp_stream needs at least one endpoint");
    const bool v4 = endpoints[0].address().is_v4();
    for (const auto &ep : endpoints)
    {
        if (ep.address().is_v4() != v4)
            throw std::invalid_argument("udp_stream endpoints mix IPv4 and IPv6");
        if (multicast && !ep.address().is_multicast())
            throw std::invalid_argument("endpoint " + ep.address().to_string() + " is not a multicast address");
    }
    // spead2 accepts such a stream and fails each too-large packet with
    // EMSGSIZE when it is sent; so does lightspead (programs and spead2's
    // tests rely on that), but says so at once.
    const std::size_t limit = v4 ? max_udp_payload_ipv4 : max_udp_payload_ipv6;
    if (config.get_max_packet_size() > limit)
        log_warning("max_packet_size " + std::to_string(config.get_max_packet_size())
                    + " exceeds the largest UDP payload (" + std::to_string(limit)
                    + "): packets larger than that will fail with EMSGSIZE");
    return endpoints;
}

udp::socket make_socket(boost::asio::io_context &io, const std::vector<udp::endpoint> &endpoints,
                        std::size_t buffer_size)
{
    udp::socket socket(io, endpoints[0].protocol());
    socket.non_blocking(true);
    set_socket_buffer(socket.native_handle(), socket_buffer::send, buffer_size);
    return socket;
}

void check_ttl(int ttl)
{
    if (ttl < 0 || ttl > 255)
        throw std::invalid_argument("multicast TTL " + std::to_string(ttl) + " is outside [0, 255]");
}

std::unique_ptr<transport> make_transport(boost::asio::io_context &io, const std::vector<udp::endpoint> &endpoints,
                                          const stream_config &config, std::size_t buffer_size,
                                          const boost::asio::ip::address &interface_address)
{
    auto eps = check_endpoints(endpoints, config, false);
    auto socket = make_socket(io, eps, buffer_size);
    if (!interface_address.is_unspecified())
        socket.bind(udp::endpoint(interface_address, 0));
    return std::make_unique<udp_transport>(std::move(socket), std::move(eps), config);
}

std::unique_ptr<transport> make_multicast_transport(boost::asio::io_context &io,
                                                    const std::vector<udp::endpoint> &endpoints,
                                                    const stream_config &config, std::size_t buffer_size, int ttl,
                                                    const boost::asio::ip::address *interface_address,
                                                    const unsigned int *interface_index)
{
    check_ttl(ttl);
    auto eps = check_endpoints(endpoints, config, true);
    check_multicast_interface(eps[0].address(), interface_address, interface_index);
    auto socket = make_socket(io, eps, buffer_size);
    socket.set_option(boost::asio::ip::multicast::hops(ttl));
    set_multicast_send_interface(socket, interface_address, interface_index);
    return std::make_unique<udp_transport>(std::move(socket), std::move(eps), config);
}

std::unique_ptr<transport> make_socket_transport(boost::asio::io_context &io, udp::socket &&given,
                                                 const std::vector<udp::endpoint> &endpoints,
                                                 const stream_config &config)
{
    auto eps = check_endpoints(endpoints, config, false);
    if (!given.is_open())
        throw std::invalid_argument("udp_stream needs an open socket");
    const auto protocol = given.local_endpoint().protocol();
    if (protocol != eps[0].protocol())
        throw std::invalid_argument("udp_stream endpoints are not of the socket's address family");
    udp::socket socket(io, protocol, given.release());
    socket.non_blocking(true);
    return std::make_unique<udp_transport>(std::move(socket), std::move(eps), config);
}

}  // anonymous namespace

udp_stream::udp_stream(io_context_ref io, udp::socket &&socket, const std::vector<udp::endpoint> &endpoints,
                       const stream_config &config)
    : stream(io, config, make_socket_transport(io.get(), std::move(socket), endpoints, config))
{
}

udp_stream::udp_stream(io_context_ref io, const std::vector<udp::endpoint> &endpoints, const stream_config &config,
                       std::size_t buffer_size, const boost::asio::ip::address &interface_address)
    : stream(io, config, make_transport(io.get(), endpoints, config, buffer_size, interface_address))
{
}

udp_stream::udp_stream(io_context_ref io, const std::vector<udp::endpoint> &endpoints, const stream_config &config,
                       std::size_t buffer_size, int ttl)
    : stream(io, config, make_multicast_transport(io.get(), endpoints, config, buffer_size, ttl, nullptr, nullptr))
{
}

udp_stream::udp_stream(io_context_ref io, const std::vector<udp::endpoint> &endpoints, const stream_config &config,
                       std::size_t buffer_size, int ttl, const boost::asio::ip::address &interface_address)
    : stream(io, config,
             make_multicast_transport(io.get(), endpoints, config, buffer_size, ttl, &interface_address, nullptr))
{
}

udp_stream::udp_stream(io_context_ref io, const std::vector<udp::endpoint> &endpoints, const stream_config &config,
                       std::size_t buffer_size, int ttl, unsigned int interface_index)
    : stream(io, config,
             make_multicast_transport(io.get(), endpoints, config, buffer_size, ttl, nullptr, &interface_index))
{
}

bool udp_stream::is_gso_active() const
{
    return static_cast<const udp_transport &>(get_transport()).is_gso_active();
}

bool udp_stream::is_zerocopy_active() const
{
    return static_cast<const udp_transport &>(get_transport()).is_zerocopy_active();
}

bool udp_stream::is_registered_active() const
{
    return static_cast<const udp_transport &>(get_transport()).is_registered_active();
}

std::uint64_t udp_stream::get_registered_sends() const
{
    return static_cast<const udp_transport &>(get_transport()).registered_sends();
}

std::uint64_t udp_stream::get_zerocopy_copied() const
{
    return static_cast<const udp_transport &>(get_transport()).zerocopy_copied();
}

}  // namespace lightspead::send
