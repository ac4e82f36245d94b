/**
 * @file
 * Reading packets from an in-process queue (the other end of a
 * @c send::inproc_stream).
 */
#ifndef LIGHTSPEAD_RECV_INPROC_READER_H
#define LIGHTSPEAD_RECV_INPROC_READER_H

#include <cstdint>
#include <memory>
#include <utility>  // Boost 1.74 Asio needs it in C++20
#include <boost/asio/posix/stream_descriptor.hpp>
#include <lightspead/common/inproc_queue.h>
#include <lightspead/recv/stream.h>

namespace lightspead::recv
{

/**
 * Takes packets from an @ref inproc_queue as they arrive. When the queue is
 * stopped and drained, the stream stops.
 *
 * @throws std::invalid_argument if @a queue is null;
 *         boost::system::system_error if its descriptor cannot be watched.
 */
class inproc_reader : public reader
{
private:
    std::shared_ptr<inproc_queue> queue;
    boost::asio::posix::stream_descriptor wakeup;
    std::uint64_t counter = 0;

    void wait();
    void on_wakeup(const boost::system::error_code &ec);

public:
    /// Feed @a owner the packets of @a queue until it is stopped.
    inproc_reader(stream &owner, std::shared_ptr<inproc_queue> queue);

    void start() override;
    void stop() override;
};

}  // namespace lightspead::recv

#endif  // LIGHTSPEAD_RECV_INPROC_READER_H
