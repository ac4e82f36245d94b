#include <cstring>
#include <stdexcept>
#include <lightspead/protocol/items.h>
#include <lightspead/protocol/packet.h>
#include <lightspead/recv/heap.h>

namespace lightspead::recv
{

namespace
{

/// Add @a e as an immediate item whose bytes live in @a words (reserved).
void add_immediate(std::vector<item> &items, std::vector<item_pointer_t> &words, const item_extent &e,
                   int heap_address_bits)
{
    std::uint8_t buf[8];
    store_be64(buf, e.value);
    item_pointer_t word;
    std::memcpy(&word, buf, sizeof(word));
    words.push_back(word);
    const std::size_t bytes = heap_address_bits / 8;
    item it;
    it.id = e.id;
    it.is_immediate = true;
    it.immediate_value = e.value;
    it.ptr = reinterpret_cast<const std::uint8_t *>(&words.back()) + (8 - bytes);
    it.length = bytes;
    items.push_back(it);
}

std::size_t count_immediates(const std::vector<item_extent> &extents)
{
    std::size_t n = 0;
    for (const auto &e : extents)
        n += e.is_immediate;
    return n;
}

}  // anonymous namespace

heap::heap(live_heap &&h, bug_compat_mask bug_compat)
    : cnt(h.get_cnt()), flavour_(4, 64, h.get_heap_address_bits(), bug_compat)
{
    if (!h.is_complete())
        throw std::invalid_argument("heap is not complete");
    payload_size = h.get_heap_length();
    std::vector<item_extent> extents;
    if (!resolve_items({h.get_pointers().begin(), h.get_pointers().end()}, h.get_heap_address_bits(), payload_size,
                       extents))
        throw std::invalid_argument("an item pointer lies beyond the heap length");
    payload = h.take_payload();
    immediates.reserve(count_immediates(extents));  // items point into it
    items.reserve(extents.size());
    for (const auto &e : extents)
    {
        if (e.is_immediate)
            add_immediate(items, immediates, e, flavour_.get_heap_address_bits());
        else
        {
            item it;
            it.id = e.id;
            it.ptr = payload.get() + e.offset;
            it.length = e.length;
            items.push_back(it);
        }
    }
}

// Moving a vector keeps its buffer, so item pointers into `immediates` and
// the payload stay valid.
heap::heap(heap &&) noexcept = default;
heap &heap::operator=(heap &&) noexcept = default;

std::vector<descriptor> heap::get_descriptors(std::vector<std::string> *errors) const
{
    std::vector<descriptor> out;
    for (const auto &it : items)
    {
        if (it.id != DESCRIPTOR_ID || it.is_immediate)
            continue;
        auto result = decode_descriptor(it.ptr, it.length, flavour_.get_bug_compat());
        if (result)
            out.push_back(std::move(result.value));
        else if (errors)
            errors->push_back(std::move(result.error));
    }
    return out;
}

namespace
{

// Whether @a items hold the stream-control item with @a value.
bool has_stream_control(const std::vector<item> &items, item_pointer_t value)
{
    for (const auto &it : items)
        if (it.id == STREAM_CTRL_ID && it.is_immediate && it.immediate_value == value)
            return true;
    return false;
}

}  // anonymous namespace

bool heap::is_start_of_stream() const
{
    return has_stream_control(items, CTRL_STREAM_START);
}

bool heap::is_end_of_stream() const
{
    return has_stream_control(items, CTRL_STREAM_STOP);
}

bool incomplete_heap::is_start_of_stream() const
{
    return has_stream_control(items, CTRL_STREAM_START);
}

bool incomplete_heap::is_end_of_stream() const
{
    return has_stream_control(items, CTRL_STREAM_STOP);
}

incomplete_heap::incomplete_heap(live_heap &&h, bug_compat_mask bug_compat, bool keep_payload_ranges)
    : cnt(h.get_cnt()), flavour_(4, 64, h.get_heap_address_bits(), bug_compat), heap_length(h.get_heap_length()),
      received_length(h.get_received_length())
{
    if (keep_payload_ranges)
        ranges = h.get_payload_ranges();
    const pointer_codec codec(h.get_heap_address_bits());
    std::vector<item_extent> extents;
    for (item_pointer_t p : h.get_pointers())
    {
        if (!pointer_codec::is_immediate(p))
            continue;
        item_extent e;
        e.id = codec.get_id(p);
        e.is_immediate = true;
        e.value = codec.get_value(p);
        extents.push_back(e);
    }
    immediates.reserve(extents.size());
    for (const auto &e : extents)
        add_immediate(items, immediates, e, h.get_heap_address_bits());
}

incomplete_heap::incomplete_heap(incomplete_heap &&) noexcept = default;
incomplete_heap &incomplete_heap::operator=(incomplete_heap &&) noexcept = default;

}  // namespace lightspead::recv
