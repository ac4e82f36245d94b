#include <cerrno>
#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>
#include <boost/asio/post.hpp>
#include <lightspead/common/logging.h>
#include <lightspead/common/memory_allocator.h>

namespace lightspead
{

void memory_allocator::deleter::operator()(std::uint8_t *ptr) const
{
    if (allocator)
        allocator->free(ptr, user);
    else if (function)
        function(ptr);
}

memory_allocator::pointer memory_allocator::wrap(std::uint8_t *ptr, void *user, std::size_t size)
{
    return pointer(ptr, deleter(shared_from_this(), user, size));
}

std::size_t allocation_size(const memory_allocator::pointer &p) noexcept
{
    if (!p)
        return 0;
    const auto &d = p.get_deleter();
    if (d.get_size())
        return d.get_size();
    // new[] of a trivial type is operator new[], which is malloc: the block
    // is at least what was asked for.
    if (d.is_from_new_array())
        return malloc_usable_size(p.get());
    return 0;
}

memory_allocator::pointer memory_allocator::allocate(std::size_t size, void *)
{
    return wrap(new std::uint8_t[size], nullptr, size);
}

void memory_allocator::free(std::uint8_t *ptr, void *)
{
    delete[] ptr;
}

void memory_allocator::prefault(std::uint8_t *ptr, std::size_t size)
{
    const std::size_t page = sysconf(_SC_PAGESIZE);
    // A write, not a read: a read would map the shared zero page.
    for (std::size_t i = 0; i < size; i += page)
        reinterpret_cast<volatile std::uint8_t *>(ptr)[i] = 0;
}

mmap_allocator::mmap_allocator(int flags, bool prefer_huge) : flags(flags), prefer_huge(prefer_huge)
{
}

memory_allocator::pointer mmap_allocator::allocate(std::size_t size, void *)
{
    if (size == 0)
        size = 1;
    // Pages faulted in by mmap itself would be small ones: with huge pages
    // preferred, MAP_POPULATE is carried out after the advice instead.
    const bool populate_later = prefer_huge && (flags & MAP_POPULATE);
    const int map_flags = MAP_PRIVATE | MAP_ANONYMOUS | (populate_later ? flags & ~MAP_POPULATE : flags);
    // Transparent huge pages cover only whole, aligned 2 MiB ranges: with
    // them preferred, the mapping is rounded up to 2 MiB and aligned (a
    // 512 KiB buffer would otherwise get none). Not for MAP_HUGETLB, whose
    // pages the kernel aligns, nor MAP_FIXED.
    const bool align_huge = prefer_huge && !(flags & (MAP_HUGETLB | MAP_FIXED));
    if (align_huge && size > SIZE_MAX - 2 * huge_page_size)
        throw std::bad_alloc();  // the rounding would wrap around
    const std::size_t length = align_huge ? (size + huge_page_size - 1) / huge_page_size * huge_page_size : size;
    const std::size_t slack = align_huge ? huge_page_size : 0;
    void *ptr = mmap(nullptr, length + slack, PROT_READ | PROT_WRITE, map_flags, -1, 0);
    if (ptr == MAP_FAILED)
        throw std::bad_alloc();
    auto *bytes = static_cast<std::uint8_t *>(ptr);
    if (slack)
    {
        const auto addr = reinterpret_cast<std::uintptr_t>(bytes);
        const std::size_t head = (huge_page_size - addr % huge_page_size) % huge_page_size;
        if (head)
            munmap(bytes, head);
        if (slack - head)
            munmap(bytes + head + length, slack - head);
        bytes += head;
    }
    if (prefer_huge)
        madvise(bytes, length, MADV_HUGEPAGE);  // advice only: failure is harmless
    if (populate_later && madvise(bytes, length, MADV_POPULATE_WRITE) != 0)
    {
        if (errno == ENOMEM || errno == EFAULT || errno == EHWPOISON)
        {
            munmap(bytes, length);
            throw std::bad_alloc();
        }
        prefault(bytes, length);  // kernel before 5.14 (EINVAL): touch each page
    }
    // The mapping's length travels in the deleter's user field for munmap.
    return wrap(bytes, reinterpret_cast<void *>(length), size);
}

void mmap_allocator::free(std::uint8_t *ptr, void *user)
{
    munmap(ptr, reinterpret_cast<std::size_t>(user));
}

memory_pool::memory_pool(io_context_ref io, std::size_t lower, std::size_t upper, std::size_t max_free,
                         std::size_t initial, std::size_t low_water, std::shared_ptr<memory_allocator> allocator)
    : memory_pool(lower, upper, max_free, initial, std::move(allocator))
{
    if (low_water > max_free)
        throw std::invalid_argument("memory_pool: low_water exceeds max_free");
    this->low_water = low_water;
    refill_io.emplace(io);
}

memory_pool::memory_pool(std::size_t lower, std::size_t upper, std::size_t max_free, std::size_t initial,
                         std::shared_ptr<memory_allocator> allocator)
    : lower(lower), upper(upper), max_free(max_free),
      base(allocator ? std::move(allocator) : std::make_shared<memory_allocator>())
{
    if (lower > upper)
        throw std::invalid_argument("memory_pool: lower (" + std::to_string(lower) + ") exceeds upper ("
                                    + std::to_string(upper) + ")");
    if (upper == 0)
        throw std::invalid_argument("memory_pool: upper must be at least 1");
    if (initial > max_free)
        throw std::invalid_argument("memory_pool: initial exceeds max_free");
    pool.reserve(max_free);
    for (std::size_t i = 0; i < initial; i++)
    {
        pointer p = base->allocate(upper);
        prefault(p.get(), upper);
        pool.push_back(std::move(p));
    }
}

memory_pool::~memory_pool() = default;

namespace
{

// What a pool buffer's deleter carries: the base allocator's own deleter,
// and whether the buffer is pool-sized (only those may be recycled).
struct pool_buffer
{
    memory_allocator::deleter inner;
    bool pooled;
};

}  // anonymous namespace

memory_allocator::pointer memory_pool::allocate(std::size_t size, void *)
{
    if (size < lower || size > upper)
    {
        pointer p = base->allocate(size);
        const std::size_t actual = p.get_deleter().get_size();
        std::uint8_t *raw = p.release();
        return wrap(raw, new pool_buffer{std::move(p.get_deleter()), false}, actual);
    }
    pointer p;
    bool start_refill = false;
    {
        std::lock_guard<std::mutex> lock(mutex);
        if (!pool.empty())
        {
            p = std::move(pool.back());
            pool.pop_back();
        }
        else if (!warned_empty && warn_on_empty)
        {
            warned_empty = true;
            log_warning("memory pool is empty: allocating on the network thread "
                        "(raise max_free/initial)");
        }
        if (refill_io && pool.size() < low_water && !refilling)
            start_refill = refilling = true;
    }
    if (start_refill)
    {
        auto self = std::static_pointer_cast<memory_pool>(shared_from_this());
        boost::asio::post(refill_io->get(), [self] { self->refill(); });
    }
    if (!p)
        p = base->allocate(upper);
    std::uint8_t *raw = p.release();
    return wrap(raw, new pool_buffer{std::move(p.get_deleter()), true}, upper);
}

void memory_pool::free(std::uint8_t *ptr, void *user)
{
    auto *info = static_cast<pool_buffer *>(user);
    pointer p(ptr, std::move(info->inner));
    const bool pooled = info->pooled;
    delete info;
    // Pool-sized buffers go back on the free list while there is room;
    // anything else is released to the base allocator by p's destructor.
    if (pooled)
    {
        std::lock_guard<std::mutex> lock(mutex);
        if (pool.size() < max_free)
            pool.push_back(std::move(p));
    }
}

void memory_pool::refill()
{
    // One buffer at a time, allocated and touched outside the lock so that
    // allocate() and free() are never held up by page faults.
    for (;;)
    {
        {
            std::lock_guard<std::mutex> lock(mutex);
            if (pool.size() >= low_water)
            {
                refilling = false;
                return;
            }
        }
        pointer p;
        try
        {
            p = base->allocate(upper);
        }
        catch (std::bad_alloc &)
        {
            log_warning("memory pool could not refill: out of memory");
            std::lock_guard<std::mutex> lock(mutex);
            refilling = false;
            return;
        }
        prefault(p.get(), upper);
        std::lock_guard<std::mutex> lock(mutex);
        if (pool.size() < max_free)
            pool.push_back(std::move(p));
    }
}

std::size_t memory_pool::free_buffers()
{
    std::lock_guard<std::mutex> lock(mutex);
    return pool.size();
}

}  // namespace lightspead
