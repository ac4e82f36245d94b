#include <stdexcept>
#include <unistd.h>
#include <boost/asio/buffer.hpp>
#include <boost/system/system_error.hpp>
#include <lightspead/recv/inproc_reader.h>

namespace lightspead::recv
{

namespace
{

int dup_or_throw(const std::shared_ptr<inproc_queue> &queue)
{
    if (!queue)
        throw std::invalid_argument("inproc_reader needs a queue");
    const int fd = ::dup(queue->get_fd());
    if (fd < 0)
        throw boost::system::system_error(errno, boost::system::system_category(), "dup");
    return fd;
}

}  // anonymous namespace

inproc_reader::inproc_reader(stream &owner, std::shared_ptr<inproc_queue> queue)
    : reader(owner), queue(queue), wakeup(get_strand(), dup_or_throw(queue))
{
}

void inproc_reader::start()
{
    wait();
}

void inproc_reader::wait()
{
    // Reading the eventfd resets it; the queue is drained after that, so a
    // push racing with the drain leaves the eventfd readable for next time.
    wakeup.async_read_some(boost::asio::buffer(&counter, sizeof(counter)),
                           [this](const boost::system::error_code &ec, std::size_t) { on_wakeup(ec); });
}

void inproc_reader::on_wakeup(const boost::system::error_code &ec)
{
    if (ec)
    {
        finished();  // stopped (operation_aborted) or the descriptor failed
        return;
    }
    bool end = false;
    {
        stream::batch batch(get_stream());
        while (!batch.is_stopped())
        {
            auto p = queue->try_pop();
            if (!p)
                break;
            batch.add_datagram(p->data(), p->size());
        }
        if (batch.is_stopped())
            end = true;
        else if (queue->is_stopped() && queue->size() == 0)
        {
            batch.stop_stream();
            end = true;
        }
    }
    if (end)
    {
        wakeup.close();
        finished();
    }
    else
        wait();
}

void inproc_reader::stop()
{
    wakeup.close();  // the pending read completes with operation_aborted
}

}  // namespace lightspead::recv
