/**
 * @file
 * The SPEAD flavour: version, item pointer width, heap address width and
 * PySPEAD compatibility bits.
 */
#ifndef LIGHTSPEAD_PROTOCOL_FLAVOUR_H
#define LIGHTSPEAD_PROTOCOL_FLAVOUR_H

#include <lightspead/protocol/defines.h>

namespace lightspead
{

/**
 * A SPEAD flavour, SPEAD-64-A. Only version 4 with 64-bit item pointers
 * exists in practice; A (the heap address bits) is a multiple of 8 in
 * (0, 64). SPEAD-64-40 is the default.
 *
 * A flavour is a small value type; copy it freely.
 */
class flavour
{
private:
    int heap_address_bits = 40;
    bug_compat_mask bug_compat = 0;

public:
    /**
     * Construct from every field.
     *
     * @throws std::invalid_argument if @a version is not 4, @a item_pointer_bits
     * is not 64, @a heap_address_bits is not a multiple of 8 in (0, 64), or
     * @a bug_compat has bits other than @ref BUG_COMPAT_ALL.
     */
    flavour(int version, int item_pointer_bits, int heap_address_bits, bug_compat_mask bug_compat = 0);

    /**
     * SPEAD-64-@a heap_address_bits (default SPEAD-64-40).
     *
     * @throws std::invalid_argument as for the full constructor.
     */
    explicit flavour(int heap_address_bits = 40, bug_compat_mask bug_compat = 0);

    /// Protocol version (always 4).
    int get_version() const noexcept { return 4; }
    /// Item pointer width in bits (always 64).
    int get_item_pointer_bits() const noexcept { return 64; }
    /// Heap address width A in bits.
    int get_heap_address_bits() const noexcept { return heap_address_bits; }
    /// PySPEAD compatibility bits.
    bug_compat_mask get_bug_compat() const noexcept { return bug_compat; }

    /// Bytes an immediate value occupies (A / 8).
    int get_immediate_bytes() const noexcept { return heap_address_bits / 8; }
    /// Largest item ID plus one: IDs are 63 - A bits wide.
    item_pointer_t get_id_limit() const noexcept { return item_pointer_t(1) << (63 - heap_address_bits); }
    /// Largest heap address (and immediate value, heap counter) plus one: 2^A.
    item_pointer_t get_address_limit() const noexcept { return item_pointer_t(1) << heap_address_bits; }

    /// Same version, widths and bug_compat flags.
    bool operator==(const flavour &other) const noexcept = default;
};

}  // namespace lightspead

#endif  // LIGHTSPEAD_PROTOCOL_FLAVOUR_H
