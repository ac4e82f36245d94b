/**
 * @file
 * Where received heaps get their payload memory: plain heap memory, mmap
 * (optionally huge pages, optionally pre-faulted), or a pool that recycles
 * buffers so that large heaps do not pay for page faults again and again.
 */
#ifndef LIGHTSPEAD_COMMON_MEMORY_ALLOCATOR_H
#define LIGHTSPEAD_COMMON_MEMORY_ALLOCATOR_H

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>
#include <lightspead/common/thread_pool.h>

namespace lightspead
{

/**
 * Allocates payload buffers. The default implementation uses operator
 * new[] (memory is not zeroed). Allocators are shared: every buffer keeps
 * its allocator alive.
 */
class memory_allocator : public std::enable_shared_from_this<memory_allocator>
{
public:
    /**
     * Frees a buffer, as spead2's does: by handing it back to the allocator
     * that made it (with that allocator's @c user value), or by calling a
     * function given instead (any callable taking the pointer).
     */
    class deleter
    {
    private:
        std::shared_ptr<memory_allocator> allocator;
        void *user = nullptr;
        std::function<void(std::uint8_t *)> function;
        std::size_t size = 0;
        bool from_new_array = false;  // the function is std::default_delete<std::uint8_t[]>

    public:
        deleter() = default;
        /**
         * Return buffers to @a allocator (its @c free gets @a user).
         * @a size is the usable size of the buffer, if known (0 if not).
         */
        explicit deleter(std::shared_ptr<memory_allocator> allocator, void *user = nullptr, std::size_t size = 0)
            : allocator(std::move(allocator)), user(user), size(size)
        {
        }
        /// Free buffers by calling @a f.
        template<typename F>
        requires(std::is_invocable_v<F &, std::uint8_t *> && !std::is_same_v<std::decay_t<F>, deleter>) deleter(F &&f)
            : function(std::forward<F>(f)),
              from_new_array(std::is_same_v<std::decay_t<F>, std::default_delete<std::uint8_t[]>>)
        {
        }

        /// Free @a ptr: back to the allocator, or through the function.
        void operator()(std::uint8_t *ptr) const;
        /// The allocator buffers go back to (null for a function deleter).
        const std::shared_ptr<memory_allocator> &get_allocator() const noexcept { return allocator; }
        /// The value the allocator's @c free gets with the buffer.
        void *get_user() const noexcept { return user; }
        /**
         * The usable size of the buffer in bytes, as recorded by the
         * allocator that made it (lightspead's own allocators do), or 0 if
         * unknown (a function deleter, or an allocator that did not say).
         * Chunk streams use it to keep heaps inside a chunk.
         */
        std::size_t get_size() const noexcept { return size; }
        /// Whether it frees with delete[] (a std::unique_ptr<std::uint8_t[]> became this pointer).
        bool is_from_new_array() const noexcept { return from_new_array; }
    };

    /// A buffer, freed by its deleter.
    using pointer = std::unique_ptr<std::uint8_t[], deleter>;

    virtual ~memory_allocator() = default;

    /**
     * A buffer of at least @a size bytes. @a hint is spead2's (a hint about
     * where the memory is for): lightspead passes null and its allocators
     * ignore it. Override this one.
     *
     * @throws std::bad_alloc if memory cannot be had.
     */
    virtual pointer allocate(std::size_t size, void *hint);
    /// @ref allocate with no hint.
    pointer allocate(std::size_t size) { return allocate(size, nullptr); }

protected:
    /// Make a pointer that will call @ref free with @a user; @a size is its usable size (0: unknown).
    pointer wrap(std::uint8_t *ptr, void *user, std::size_t size = 0);

    /// Release @a ptr, allocated with @a user data by this allocator.
    virtual void free(std::uint8_t *ptr, void *user);

