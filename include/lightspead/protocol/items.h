/**
 * @file
 * From a heap's item pointers to its items: which bytes of the payload
 * belong to which item.
 */
#ifndef LIGHTSPEAD_PROTOCOL_ITEMS_H
#define LIGHTSPEAD_PROTOCOL_ITEMS_H

#include <cstddef>
#include <vector>
#include <lightspead/protocol/defines.h>

namespace lightspead
{

/// One item of a heap, located but not yet bound to memory.
struct item_extent
{
    item_pointer_t id = 0;      ///< the item's ID
    bool is_immediate = false;  ///< whether the value is in the pointer itself
    item_pointer_t value = 0;   ///< immediate value (when is_immediate)
    item_pointer_t offset = 0;  ///< start in the payload (when addressed)
    item_pointer_t length = 0;  ///< bytes in the payload (when addressed)
};

/**
 * Resolve the item pointers of a heap whose payload is @a heap_length bytes.
 *
 * The packet-structure specials (IDs 1-4) are left out; duplicated pointers
 * count once; each addressed item runs to the next higher address, the last
 * to @a heap_length. Null pointers and zero-length items are dropped (a null
 * pointer still ends the item before it). Items keep the order in which
 * their pointers first appear.
 *
 * @param pointers  host-order item pointers (any order, duplicates allowed)
 * @return false if an address lies beyond @a heap_length (the heap cannot
 *         be complete); @a out is then unspecified.
 */
bool resolve_items(std::vector<item_pointer_t> pointers, int heap_address_bits, item_pointer_t heap_length,
                   std::vector<item_extent> &out);

}  // namespace lightspead

#endif  // LIGHTSPEAD_PROTOCOL_ITEMS_H
