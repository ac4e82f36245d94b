#include <algorithm>
#include <unordered_set>
#include <utility>
#include <lightspead/protocol/items.h>
#include <lightspead/protocol/packet.h>

namespace lightspead
{

bool resolve_items(std::vector<item_pointer_t> pointers, int heap_address_bits, item_pointer_t heap_length,
                   std::vector<item_extent> &out)
{
    const pointer_codec codec(heap_address_bits);
    out.clear();
    // First occurrence order, without duplicates.
    {
        std::unordered_set<item_pointer_t> seen;
        seen.reserve(pointers.size());
        std::size_t keep = 0;
        for (item_pointer_t p : pointers)
        {
            const item_pointer_t id = codec.get_id(p);
            if (id >= HEAP_CNT_ID && id <= PAYLOAD_LENGTH_ID && pointer_codec::is_immediate(p))
                continue;
            if (seen.insert(p).second)
                pointers[keep++] = p;
        }
        pointers.resize(keep);
    }
    // Addressed items in ascending address order (ties in pointer order):
    // each ends where the next begins, so of several pointers to one
    // address all but the last are empty.
    std::vector<std::pair<item_pointer_t, std::size_t>> by_address;
    for (std::size_t i = 0; i < pointers.size(); i++)
    {
        const item_pointer_t p = pointers[i];
        if (!pointer_codec::is_immediate(p))
        {
            const item_pointer_t address = codec.get_value(p);
            if (address > heap_length)
                return false;
            by_address.emplace_back(address, i);
        }
    }
    std::sort(by_address.begin(), by_address.end());
    std::vector<item_pointer_t> length(pointers.size(), 0);
    for (std::size_t k = 0; k < by_address.size(); k++)
    {
        const item_pointer_t end = k + 1 < by_address.size() ? by_address[k + 1].first : heap_length;
        length[by_address[k].second] = end - by_address[k].first;
    }
    for (std::size_t i = 0; i < pointers.size(); i++)
    {
        const item_pointer_t p = pointers[i];
        item_extent e;
        e.id = codec.get_id(p);
        if (pointer_codec::is_immediate(p))
        {
            e.is_immediate = true;
            e.value = codec.get_value(p);
            out.push_back(e);
        }
        else if (e.id != NULL_ID && length[i] > 0)
        {
            e.offset = codec.get_value(p);
            e.length = length[i];
            out.push_back(e);
        }
    }
    return true;
}

}  // namespace lightspead
