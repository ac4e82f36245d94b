/**
 * @file
 * Received heaps: complete ones (@c heap) and the summary of ones that
 * could not be completed (@c incomplete_heap).
 */
#ifndef LIGHTSPEAD_RECV_HEAP_H
#define LIGHTSPEAD_RECV_HEAP_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>
#include <lightspead/common/memory_allocator.h>
#include <lightspead/protocol/defines.h>
#include <lightspead/protocol/descriptor.h>
#include <lightspead/protocol/flavour.h>
#include <lightspead/recv/live_heap.h>

namespace lightspead::recv
{

/**
 * One item of a received heap. For an addressed item @c ptr and @c length
 * give its bytes in the heap's payload. For an immediate, @c immediate_value
 * holds the value and @c ptr / @c length its A/8 big-endian bytes.
 * Pointers stay valid as long as the heap object lives.
 */
struct item
{
    s_item_pointer_t id = 0;             ///< the item's ID
    const std::uint8_t *ptr = nullptr;   ///< its bytes (in the heap's payload, or the immediate's bytes)
    std::size_t length = 0;              ///< how many bytes
    item_pointer_t immediate_value = 0;  ///< the value of an immediate item (0 otherwise)
    bool is_immediate = false;           ///< whether the value was carried in the item pointer
};

/**
 * A complete heap: every payload byte arrived and every item pointer
 * resolved. Owns its payload; movable, not copyable.
 */
class heap
{
private:
    item_pointer_t cnt;
    flavour flavour_;
    memory_allocator::pointer payload;
    std::size_t payload_size;
    std::vector<item_pointer_t> immediates;  // big-endian words for immediate items
    std::vector<item> items;

public:
    /**
     * Freeze @a h, which must be complete (@ref live_heap::is_complete).
     *
     * @throws std::invalid_argument if it is not, or if an item pointer lies
     * beyond the heap length (such a heap can never be complete).
     */
    heap(live_heap &&h, bug_compat_mask bug_compat);

    ///@{

    /// Move (the payload and the item pointers into it move along).
    heap(heap &&) noexcept;
    heap &operator=(heap &&) noexcept;
    ///@}
    heap(const heap &) = delete;
    heap &operator=(const heap &) = delete;

    /// The heap counter.
    s_item_pointer_t get_cnt() const noexcept { return cnt; }
    /// Flavour of the packets (their heap address bits) and the stream's bug_compat.
    const flavour &get_flavour() const noexcept { return flavour_; }
    /// Items in the order their pointers arrived; specials, nulls and empty items left out.
    const std::vector<item> &get_items() const noexcept { return items; }
    /// The whole payload.
    const std::uint8_t *get_payload() const noexcept { return payload.get(); }
    /// The payload's length in bytes.
    std::size_t get_payload_size() const noexcept { return payload_size; }

    /**
     * Decode the descriptor items (0x05). A descriptor that does not decode
     * is left out, with its reason appended to @a errors if given.
     */
    std::vector<descriptor> get_descriptors(std::vector<std::string> *errors = nullptr) const;

    /// The heap carries the stream-control "start" item.
    bool is_start_of_stream() const;
    /// The heap carries the stream-control "stop" item.
    bool is_end_of_stream() const;
};

/**
 * What is known of a heap that was evicted or flushed before completing: its
 * immediate items, lengths and which payload ranges arrived. The payload
 * itself is released.
 */
class incomplete_heap
{
private:
    item_pointer_t cnt;
    flavour flavour_;
    s_item_pointer_t heap_length;
    item_pointer_t received_length;
    std::vector<std::pair<item_pointer_t, item_pointer_t>> ranges;
    std::vector<item_pointer_t> immediates;
    std::vector<item> items;

public:
    /// Freeze @a h; its payload ranges are kept only if @a keep_payload_ranges.
    incomplete_heap(live_heap &&h, bug_compat_mask bug_compat, bool keep_payload_ranges = false);
    ///@{

    /// Move.
    incomplete_heap(incomplete_heap &&) noexcept;
    incomplete_heap &operator=(incomplete_heap &&) noexcept;
    ///@}

    /// The heap counter.
    s_item_pointer_t get_cnt() const noexcept { return cnt; }
    /// Flavour of the packets and the stream's bug_compat.
    const flavour &get_flavour() const noexcept { return flavour_; }
    /// Declared heap length, or -1 if no packet gave it.
    s_item_pointer_t get_heap_length() const noexcept { return heap_length; }
    /// Payload bytes that arrived.
    item_pointer_t get_received_length() const noexcept { return received_length; }
    /// Arrived payload as (offset, end) ranges, in order; empty unless kept
    /// (ring_stream_config::set_incomplete_keep_payload_ranges).
    const std::vector<std::pair<item_pointer_t, item_pointer_t>> &get_payload_ranges() const noexcept { return ranges; }
    /// The immediate items that arrived (addressed items are not available).
    const std::vector<item> &get_items() const noexcept { return items; }
    /// An immediate stream-control "start" item arrived.
    bool is_start_of_stream() const;
    /// An immediate stream-control "stop" item arrived.
    bool is_end_of_stream() const;
};

}  // namespace lightspead::recv

#endif  // LIGHTSPEAD_RECV_HEAP_H
