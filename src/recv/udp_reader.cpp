#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <boost/system/system_error.hpp>
#include <lightspead/common/iovec.h>
#include <lightspead/common/logging.h>
#include <lightspead/common/socket_options.h>
#include <lightspead/common/udp_offload.h>
#include <lightspead/recv/udp_reader.h>

namespace lightspead::recv
{

namespace
{

using boost::asio::ip::udp;

constexpr std::size_t batch_messages = 64;        // datagrams per recvmmsg
constexpr std::size_t max_calls_per_wakeup = 16;  // then let other work run
constexpr std::size_t gro_slot_size = max_gro_message;
constexpr std::size_t control_size = CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(std::uint32_t));
// Direct placement predicts packets with just the four specials (what every
// packet but a heap's first carries), at most this many per message.
constexpr std::size_t placed_header_size = packet_prefix_size;
constexpr std::size_t max_placed_per_message = 16;
constexpr std::size_t placement_backoff_calls = 8;

}  // anonymous namespace

udp_reader::udp_reader(stream &owner, const udp::endpoint &endpoint, std::size_t max_size, std::size_t buffer_size)
    : reader(owner), socket(get_strand()), max_size(max_size)
{
    setup(endpoint, buffer_size, nullptr, nullptr);
}

udp_reader::udp_reader(stream &owner, const udp::endpoint &endpoint, std::size_t max_size, std::size_t buffer_size,
                       const boost::asio::ip::address &interface_address)
    : reader(owner), socket(get_strand()), max_size(max_size)
{
    setup(endpoint, buffer_size, &interface_address, nullptr);
}

udp_reader::udp_reader(stream &owner, const udp::endpoint &endpoint, std::size_t max_size, std::size_t buffer_size,
                       unsigned int interface_index)
    : reader(owner), socket(get_strand()), max_size(max_size)
{
    setup(endpoint, buffer_size, nullptr, &interface_index);
}

udp_reader::udp_reader(stream &owner, udp::socket &&given, std::size_t max_size)
    : reader(owner), socket(get_strand()), max_size(max_size)
{
    if (!given.is_open())
        throw std::invalid_argument("udp_reader needs an open socket");
    const auto protocol = given.local_endpoint().protocol();
    socket.assign(protocol, given.release());
    prepare_socket();
}

void udp_reader::setup(const udp::endpoint &endpoint, std::size_t buffer_size,
                       const boost::asio::ip::address *interface_address, const unsigned int *interface_index)
{
    const auto &address = endpoint.address();
    check_multicast_interface(address, interface_address, interface_index);

    socket.open(endpoint.protocol());
    socket.set_option(udp::socket::reuse_address(address.is_multicast()));
    set_socket_buffer(socket.native_handle(), socket_buffer::receive, buffer_size);
    socket.bind(endpoint);
    if (address.is_multicast())
        join_multicast_group(socket, address, interface_address, interface_index);
    prepare_socket();
}

void udp_reader::prepare_socket()
{
    if (max_size < packet_header_size || max_size > 65535)
        throw std::invalid_argument("udp_reader max_size " + std::to_string(max_size) + " is outside [8, 65535]");
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
    // Per message: a header and a payload piece per predicted packet, and
    // the slot for whatever does not match the prediction.
    iovs.resize(batch_messages * (2 * max_placed_per_message + 1));
    iov_first.resize(batch_messages);
    predictions.resize(batch_messages);
    scratch.resize(batch_messages * max_placed_per_message * placed_header_size);
    // A message is one UDP datagram or GRO super-packet: at most 64 KiB.
    // Zeroed so that every page is touched now: otherwise the pages fault
    // in (about 10 us each on a VM) in the middle of a burst, the first
    // time a call gathers that much, and RSS creeps up for hours.
    bounce.reset(new std::uint8_t[batch_messages * max_gro_message]());
    controls.resize(control_size * batch_messages);
}

void udp_reader::start()
{
    wait();
}

void udp_reader::stop()
{
    boost::system::error_code ignored;
    socket.close(ignored);  // the pending wait completes with operation_aborted
}

void udp_reader::wait()
{
    socket.async_wait(udp::socket::wait_read, [this](const boost::system::error_code &ec) { on_readable(ec); });
}

