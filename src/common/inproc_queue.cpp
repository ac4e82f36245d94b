#include <lightspead/common/inproc_queue.h>

namespace lightspead
{

bool inproc_queue::push(packet &&p)
{
    {
        std::lock_guard<std::mutex> lock(mutex);
        if (stopped)
            return false;
        packets.push_back(std::move(p));
    }
    data_available.notify_one();
    ready.signal();
    return true;
}

std::optional<inproc_queue::packet> inproc_queue::pop()
{
    std::unique_lock<std::mutex> lock(mutex);
    data_available.wait(lock, [this] { return stopped || !packets.empty(); });
    if (packets.empty())
        return std::nullopt;
    packet p = std::move(packets.front());
    packets.pop_front();
    return p;
}

std::optional<inproc_queue::packet> inproc_queue::try_pop()
{
    std::lock_guard<std::mutex> lock(mutex);
    if (packets.empty())
        return std::nullopt;
    packet p = std::move(packets.front());
    packets.pop_front();
    return p;
}

void inproc_queue::stop()
{
    {
        std::lock_guard<std::mutex> lock(mutex);
        stopped = true;
    }
    data_available.notify_all();
    ready.signal();
}

bool inproc_queue::is_stopped() const
{
    std::lock_guard<std::mutex> lock(mutex);
    return stopped;
}

std::size_t inproc_queue::size() const
{
    std::lock_guard<std::mutex> lock(mutex);
    return packets.size();
}

}  // namespace lightspead
