/**
 * @file
 * A queue that an event loop can wait on: pushes (from any thread) make an
 * eventfd readable, and the owner drains the queue when it is. Used to hand
 * completions from the io_context to an event loop (e.g. Python's asyncio)
 * without a thread per stream and without taking the loop's locks on the
 * network thread.
 */
#ifndef LIGHTSPEAD_COMMON_POLLABLE_QUEUE_H
#define LIGHTSPEAD_COMMON_POLLABLE_QUEUE_H

#include <cerrno>
#include <cstdint>
#include <deque>
#include <iterator>
#include <mutex>
#include <system_error>
#include <vector>
#include <sys/eventfd.h>
#include <unistd.h>

namespace lightspead
{

template<typename T>
class pollable_queue
{
private:
    std::mutex mutex;
    std::deque<T> items;
    int fd;

public:
    /// @throws std::system_error if no eventfd can be created.
    pollable_queue() : fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC))
    {
        if (fd < 0)
            throw std::system_error(errno, std::generic_category(), "eventfd");
    }

    ~pollable_queue() { close(fd); }

    pollable_queue(const pollable_queue &) = delete;
    pollable_queue &operator=(const pollable_queue &) = delete;

    /// Readable whenever something was pushed since the last @ref drain.
    int get_fd() const noexcept { return fd; }

    void push(T &&value)
    {
        {
            std::lock_guard<std::mutex> lock(mutex);
            items.push_back(std::move(value));
        }
        const std::uint64_t one = 1;
        [[maybe_unused]] auto n = write(fd, &one, sizeof(one));
    }

    /// Reset the eventfd and take everything queued (reset first, so a push
    /// racing with the drain leaves the eventfd readable).
    std::vector<T> drain()
    {
        std::uint64_t counter;
        [[maybe_unused]] auto n = read(fd, &counter, sizeof(counter));
        std::lock_guard<std::mutex> lock(mutex);
        std::vector<T> out(std::make_move_iterator(items.begin()), std::make_move_iterator(items.end()));
        items.clear();
        return out;
    }
};

} // namespace lightspead

#endif // LIGHTSPEAD_COMMON_POLLABLE_QUEUE_H
