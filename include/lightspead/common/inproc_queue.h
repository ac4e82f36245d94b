/**
 * @file
 * An in-process packet queue: the send side's @c send::inproc_stream
 * pushes packets, a receiver (or a test) pops them. No network involved.
 */
#ifndef LIGHTSPEAD_COMMON_INPROC_QUEUE_H
#define LIGHTSPEAD_COMMON_INPROC_QUEUE_H

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>
#include <lightspead/common/eventfd_semaphore.h>

namespace lightspead
{

/**
 * An unbounded, thread-safe FIFO of whole packets. After @ref stop,
 * pushes are refused and pops drain what is left, then report the end.
 *
 * Besides blocking pops, the queue offers an eventfd (@ref get_fd) that
 * becomes readable whenever a packet is pushed or the queue stops, so an
 * event loop can wait for it.
 */
class inproc_queue
{
public:
    /// One packet, owned by the queue.
    using packet = std::vector<std::uint8_t>;

private:
    mutable std::mutex mutex;
    std::condition_variable data_available;
    std::deque<packet> packets;
    bool stopped = false;
    eventfd_semaphore ready;  // readable after each push and after stop

public:
    /// @throws std::system_error if no eventfd can be created.
    inproc_queue() = default;
    inproc_queue(const inproc_queue &) = delete;
    inproc_queue &operator=(const inproc_queue &) = delete;

    /**
     * An eventfd that is readable after every push and after @ref stop.
     * Read (8 bytes) to reset it, then drain with @ref try_pop; the queue
     * keeps ownership of the descriptor.
     */
    int get_fd() const noexcept { return ready.get_fd(); }

    /// Append @a p. Returns false (and drops it) if the queue is stopped.
    bool push(packet &&p);

    /// Wait for a packet; an empty optional means stopped and drained.
    std::optional<packet> pop();

    /// A packet if one is ready, otherwise an empty optional (never waits).
    std::optional<packet> try_pop();

    /// Refuse further pushes and wake every waiting @ref pop.
    void stop();

    /// Whether @ref stop has been called.
    bool is_stopped() const;

    /// Packets currently queued.
    std::size_t size() const;
};

}  // namespace lightspead

#endif  // LIGHTSPEAD_COMMON_INPROC_QUEUE_H
