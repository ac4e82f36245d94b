#include <cstdint>
#include <iterator>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <sys/mman.h>
#include <lightspead/send/registered_allocator.h>

namespace lightspead::send
{

namespace
{

std::size_t round_up(std::size_t n, std::size_t unit)
{
    return (n + unit - 1) / unit * unit;
}

// std::bad_alloc that says what did not fit (Python shows it as MemoryError)
class region_full : public std::bad_alloc
{
private:
    std::string message;

public:
    region_full(std::size_t size, std::size_t free, std::size_t total)
        : message("registered_allocator has no free range of " + std::to_string(size) + " bytes ("
                  + std::to_string(free) + " of " + std::to_string(total) + " bytes free)")
    {
    }

    const char *what() const noexcept override { return message.c_str(); }
};

}  // anonymous namespace

void registered_allocator::range_list::add(std::size_t offset, std::size_t length)
{
    free_bytes += length;
    auto next = ranges.lower_bound(offset);
    // Join the free range just after, then the one just before.
    if (next != ranges.end() && offset + length == next->first)
    {
        length += next->second;
        next = ranges.erase(next);
    }
    if (next != ranges.begin())
    {
        auto prev = std::prev(next);
        if (prev->first + prev->second == offset)
        {
            prev->second += length;
            return;
        }
    }
    ranges.emplace_hint(next, offset, length);
}

std::size_t registered_allocator::range_list::take(std::size_t length)
{
    for (auto it = ranges.begin(); it != ranges.end(); ++it)
        if (it->second >= length)
        {
            const std::size_t offset = it->first;
            const std::size_t rest = it->second - length;
            ranges.erase(it);
            if (rest)
                ranges.emplace(offset + length, rest);
            free_bytes -= length;
            return offset;
        }
    return SIZE_MAX;
}

registered_allocator::registered_allocator(std::size_t size)
{
    if (size == 0)
        throw std::invalid_argument("registered_allocator needs a size of at least 1 byte");
    if (size > SIZE_MAX / 2)
        throw std::bad_alloc();
    data_size = round_up(size, alignment);
    region_size = round_up(data_size + header_space, mmap_allocator::huge_page_size);
    // Huge pages, faulted in now: the kernel pins them when a stream
    // registers the region, and the network thread never faults.
    region = std::make_shared<mmap_allocator>(MAP_POPULATE, true)->allocate(region_size);
    data_free.add(0, data_size);
    header_free.add(data_size, region_size - data_size);
}

memory_allocator::pointer registered_allocator::allocate(std::size_t size, void *)
{
    const std::size_t length = size <= data_size ? round_up(size == 0 ? 1 : size, alignment) : 0;
    std::size_t offset = SIZE_MAX;
    std::size_t free_bytes;
    {
        std::lock_guard<std::mutex> lock(mutex);
        if (length)
            offset = data_free.take(length);
        free_bytes = data_free.get_free();
    }
    if (offset == SIZE_MAX)
        throw region_full(size, free_bytes, data_size);
    return wrap(region.get() + offset, reinterpret_cast<void *>(length), length);
}

memory_allocator::pointer registered_allocator::allocate_headers(std::size_t size)
{
    const std::size_t length = round_up(size == 0 ? 1 : size, alignment);
    std::size_t offset;
    {
        std::lock_guard<std::mutex> lock(mutex);
        offset = length <= region_size ? header_free.take(length) : SIZE_MAX;
    }
    if (offset == SIZE_MAX)
        return pointer();
    return wrap(region.get() + offset, reinterpret_cast<void *>(length), length);
}

std::size_t registered_allocator::get_free() const
{
    std::lock_guard<std::mutex> lock(mutex);
    return data_free.get_free();
}

bool registered_allocator::contains(const void *ptr, std::size_t length) const noexcept
{
    const auto start = reinterpret_cast<std::uintptr_t>(region.get());
    const auto p = reinterpret_cast<std::uintptr_t>(ptr);
    return p >= start && length <= region_size && p - start <= region_size - length;
}

void registered_allocator::free(std::uint8_t *ptr, void *user)
{
    const std::size_t offset = ptr - region.get();
    const auto length = reinterpret_cast<std::size_t>(user);
    std::lock_guard<std::mutex> lock(mutex);
    (offset < data_size ? data_free : header_free).add(offset, length);
}

}  // namespace lightspead::send
