/**
 * @file
 * The interface between a send stream and the medium that carries its
 * packets (UDP socket, in-process queue, streambuf). Applications only
 * need it to write a transport of their own.
 */
#ifndef LIGHTSPEAD_SEND_TRANSPORT_H
#define LIGHTSPEAD_SEND_TRANSPORT_H

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>
#include <sys/uio.h>
#include <boost/system/error_code.hpp>

namespace lightspead::send
{

/**
 * Packets ready to go out, described as pieces of memory (scatter/gather).
 * Packet i consists of iov[packets[i].iov_first, + iov_count).
 */
struct packet_batch
{
    /// One packet of the batch.
    struct packet
    {
        std::size_t iov_first = 0;  ///< its first piece in @c iov
        std::size_t iov_count = 0;  ///< how many pieces
        std::size_t size = 0;       ///< bytes in the packet
        std::size_t substream = 0;  ///< destination index
        std::size_t heap = 0;       ///< queue position of the heap it belongs to
        /**
         * Whether the transport may hand the packet's memory to the kernel
         * without copying it (the stream then keeps the memory untouched
         * until @ref transport::is_released says so).
         */
        bool zerocopy = false;
        boost::system::error_code error;  ///< set by the transport if it failed
    };

    std::vector<iovec> iov;       ///< the pieces of memory, packet after packet
    std::vector<packet> packets;  ///< the packets
    std::size_t bytes = 0;        ///< sum of packet sizes
    /**
     * Set by the transport: 0 if it is done with the batch's memory once
     * @ref transport::transmit has finished; otherwise a ticket for
     * @ref transport::is_released, because the kernel still reads the
     * memory of packets sent without copying.
     */
    std::uint64_t release_ticket = 0;

    /// Empty the batch (keeping its memory).
    void clear() noexcept
    {
        iov.clear();
        packets.clear();
        bytes = 0;
        release_ticket = 0;
    }
};

/**
 * Carries packets. Called only from the stream's io_context, one batch at
 * a time.
 */
class transport
{
public:
    virtual ~transport() = default;

    /// Number of destinations (substreams) heaps can be sent to.
    virtual std::size_t num_substreams() const = 0;

    /**
     * Send every packet of @a batch, recording a failure in the packet's
     * @c error. Return true when finished; or return false after starting
     * asynchronous work, and call @a resume on the stream's io_context once
     * finished. The memory @a batch points to stays valid until then.
     */
    virtual bool transmit(packet_batch &batch, const std::function<void()> &resume) = 0;

    /**
     * Called by the stream, from any thread, when it stops: a wait that
     * @ref transmit started must end promptly (failing the packets not yet
     * sent with @c operation_aborted and calling @c resume as usual), and
     * later calls must not start new waits. Transports that never wait
     * need not override it.
     */
    virtual void cancel() {}

    /**
     * Whether the memory of the batch that got @a ticket (and of every
     * batch before it) is free again: the kernel no longer reads it.
     * Checks without waiting. Only transports that send without copying
     * hand out tickets and need override it.
     */
    virtual bool is_released(std::uint64_t ticket)
    {
        (void)ticket;
        return true;
    }

    /**
     * Wait until more memory may have been released (see @ref is_released),
     * then call @a resume on the stream's io_context; or return true at
     * once, without calling @a resume, if nothing needs waiting for. The
     * wait ends in bounded time even after @ref cancel, for the stream
     * completes no heap whose memory the kernel may still read.
     */
    virtual bool wait_release(const std::function<void()> &resume)
    {
        (void)resume;
        return true;
    }
};

}  // namespace lightspead::send

#endif  // LIGHTSPEAD_SEND_TRANSPORT_H
