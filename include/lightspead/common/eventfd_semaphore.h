/**
 * @file
 * The one wrapper around Linux's eventfd in the library: a descriptor an
 * event loop can poll, made readable from any thread. Every pollable object
 * (ring streams, in-process queues, completion queues) uses it.
 */
#ifndef LIGHTSPEAD_COMMON_EVENTFD_SEMAPHORE_H
#define LIGHTSPEAD_COMMON_EVENTFD_SEMAPHORE_H

namespace lightspead
{

/**
 * A non-blocking, close-on-exec eventfd used as a binary semaphore: @ref
 * signal makes it readable (any number of signals collapse into one), @ref
 * reset makes it unreadable again. The owner keeps the descriptor; pollers
 * only watch it.
 *
 * Both calls are safe from any thread and never block. The usual consumer
 * loop is: reset, then take everything that is ready; a producer that
 * queues an item and then signals can then never be missed, because its
 * signal comes after the reset or its item is seen by the take.
 */
class eventfd_semaphore
{
private:
    int fd;

public:
    /// @throws std::system_error if the kernel refuses an eventfd (e.g. out of descriptors).
    eventfd_semaphore();
    ~eventfd_semaphore();

    eventfd_semaphore(const eventfd_semaphore &) = delete;
    eventfd_semaphore &operator=(const eventfd_semaphore &) = delete;

    /// Make the descriptor readable.
    void signal() noexcept;

    /// Make it unreadable again; returns whether it was signalled.
    bool reset() noexcept;

    /// The descriptor, for poll/epoll/asyncio (owned by this object).
    int get_fd() const noexcept { return fd; }
};

}  // namespace lightspead

#endif  // LIGHTSPEAD_COMMON_EVENTFD_SEMAPHORE_H
