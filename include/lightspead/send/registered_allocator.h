/**
 * @file
 * Memory that UDP send streams register with the kernel once (an io_uring
 * fixed buffer), so that heaps sent from it without copying skip the
 * pinning of their pages for every packet.
 */
#ifndef LIGHTSPEAD_SEND_REGISTERED_ALLOCATOR_H
#define LIGHTSPEAD_SEND_REGISTERED_ALLOCATOR_H

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <lightspead/common/memory_allocator.h>

namespace lightspead::send
{

/**
 * One region of memory on transparent huge pages, faulted in at
 * construction, from which the application allocates the buffers its heaps
 * point at. A UDP stream given the allocator (@ref
 * stream_config::set_registered_allocator) registers the whole region with
 * the kernel as io_uring fixed buffers and keeps its packet headers in the
 * region too. A message whose headers and payload all lie in one registered
 * piece (@ref registration_unit) then goes to the kernel without copying and
 * without the page pinning that @c MSG_ZEROCOPY does for each message: for
 * small heaps that pinning is most of the cost of a send.
 *
 * The region's size is fixed: @ref allocate throws @c std::bad_alloc when
 * no free range is large enough. Besides the @a size the application asks
 * for, the region holds @ref header_space bytes for the packet headers of
 * the streams that use it (each stream takes 256 KiB for every batch it has
 * in flight, at most 9: 2.25 MiB); a stream that finds the header space
 * used up keeps its headers in memory of its own, and its heaps go with
 * plain @c MSG_ZEROCOPY. Thread-safe. Create it with @c std::make_shared.
 */
class registered_allocator : public memory_allocator
{
public:
    /// Bytes of the region kept for packet headers, beyond the size asked for.
    static constexpr std::size_t header_space = 8 * 1024 * 1024;
    /// Every buffer starts at a multiple of this (a cache line).
    static constexpr std::size_t alignment = 64;
    /**
     * The kernel registers at most 1 GiB as one fixed buffer: the region is
     * registered in pieces of this size (from its start), and a message
     * goes from a registered buffer only if it lies within one piece.
     */
    static constexpr std::size_t registration_unit = std::size_t(1) << 30;

    /**
     * Map and fault in a region of @a size bytes for the application plus
     * @ref header_space, rounded up to whole huge pages.
     *
     * @throws std::invalid_argument if @a size is 0.
     * @throws std::bad_alloc if the memory cannot be had.
     */
    explicit registered_allocator(std::size_t size);

    using memory_allocator::allocate;
    /**
     * A buffer of @a size bytes (at least 1) from the application's part,
     * aligned to @ref alignment; freed back to the region when released.
     *
     * @throws std::bad_alloc if no free range is large enough.
     */
    pointer allocate(std::size_t size, void *hint) override;

    /**
     * For send streams: @a size bytes of the header space, or a null
     * pointer if too little of it is free.
     */
    pointer allocate_headers(std::size_t size);

    /// Bytes of the application's part (the @a size given, rounded up to @ref alignment).
    std::size_t get_size() const noexcept { return data_size; }
    /// Bytes of the application's part not allocated now.
    std::size_t get_free() const;
    /// Start of the whole region (application's part first, then the header space).
    const std::uint8_t *get_region() const noexcept { return region.get(); }
    /// Bytes of the whole region, as registered with the kernel.
    std::size_t get_region_size() const noexcept { return region_size; }
    /// Whether [ptr, ptr + length) lies within the region.
    bool contains(const void *ptr, std::size_t length) const noexcept;

protected:
    void free(std::uint8_t *ptr, void *user) override;

private:
    /// Free ranges of one part: offset to length, coalesced.
    class range_list
    {
        std::map<std::size_t, std::size_t> ranges;
        std::size_t free_bytes = 0;

    public:
        void add(std::size_t offset, std::size_t length);
        /// Offset of a free range of @a length taken by first fit, or SIZE_MAX.
        std::size_t take(std::size_t length);
        std::size_t get_free() const noexcept { return free_bytes; }
    };

    memory_allocator::pointer region;
    std::size_t data_size;
    std::size_t region_size;
    mutable std::mutex mutex;
    range_list data_free;
    range_list header_free;
};

}  // namespace lightspead::send

#endif  // LIGHTSPEAD_SEND_REGISTERED_ALLOCATOR_H
