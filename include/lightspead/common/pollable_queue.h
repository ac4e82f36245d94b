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

#include <deque>
#include <iterator>
#include <mutex>
#include <vector>
#include <lightspead/common/eventfd_semaphore.h>

namespace lightspead
{

/// A queue of @a T that pushes from any thread and an event loop drains when its fd is readable.
template<typename T>
class pollable_queue
{
private:
    std::mutex mutex;
    std::deque<T> items;
    eventfd_semaphore ready;

public:
    /// @throws std::system_error if no eventfd can be created.
    pollable_queue() = default;

    pollable_queue(const pollable_queue &) = delete;
    pollable_queue &operator=(const pollable_queue &) = delete;

    /// Readable whenever something was pushed since the last @ref drain.
    int get_fd() const noexcept { return ready.get_fd(); }

    /// Append @a value (any thread) and make the fd readable.
    void push(T &&value)
    {
        {
            std::lock_guard<std::mutex> lock(mutex);
            items.push_back(std::move(value));
        }
        ready.signal();
    }

    /// Reset the eventfd and take everything queued (reset first, so a push
    /// racing with the drain leaves the eventfd readable).
    std::vector<T> drain()
    {
        ready.reset();
        std::lock_guard<std::mutex> lock(mutex);
        std::vector<T> out(std::make_move_iterator(items.begin()), std::make_move_iterator(items.end()));
        items.clear();
        return out;
    }
};

}  // namespace lightspead

#endif  // LIGHTSPEAD_COMMON_POLLABLE_QUEUE_H