    /// Touch every page of [ptr, ptr + size) so the kernel maps it now.
    static void prefault(std::uint8_t *ptr, std::size_t size);
};

/**
 * The usable size in bytes of the buffer @a p owns, if it can be known: as
 * the lightspead allocator that made it recorded, or, for memory from
 * new[] (spead2 programs write <code>chunk->data =
 * std::make_unique<std::uint8_t[]>(n)</code>), as the C library reports
 * for that block (at least n). 0 if unknown (a function deleter) or empty.
 */
std::size_t allocation_size(const memory_allocator::pointer &p) noexcept;

/**
 * Allocates with mmap, so memory goes back to the system on free.
 */
class mmap_allocator : public memory_allocator
{
private:
    int flags;
    bool prefer_huge;

public:
    /// A transparent huge page (x86-64, and arm64 with 4 KiB base pages):
    /// the unit @c prefer_huge aligns and rounds mappings to.
    static constexpr std::size_t huge_page_size = 2 * 1024 * 1024;

    /**
     * As spead2's: @a flags are extra @c mmap flags (@c MAP_POPULATE to
     * fault every page in at allocation, so that the network thread does
     * not take the page faults; @c MAP_LOCKED, @c MAP_HUGETLB, ...).
     *
     * @param flags        added to MAP_PRIVATE | MAP_ANONYMOUS
     * @param prefer_huge  ask for transparent huge pages (madvise); falls
     *                     back silently to normal pages. The mapping is
     *                     then 2 MiB-aligned and a multiple of 2 MiB long
     *                     (unless @c MAP_HUGETLB or @c MAP_FIXED is given),
     *                     as transparent huge pages need. With
     *                     @c MAP_POPULATE as well, the pages are faulted in
     *                     after the advice, so that they are huge ones
     */
    explicit mmap_allocator(int flags = 0, bool prefer_huge = false);

    using memory_allocator::allocate;
    pointer allocate(std::size_t size, void *hint) override;

protected:
    void free(std::uint8_t *ptr, void *user) override;
};

/**
 * Recycles buffers of sizes in [lower, upper]: every such buffer is @c upper
 * bytes and goes back on a free list when released (up to @c max_free of
 * them; beyond that it is freed). Requests outside the range go straight to
 * the underlying allocator.
 *
 * The @c initial buffers are allocated and pre-touched at construction, so
 * the first heaps do not pay for page faults. When the free list is empty
 * the pool allocates a new buffer on the spot and warns once.
 *
 * Given an io_context (a thread pool), the pool also refills itself in the
 * background: when an allocation leaves fewer than @c low_water buffers
 * free, a task on that io_context allocates and pre-touches buffers until
 * there are @c low_water again, so that the network thread rarely has to.
 * Create pools with @c std::make_shared (buffers and refill tasks keep the
 * pool alive).
 */
class memory_pool : public memory_allocator
{
private:
    const std::size_t lower, upper, max_free;
    std::size_t low_water = 0;  // refill below this many free buffers
    std::shared_ptr<memory_allocator> base;
    std::optional<io_context_ref> refill_io;
    std::mutex mutex;
    std::vector<pointer> pool;
    bool warned_empty = false;
    std::atomic<bool> warn_on_empty{true};
    bool refilling = false;

    void refill();

public:
    /**
     * @throws std::invalid_argument if lower > upper, upper is 0 or
     * initial > max_free.
     */
    memory_pool(std::size_t lower, std::size_t upper, std::size_t max_free, std::size_t initial,
                std::shared_ptr<memory_allocator> allocator = nullptr);

    /**
     * As above, refilling in the background on @a io whenever fewer than
     * @a low_water buffers are free.
     *
     * @throws std::invalid_argument also if low_water > max_free.
     */
    memory_pool(io_context_ref io, std::size_t lower, std::size_t upper, std::size_t max_free, std::size_t initial,
                std::size_t low_water, std::shared_ptr<memory_allocator> allocator = nullptr);
    ~memory_pool() override;

    using memory_allocator::allocate;
    pointer allocate(std::size_t size, void *hint) override;

    /// Buffers currently on the free list.
    std::size_t free_buffers();

    /// Whether the first allocation from an empty pool logs a warning (default true).
    void set_warn_on_empty(bool warn) noexcept { warn_on_empty = warn; }
    /// See @ref set_warn_on_empty.
    bool get_warn_on_empty() const noexcept { return warn_on_empty; }

protected:
    void free(std::uint8_t *ptr, void *user) override;
};

}  // namespace lightspead

#endif  // LIGHTSPEAD_COMMON_MEMORY_ALLOCATOR_H
