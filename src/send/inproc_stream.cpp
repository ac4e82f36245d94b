#include <stdexcept>
#include <boost/asio/error.hpp>
#include <lightspead/common/iovec.h>
#include <lightspead/send/inproc_stream.h>

namespace lightspead::send
{

namespace
{

class inproc_transport final : public transport
{
private:
    std::vector<std::shared_ptr<inproc_queue>> queues;

public:
    explicit inproc_transport(std::vector<std::shared_ptr<inproc_queue>> queues) : queues(std::move(queues)) {}

    std::size_t num_substreams() const override { return queues.size(); }

    bool transmit(packet_batch &batch, const std::function<void()> &) override
    {
        for (auto &p : batch.packets)
        {
            inproc_queue::packet data(p.size);
            gather(&batch.iov[p.iov_first], 0, p.size, data.data());
            if (!queues[p.substream]->push(std::move(data)))
                p.error = boost::asio::error::broken_pipe;
        }
        return true;
    }
};

const std::vector<std::shared_ptr<inproc_queue>> &check_queues(const std::vector<std::shared_ptr<inproc_queue>> &queues)
{
    if (queues.empty())
        throw std::invalid_argument("inproc_stream needs at least one queue");
    for (const auto &q : queues)
        if (!q)
            throw std::invalid_argument("inproc_stream queue is null");
    return queues;
}

}  // anonymous namespace

inproc_stream::inproc_stream(io_context_ref io, const std::vector<std::shared_ptr<inproc_queue>> &queues,
                             const stream_config &config)
    : stream(io, config, std::make_unique<inproc_transport>(check_queues(queues))), queues(queues)
{
}

}  // namespace lightspead::send
