#include <cerrno>
#include <cstdint>
#include <system_error>
#include <sys/eventfd.h>
#include <unistd.h>
#include <lightspead/common/eventfd_semaphore.h>

namespace lightspead
{

eventfd_semaphore::eventfd_semaphore() : fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC))
{
    if (fd < 0)
        throw std::system_error(errno, std::generic_category(), "eventfd");
}

eventfd_semaphore::~eventfd_semaphore()
{
    close(fd);
}

void eventfd_semaphore::signal() noexcept
{
    const std::uint64_t one = 1;
    // Fails only if the counter would overflow: it is readable then anyway.
    [[maybe_unused]] auto n = write(fd, &one, sizeof(one));
}

bool eventfd_semaphore::reset() noexcept
{
    std::uint64_t counter;
    // Reading zeroes the counter; EAGAIN means it was zero already.
    return read(fd, &counter, sizeof(counter)) == sizeof(counter);
}

}  // namespace lightspead