std::size_t udp_reader::prepare(const placement_hint &hint)
{
    /* Direct placement: if the stream is assembling a heap in order, the
     * next datagrams most likely continue it, each a 40-byte header and a
     * payload of the usual size. Point the scatter list there: headers to
     * scratch, payloads straight into the heap (only into its not yet
     * received part), and the message's slot after them for anything else.
     * collect() then checks every packet against the prediction.
     */
    const bool place = hint.valid && learned_payload > 0 && placement_backoff == 0;
    const std::size_t per_message = !place
        ? 0
        : std::min(max_placed_per_message,
                   std::max<std::size_t>(1, (gro ? gro_slot_size : max_size) / (placed_header_size + learned_payload)));
    item_pointer_t offset = hint.next_offset;
    std::size_t placed = 0;
    std::size_t next_iov = 0;
    for (std::size_t i = 0; i < batch_messages; i++)
    {
        iov_first[i] = next_iov;
        auto &pred = predictions[i];
        pred.clear();
        std::size_t start = 0;
        for (std::size_t k = 0; k < per_message && offset < hint.heap_length; k++)
        {
            const std::size_t length = std::min<item_pointer_t>(learned_payload, hint.heap_length - offset);
            std::uint8_t *header = scratch.data() + (i * max_placed_per_message + k) * placed_header_size;
            pred.push_back({start, offset, length, header});
            iovs[next_iov++] = {header, placed_header_size};
            iovs[next_iov++] = {hint.payload + offset, length};
            start += placed_header_size + length;
            offset += length;
            placed++;
        }
        iovs[next_iov++] = {buffer.data() + i * slot_size, slot_size};
        std::memset(&msgs[i], 0, sizeof(msgs[i]));
        msgs[i].msg_hdr.msg_iov = &iovs[iov_first[i]];
        msgs[i].msg_hdr.msg_iovlen = next_iov - iov_first[i];
        msgs[i].msg_hdr.msg_control = controls.data() + i * control_size;
        msgs[i].msg_hdr.msg_controllen = control_size;
    }
    return placed;
}

void udp_reader::collect(std::size_t n_msgs, const placement_hint &hint, stream::batch &batch)
{
    /* First pass: classify every datagram, and copy out those that did not
     * match their prediction before anything writes into the heap (their
     * bytes may sit in the heap's unreceived region, which later packets
     * legitimately fill). Second pass: hand them over in order.
     */
    packets.clear();
    bounce_used = 0;
    std::size_t hits = 0;
    for (std::size_t i = 0; i < n_msgs; i++)
    {
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
            packets.push_back({false, {}, 0, 0, true});
            continue;
        }
        if (length == 0)
        {
            packets.push_back({false, {}, 0, 0, false});  // an empty datagram: malformed
            continue;
        }
        const auto &pred = predictions[i];
        const iovec *iov = &iovs[iov_first[i]];
        const std::size_t step = segment > 0 ? std::size_t(segment) : length;
        std::size_t k = 0;
        for (std::size_t start = 0; start < length; start += step)
        {
            const std::size_t size = std::min(step, length - start);
            while (k < pred.size() && pred[k].start < start)
                k++;
            if (k < pred.size() && pred[k].start == start && size == placed_header_size + pred[k].length)
            {
                const auto r = decode_packet(pred[k].header, placed_header_size, hint.payload + pred[k].offset,
                                             pred[k].length);
                if (r && item_pointer_t(r.packet.heap_cnt) == hint.cnt
                    && item_pointer_t(r.packet.payload_offset) == pred[k].offset
                    && r.packet.heap_length == s_item_pointer_t(hint.heap_length)
                    && r.packet.heap_address_bits == hint.heap_address_bits)
                {
                    packets.push_back({true, r.packet, 0, size, false});
                    hits++;
                    continue;
                }
            }
            const std::size_t at = bounce_used;
            bounce_used += size;
            gather(iov, start, size, bounce.get() + at);
            packets.push_back({false, {}, at, size, size > max_size});
        }
    }
    if (hints_used && hits == 0)
    {
        // Predictions failed: pause, and learn the packet size afresh.
        placement_backoff = placement_backoff_calls;
        learned_payload = 0;
    }
    for (const auto &p : packets)
    {
        if (p.placed)
            batch.add_placed_packet(p.view);
        else if (p.truncated)
            batch.discard(stat_packets_truncated);
        else if (p.size == 0)
            batch.discard(stat_packets_malformed);
        else
        {
            const std::uint8_t *data = bounce.get() + p.bounce_offset;
            // Learn the usual payload size from full-size packets with just
            // the four specials: those are the ones placement predicts.
            const auto r = decode_packet(data, p.size);
            if (r && r.packet.n_items == 4 && r.packet.payload_length > 0)
                learned_payload = std::max<std::size_t>(learned_payload, r.packet.payload_length);
            batch.add_datagram(data, p.size);
        }
    }
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
            // The batch holds the stream's lock, so the hinted heap cannot be
            // evicted or freed while the kernel writes into it.
            const placement_hint hint = batch.get_placement_hint();
            hints_used = prepare(hint) > 0;
            if (placement_backoff > 0)
                placement_backoff--;
            const int n = recvmmsg(socket.native_handle(), msgs.data(), batch_messages, MSG_DONTWAIT, nullptr);
            if (n <= 0)
            {
                if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                    log_warning(std::string("UDP receive failed: ") + std::strerror(errno));
                break;
            }
            collect(n, hint, batch);
            if (std::size_t(n) < batch_messages)
                break;  // the socket is drained
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

}  // namespace lightspead::recv
