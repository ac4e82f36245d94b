/**
 * @file
 * A heap to send: a list of items that reference the caller's memory.
 */
#ifndef LIGHTSPEAD_SEND_HEAP_H
#define LIGHTSPEAD_SEND_HEAP_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>
#include <lightspead/protocol/defines.h>
#include <lightspead/protocol/descriptor.h>
#include <lightspead/protocol/flavour.h>

namespace lightspead::send
{

/**
 * One item of a heap to send, laid out as spead2's: either an inline
 * immediate value (@c is_inline, in @c data.immediate) or a reference to
 * @c data.buffer.length bytes at @c data.buffer.ptr, which may travel as an
 * immediate when @c allow_immediate is set and it fits in A/8 bytes.
 */
struct item
{
    s_item_pointer_t id = 0;       ///< the item's ID
    bool is_inline = false;        ///< @c data.immediate holds the value
    bool allow_immediate = false;  ///< a short buffer may travel in the pointer itself
    union
    {
        struct
        {
            const std::uint8_t *ptr;  ///< the value's bytes (not owned)
            std::size_t length;       ///< how many
        } buffer;                     ///< when not @c is_inline
        item_pointer_t immediate;     ///< when @c is_inline (below 2^A)
    } data{};                         ///< the value: @c immediate or @c buffer, as @c is_inline says

    /// True if this item travels in its item pointer for a flavour with @a immediate_bytes = A/8.
    bool travels_immediate(std::size_t immediate_bytes) const noexcept
    {
        return is_inline || (allow_immediate && data.buffer.length <= immediate_bytes);
    }

    /// Bytes of payload it takes for a flavour with @a immediate_bytes = A/8.
    std::size_t payload_length(std::size_t immediate_bytes) const noexcept
    {
        return travels_immediate(immediate_bytes) ? 0 : data.buffer.length;
    }
};

/**
 * A heap being prepared for sending.
 *
 * Items reference memory owned by the caller (zero copy), except
 * descriptors and strings passed by value, which the heap copies. The
 * referenced memory must stay valid and unmodified from
 * @ref stream::async_send_heap until its completion handler runs, and the
 * heap object itself must live that long too.
 *
 * Item IDs must lie in [5, 2^(63-A)): IDs 0-4 carry the packet structure and
 * are written by the packet generator itself.
 *
 * Movable, not copyable (copies would alias the owned descriptor storage).
 */
class heap
{
private:
    flavour flavour_;
    std::vector<item> items;
    std::vector<std::vector<std::uint8_t>> storage;      // bytes this heap owns (descriptors, strings)
    std::vector<std::unique_ptr<std::uint8_t[]>> owned;  // given by add_pointer
    bool repeat_pointers = false;

    void check_id(s_item_pointer_t id) const;

public:
    /// Identifies an item of this heap (what @ref add_item returns), for @ref get_item.
    using item_handle = std::size_t;

    /// An empty heap in flavour @a f.
    explicit heap(const flavour &f = flavour());
    ///@{

    /// Move (only while the heap is not being sent).
    heap(heap &&) noexcept = default;
    heap &operator=(heap &&) noexcept = default;
    ///@}
    heap(const heap &) = delete;
    heap &operator=(const heap &) = delete;

    /// The heap's flavour.
    const flavour &get_flavour() const noexcept { return flavour_; }

    /**
     * Add an item whose value is @a immediate, sent as an immediate
     * right-justified in A bits.
     *
     * @throws std::invalid_argument if @a id is out of range or @a immediate >= 2^A.
     */
    item_handle add_item(s_item_pointer_t id, item_pointer_t immediate);

    /**
     * Add an item referencing @a length bytes at @a ptr (not copied). With
     * @a allow_immediate, a value of at most A/8 bytes travels inside its
     * item pointer.
     *
     * @throws std::invalid_argument if @a id is out of range or @a ptr is
     * null with a non-zero @a length.
     */
    item_handle add_item(s_item_pointer_t id, const void *ptr, std::size_t length, bool allow_immediate);

    /// Add an item holding a copy of @a value (owned by the heap).
    item_handle add_item(s_item_pointer_t id, const std::string &value, bool allow_immediate);

    /// Add an item holding a copy of @a value (owned by the heap).
    item_handle add_item(s_item_pointer_t id, const std::vector<std::uint8_t> &value, bool allow_immediate);

    /// Add an immediate item holding @a immediate (any integer type: integer
    /// arguments come here, not to the pointer overload).
    template<typename T>
    requires std::is_integral_v<T> item_handle add_item(s_item_pointer_t id, T immediate)
    {
        if constexpr (std::is_signed_v<T>)
        {
            if (immediate < 0)
                throw_negative_immediate();
        }
        return add_item(id, item_pointer_t(immediate));
    }

    /**
     * Add a descriptor item (0x05) describing another item, encoded in this
     * heap's flavour.
     *
     * @throws std::invalid_argument as @ref encode_descriptor does.
     */
    void add_descriptor(const descriptor &d);

    /// Add a stream-control item marking the start of the stream.
    void add_start();
    /// Add a stream-control item marking the end of the stream (receivers stop).
    void add_end();

    /**
     * Send every item pointer in every packet (for receivers that need any
     * packet to be self-describing). Sending fails if the pointers do not fit
     * in one packet.
     */
    void set_repeat_pointers(bool repeat) noexcept { repeat_pointers = repeat; }
    /// See @ref set_repeat_pointers.
    bool get_repeat_pointers() const noexcept { return repeat_pointers; }

    /// The items, in the order they were added.
    const std::vector<item> &get_items() const noexcept { return items; }

    ///@{

    /**
     * The item @a handle (returned by @ref add_item), to change it in
     * place: a heap reused for many sends points its items at new data.
     * Not while the heap is being sent.
     *
     * @throws std::out_of_range if @a handle is not one of this heap's.
     */
    item &get_item(item_handle handle) { return items.at(handle); }
    const item &get_item(item_handle handle) const { return items.at(handle); }
    ///@}

    /// Take ownership of @a pointer: freed with the heap (for item data made for it).
    void add_pointer(std::unique_ptr<std::uint8_t[]> &&pointer) { owned.push_back(std::move(pointer)); }

private:
    [[noreturn]] static void throw_negative_immediate();
};

}  // namespace lightspead::send

#endif  // LIGHTSPEAD_SEND_HEAP_H
