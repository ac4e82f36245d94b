/**
 * @file
 * A heap being assembled from packets.
 */
#ifndef LIGHTSPEAD_RECV_LIVE_HEAP_H
#define LIGHTSPEAD_RECV_LIVE_HEAP_H

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <unordered_set>
#include <vector>
#include <boost/container/small_vector.hpp>
#include <lightspead/common/memcpy.h>
#include <lightspead/common/memory_allocator.h>
#include <lightspead/protocol/defines.h>
#include <lightspead/protocol/packet.h>

namespace lightspead::recv
{

/// What became of a packet offered to a live heap.
enum class add_status
{
    accepted,
    out_of_order,      ///< in-order assembly and not at the next offset
    duplicate,         ///< out-of-order assembly and the bytes are already here
    length_conflict,   ///< declares another heap length (or flavour) than earlier packets
    too_large,         ///< heap would exceed max_heap_size
    too_many_pointers  ///< heap would hold more distinct item pointers than allowed
};

class chunk;

/**
 * Where a chunk stream put a heap (see chunk_stream.h): the chunk, the
 * heap's index in it and, with packet presence, where its packets' flags
 * go. Empty for heaps of ordinary streams.
 */
struct heap_placement
{
    chunk *target = nullptr;     ///< the chunk holding the heap's payload, or null
    std::int64_t chunk_id = -1;  ///< the chunk's ID (-1 when there is no chunk)
    std::size_t heap_index = 0;  ///< the heap's index within the chunk, from the place callback
    /// With packet presence: the heap's first flag (present + heap_index);
    /// each accepted packet sets the flag at payload_offset / packet_presence_size.
    std::uint8_t *packet_present = nullptr;
    std::size_t packet_presence_size = 0;  ///< payload bytes per presence flag (0: no packet presence)
    /// The chunk went to the consumer before the heap was complete (its
    /// payload is dropped from then on; counted in too_old_heaps if it completes).
    bool aged_out = false;
};

/// Limits a live heap enforces, from the stream's configuration.
struct live_heap_limits
{
    std::size_t max_heap_size;  ///< largest payload accepted (@ref stream_config::set_max_heap_size)
    bool allow_out_of_order;  ///< whether packets may arrive in any order (@ref stream_config::set_allow_out_of_order)
    /// How payload bytes are copied in.
    memcpy_function copy;
    /// Distinct item pointers one heap may collect (bounds memory per heap).
    std::size_t max_pointers = 1 << 20;
    /// How payload is copied into a heap's own buffer of at least
    /// @c large_heap_size bytes (null: with @c copy like the rest).
    memcpy_function large_copy = nullptr;
    /// See @c large_copy.
    std::size_t large_heap_size = 0;
};

/**
 * Collects the packets of one heap: payload bytes into one buffer (allocated
 * once when the heap length is known, grown geometrically up to the limit
 * when it is not), item pointers de-duplicated, received byte ranges tracked
 * when packets may come out of order.
 */
class live_heap
{
private:
    item_pointer_t cnt;
    int heap_address_bits;
    s_item_pointer_t heap_length = -1;
    item_pointer_t received = 0;     // payload bytes received
    item_pointer_t extent = 0;       // highest payload end seen
    item_pointer_t offered_end = 0;  // end of the last packet offered, accepted or not
    std::size_t packets = 0;
    memory_allocator::pointer payload;  // owned buffer (empty for placed or dropped payload)
    std::uint8_t *buffer = nullptr;     // where payload bytes go: payload, chunk memory, or null
    std::size_t capacity = 0;
    bool external = false;  // buffer is memory the heap does not own (place_payload)
    // How bytes go into the buffer (null: the limits' copy): the placer's
    // for placed payload, the limits' large_copy for a large owned buffer.
    memcpy_function buffer_copy = nullptr;
    bool drop_payload = false;  // bytes are accounted for but not kept (discard_payload)
    heap_placement placement;
    // Distinct, in arrival order. Most heaps have a handful: kept inside the
    // heap, so that starting one allocates nothing (callgrind: malloc and
    // free were a tenth of a chunk stream's per-heap instructions).
    boost::container::small_vector<item_pointer_t, 8> pointers;
    // An index of pointers, built once there are many: most heaps have a
    // handful, searched faster (and without allocating) in the vector.
    std::unique_ptr<std::unordered_set<item_pointer_t>> pointer_index;
    static constexpr std::size_t pointer_index_threshold = 32;
    bool has_pointer(item_pointer_t ptr) const;
    using range_map = std::map<item_pointer_t, item_pointer_t>;
    range_map ranges;  // start -> end (out-of-order only)
    bool stop_item = false;
    bool start_item = false;

