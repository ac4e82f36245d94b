#include <stdexcept>
#include <string>
#include <lightspead/protocol/flavour.h>

namespace lightspead
{

flavour::flavour(int version, int item_pointer_bits, int heap_address_bits, bug_compat_mask bug_compat)
{
    if (version != 4)
        throw std::invalid_argument("SPEAD version " + std::to_string(version) + " is not supported (only 4)");
    if (item_pointer_bits != 64)
        throw std::invalid_argument("item_pointer_bits " + std::to_string(item_pointer_bits)
                                    + " is not supported (only 64)");
    if (heap_address_bits <= 0 || heap_address_bits >= 64 || heap_address_bits % 8 != 0)
        throw std::invalid_argument("heap_address_bits " + std::to_string(heap_address_bits)
                                    + " must be a multiple of 8 between 8 and 56");
    if (bug_compat & ~BUG_COMPAT_ALL)
        throw std::invalid_argument("bug_compat " + std::to_string(bug_compat)
                                    + " has undefined bits (only 0x1, 0x2 and 0x4 are defined)");
    this->heap_address_bits = heap_address_bits;
    this->bug_compat = bug_compat;
}

flavour::flavour(int heap_address_bits, bug_compat_mask bug_compat) : flavour(4, 64, heap_address_bits, bug_compat)
{
}

}  // namespace lightspead
