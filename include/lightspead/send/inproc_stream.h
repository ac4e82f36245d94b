/**
 * @file
 * Sending into in-process queues, for tests and for pipelines that stay
 * inside one process.
 */
#ifndef LIGHTSPEAD_SEND_INPROC_STREAM_H
#define LIGHTSPEAD_SEND_INPROC_STREAM_H

#include <memory>
#include <vector>
#include <lightspead/common/inproc_queue.h>
#include <lightspead/send/stream.h>

namespace lightspead::send
{

/**
 * A stream whose packets are copied into @ref inproc_queue objects
 * (substream i goes to queues[i]). A packet pushed into a stopped queue
 * fails its heap with @c boost::asio::error::broken_pipe.
 *
 * @throws std::invalid_argument if @a queues is empty or holds a null pointer.
 */
class inproc_stream : public stream
{
private:
    std::vector<std::shared_ptr<inproc_queue>> queues;

public:
    /// Send on @a io's threads into @a queues (one per substream).
    inproc_stream(io_context_ref io, const std::vector<std::shared_ptr<inproc_queue>> &queues,
                  const stream_config &config = stream_config());

    /// The queues, in substream order.
    const std::vector<std::shared_ptr<inproc_queue>> &get_queues() const noexcept { return queues; }
};

}  // namespace lightspead::send

#endif  // LIGHTSPEAD_SEND_INPROC_STREAM_H