    bool reserve(std::size_t size, memory_allocator &allocator, const live_heap_limits &limits);
    // The steps of add_packet: checks that change nothing, then the commit.
    add_status check_length(const packet_view &p, item_pointer_t end, const live_heap_limits &limits) const noexcept;
    // Sets `next` to the first range after the packet (out-of-order assembly).
    add_status check_placement(item_pointer_t offset, item_pointer_t end, const live_heap_limits &limits,
                               range_map::iterator &next);
    std::size_t count_new_pointers(const packet_view &p) const;
    void merge_range(item_pointer_t offset, item_pointer_t end, range_map::iterator next);
    void record_pointers(const packet_view &p);

public:
    /// An empty heap with counter @a cnt, in a flavour of @a heap_address_bits.
    live_heap(item_pointer_t cnt, int heap_address_bits);
    ///@{

    /// Move.
    live_heap(live_heap &&) noexcept = default;
    live_heap &operator=(live_heap &&) noexcept = default;
    ///@}

    /**
     * Offer packet @a p (already decoded and validated). Accepted bytes are
     * copied in — unless @a in_place says a reader already received them at
     * their place in this heap's buffer; a refused packet changes nothing.
     *
     * @throws std::bad_alloc if the allocator fails.
     */
    add_status add_packet(const packet_view &p, const live_heap_limits &limits, memory_allocator &allocator,
                          bool in_place = false);

    /// The payload buffer (null until the first payload byte, and for a heap
    /// whose payload is dropped), of at least the heap length when that is known.
    std::uint8_t *get_payload() const noexcept { return buffer; }
    /// Bytes the payload buffer can hold.
    std::size_t get_capacity() const noexcept { return capacity; }

    /**
     * Put the payload into memory the heap does not own: [dest, dest +
     * capacity) (a region of a chunk). Called before the first packet is
     * added; a packet that would reach beyond @a capacity is refused as
     * too large. Bytes are copied in with @a copy, or the limits' copy
     * function when it is null.
     */
    void place_payload(std::uint8_t *dest, std::size_t capacity, memcpy_function copy = nullptr) noexcept;

    /**
     * From now on, account for payload bytes (what arrived, whether the heap
     * is complete) without keeping them: for heaps a chunk stream does not
     * want, or whose chunk has already gone to the consumer. Also forgets
     * the placement's presence flags.
     */
    void discard_payload() noexcept;
    /// Whether @ref discard_payload was called.
    bool is_payload_discarded() const noexcept { return drop_payload; }

    /// Where a chunk stream placed this heap (empty otherwise).
    const heap_placement &get_placement() const noexcept { return placement; }
    /// Record where a chunk stream placed this heap.
    void set_placement(const heap_placement &p) noexcept { placement = p; }

    /// The heap counter.
    item_pointer_t get_cnt() const noexcept { return cnt; }
    /// The heap address width of the flavour the packets came in.
    int get_heap_address_bits() const noexcept { return heap_address_bits; }
    /// Heap length if a packet gave it, else -1.
    s_item_pointer_t get_heap_length() const noexcept { return heap_length; }
    /// Payload bytes received so far.
    item_pointer_t get_received_length() const noexcept { return received; }
    /// Where the last packet offered to this heap ended (accepted or not).
    item_pointer_t get_offered_end() const noexcept { return offered_end; }
    /// Packets accepted so far.
    std::size_t get_packets() const noexcept { return packets; }
    /// Every byte up to the (known) heap length is here.
    bool is_complete() const noexcept { return heap_length >= 0 && received == item_pointer_t(heap_length); }
    /// A packet of this heap carried a stream-control "stop".
    bool has_stop_item() const noexcept { return stop_item; }
    /// A packet of this heap carried a stream-control "start".
    bool has_start_item() const noexcept { return start_item; }
    /// The distinct item pointers, in the order they first arrived.
    std::span<const item_pointer_t> get_pointers() const noexcept { return {pointers.data(), pointers.size()}; }
    /// Received payload ranges as (start, end) byte offsets, end exclusive, in order (as spead2).
    std::vector<std::pair<item_pointer_t, item_pointer_t>> get_payload_ranges() const;
    /**
     * An unsized heap (no packet gave its length) whose payload so far has
     * no gaps takes its extent as its length and so becomes complete. Called
     * when such a heap is evicted or flushed: that is the only way an unsized
     * heap can end.
     */
    void close_unsized() noexcept
    {
        if (heap_length < 0 && received == extent)
            heap_length = extent;
    }
    /// Every addressed item pointer lies within the heap length (else it can never be frozen).
    bool pointers_within_length() const noexcept;
    /// Take the payload buffer (the heap is left without one).
    memory_allocator::pointer take_payload() noexcept
    {
        capacity = 0;
        buffer = nullptr;
        return std::move(payload);  // empty for placed or dropped payload
    }
};

}  // namespace lightspead::recv

#endif  // LIGHTSPEAD_RECV_LIVE_HEAP_H
