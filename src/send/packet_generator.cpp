#include <algorithm>
#include <cassert>
#include <cstring>
#include <stdexcept>
#include <string>
#include <lightspead/protocol/packet.h>
#include <lightspead/send/packet_generator.h>

namespace lightspead::send
{

namespace
{

// Source of padding bytes. Padding never exceeds one packet's payload, and
// longer runs are emitted as several pieces.
constexpr std::size_t zero_size = 4096;
const std::uint8_t zeros[zero_size] = {};

}  // anonymous namespace

packet_generator::packet_generator(const heap &h, item_pointer_t cnt, std::size_t max_packet_size)
    : h(&h), cnt(cnt), max_packet_size(max_packet_size & ~std::size_t(7)),
      immediate_bytes(h.get_flavour().get_immediate_bytes())
{
    const flavour &f = h.get_flavour();
    if (this->max_packet_size < min_packet_size)
        throw std::invalid_argument("max_packet_size " + std::to_string(max_packet_size) + " is below the minimum of "
                                    + std::to_string(min_packet_size));
    if (cnt >= f.get_address_limit())
        throw std::invalid_argument("heap counter " + std::to_string(cnt) + " does not fit in "
                                    + std::to_string(f.get_heap_address_bits()) + " bits");

    const auto &items = h.get_items();
    for (const item &it : items)
    {
        // Items may have been changed in place (heap::get_item) since they were added
        if (it.is_inline && it.data.immediate >= f.get_address_limit())
            throw std::invalid_argument("item " + std::to_string(it.id) + ": immediate value "
                                        + std::to_string(it.data.immediate) + " does not fit in "
                                        + std::to_string(f.get_heap_address_bits()) + " bits");
        if (!it.is_inline && it.data.buffer.ptr == nullptr && it.data.buffer.length > 0)
            throw std::invalid_argument("item " + std::to_string(it.id) + " has a null pointer");
        payload_size += it.payload_length(immediate_bytes);
    }

    max_item_pointers = (this->max_packet_size - packet_prefix_size - sizeof(item_pointer_t)) / sizeof(item_pointer_t);
    // Packets needed for the pointers, allowing for a null pointer after them.
    const std::size_t item_packets = items.size() / max_item_pointers + 1;
    if (h.get_repeat_pointers() && item_packets > 1)
        throw std::invalid_argument("repeat pointers: " + std::to_string(items.size())
                                    + " item pointers do not fit in one packet");
    // Every packet carries at least one payload byte, so that loss is
    // detectable; all but the last carry whole 8-byte words.
    const item_pointer_t min_payload = item_pointer_t(item_packets - 1) * sizeof(item_pointer_t) + 1;
    if (payload_size < min_payload)
    {
        payload_size = min_payload;
        need_null_item = true;
    }
    if (payload_size >= f.get_address_limit())
        throw std::invalid_argument("heap payload of " + std::to_string(payload_size) + " bytes does not fit in "
                                    + std::to_string(f.get_heap_address_bits()) + "-bit heap addresses");
}

std::size_t packet_generator::next_header_size() const noexcept
{
    const std::size_t start = h->get_repeat_pointers() ? 0 : next_item_pointer;
    const std::size_t n_pointers = std::min(max_item_pointers, h->get_items().size() + need_null_item - start);
    return packet_prefix_size + n_pointers * sizeof(item_pointer_t);
}

std::size_t packet_generator::next_packet(std::uint8_t *header, std::vector<iovec> &iov)
{
    assert(has_next_packet());
    const auto &items = h->get_items();
    if (h->get_repeat_pointers())
    {
        next_item_pointer = 0;
        next_address = 0;
    }
    const pointer_codec codec(h->get_flavour().get_heap_address_bits());
    const std::size_t header_size = next_header_size();
    const std::size_t n_pointers = (header_size - packet_prefix_size) / sizeof(item_pointer_t);
    const std::size_t packet_payload = std::min<item_pointer_t>(payload_size - payload_offset,
                                                                max_packet_size - header_size);

    encode_packet_header(header, h->get_flavour().get_heap_address_bits(), n_pointers + 4);
    std::uint8_t *out = header + packet_header_size;
    auto put = [&out](item_pointer_t value)
    {
        store_be64(out, value);
        out += sizeof(item_pointer_t);
    };
    put(codec.encode_immediate(HEAP_CNT_ID, cnt));
    put(codec.encode_immediate(HEAP_LENGTH_ID, payload_size));
    put(codec.encode_immediate(PAYLOAD_OFFSET_ID, payload_offset));
    put(codec.encode_immediate(PAYLOAD_LENGTH_ID, packet_payload));
    for (std::size_t i = 0; i < n_pointers; i++, next_item_pointer++)
    {
        if (next_item_pointer == items.size())
        {
            // Marks where the real payload ends and padding begins.
            put(codec.encode_address(NULL_ID, next_address));
            continue;
        }
        const item &it = items[next_item_pointer];
        if (it.is_inline)
            put(codec.encode_immediate(it.id, it.data.immediate));
        else if (it.travels_immediate(immediate_bytes))
        {
            // Right-justify the bytes in the A-bit field.
            put(codec.encode_immediate(it.id, 0));
            if (it.data.buffer.length > 0)
                std::memcpy(out - it.data.buffer.length, it.data.buffer.ptr, it.data.buffer.length);
        }
        else
        {
            put(codec.encode_address(it.id, next_address));
            next_address += it.data.buffer.length;
        }
    }
    iov.push_back({header, header_size});

    payload_offset += packet_payload;
    std::size_t remaining = packet_payload;
    while (remaining > 0)
    {
        if (next_item == items.size())
        {
            const std::size_t n = std::min(remaining, zero_size);
            iov.push_back({const_cast<std::uint8_t *>(zeros), n});
            remaining -= n;
            continue;
        }
        const item &it = items[next_item];
        if (it.travels_immediate(immediate_bytes))
        {
            next_item++;
            continue;
        }
        const std::size_t n = std::min(it.data.buffer.length - next_item_offset, remaining);
        if (n > 0)
            iov.push_back({const_cast<std::uint8_t *>(it.data.buffer.ptr) + next_item_offset, n});
        next_item_offset += n;
        remaining -= n;
        if (next_item_offset == it.data.buffer.length)
        {
            next_item++;
            next_item_offset = 0;
        }
    }
    return header_size + packet_payload;
}

}  // namespace lightspead::send
