#include <stdexcept>
#include <string>
#include <lightspead/send/heap.h>

namespace lightspead::send
{

heap::heap(const flavour &f) : flavour_(f)
{
}

void heap::check_id(s_item_pointer_t id) const
{
    if (id <= PAYLOAD_LENGTH_ID || item_pointer_t(id) >= flavour_.get_id_limit())
        throw std::invalid_argument("item ID " + std::to_string(id) + " is outside [5, 2^"
                                    + std::to_string(63 - flavour_.get_heap_address_bits()) + ")");
}

void heap::throw_negative_immediate()
{
    throw std::invalid_argument("immediate values must not be negative");
}

heap::item_handle heap::add_item(s_item_pointer_t id, item_pointer_t immediate)
{
    check_id(id);
    if (immediate >= flavour_.get_address_limit())
        throw std::invalid_argument("immediate value " + std::to_string(immediate) + " does not fit in "
                                    + std::to_string(flavour_.get_heap_address_bits()) + " bits");
    item &it = items.emplace_back();
    it.id = id;
    it.is_inline = true;
    it.data.immediate = immediate;
    return items.size() - 1;
}

heap::item_handle heap::add_item(s_item_pointer_t id, const void *ptr, std::size_t length, bool allow_immediate)
{
    check_id(id);
    if (ptr == nullptr && length > 0)
        throw std::invalid_argument("item " + std::to_string(id) + " has a null pointer");
    item &it = items.emplace_back();
    it.id = id;
    it.allow_immediate = allow_immediate;
    it.data.buffer.ptr = static_cast<const std::uint8_t *>(ptr);
    it.data.buffer.length = length;
    return items.size() - 1;
}

heap::item_handle heap::add_item(s_item_pointer_t id, const std::string &value, bool allow_immediate)
{
    check_id(id);
    const auto &copy = storage.emplace_back(value.begin(), value.end());
    return add_item(id, copy.data(), copy.size(), allow_immediate);
}

heap::item_handle heap::add_item(s_item_pointer_t id, const std::vector<std::uint8_t> &value, bool allow_immediate)
{
    check_id(id);
    const auto &copy = storage.emplace_back(value);
    return add_item(id, copy.data(), copy.size(), allow_immediate);
}

void heap::add_descriptor(const descriptor &d)
{
    const auto &blob = storage.emplace_back(encode_descriptor(d, flavour_));
    add_item(DESCRIPTOR_ID, blob.data(), blob.size(), false);
}

void heap::add_start()
{
    add_item(STREAM_CTRL_ID, item_pointer_t(CTRL_STREAM_START));
}

void heap::add_end()
{
    add_item(STREAM_CTRL_ID, item_pointer_t(CTRL_STREAM_STOP));
}

}  // namespace lightspead::send
