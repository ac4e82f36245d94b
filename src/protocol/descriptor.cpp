#include <algorithm>
#include <stdexcept>
#include <string>
#include <lightspead/protocol/descriptor.h>
#include <lightspead/protocol/items.h>
#include <lightspead/protocol/packet.h>

namespace lightspead
{

namespace
{

void append(std::vector<std::uint8_t> &out, const std::string &s)
{
    out.insert(out.end(), s.begin(), s.end());
}

/// Largest value that fits in @a bytes bytes, plus one (bytes < 8).
item_pointer_t field_limit(std::size_t bytes)
{
    return item_pointer_t(1) << (8 * bytes);
}

}  // anonymous namespace

std::vector<std::uint8_t> encode_descriptor(const descriptor &d, const flavour &f)
{
    const bool fixed_widths = f.get_bug_compat() & BUG_COMPAT_DESCRIPTOR_WIDTHS;
    // Each entry is one flag/code byte followed by a big-endian number.
    const std::size_t format_entry = fixed_widths ? 4 : 9 - f.get_immediate_bytes();
    const std::size_t shape_entry = fixed_widths ? 8 : 1 + f.get_immediate_bytes();
    const std::uint8_t variable_flag = (f.get_bug_compat() & BUG_COMPAT_SHAPE_BIT_1) ? 2 : 1;

    if (d.id <= 0 || item_pointer_t(d.id) >= f.get_id_limit())
        throw std::invalid_argument("descriptor ID " + std::to_string(d.id) + " is out of range for SPEAD-64-"
                                    + std::to_string(f.get_heap_address_bits()));
    for (const auto &[code, bits] : d.format)
    {
        if (bits < 0 || item_pointer_t(bits) >= field_limit(format_entry - 1))
            throw std::invalid_argument("format entry '" + std::string(1, code) + "' width " + std::to_string(bits)
                                        + " does not fit in " + std::to_string(format_entry - 1) + " bytes");
    }
    if (std::count_if(d.shape.begin(), d.shape.end(), [](auto dim) { return dim < 0; }) > 1)
        throw std::invalid_argument("descriptor shape has more than one variable dimension");
    for (auto dim : d.shape)
    {
        if (dim >= 0 && item_pointer_t(dim) >= field_limit(shape_entry - 1))
            throw std::invalid_argument("dimension " + std::to_string(dim) + " does not fit in "
                                        + std::to_string(shape_entry - 1) + " bytes");
    }

    const bool have_numpy = !d.numpy_header.empty();
    const std::size_t n_items = 9 + have_numpy;
    const std::size_t payload_size = d.name.size() + d.description.size() + d.format.size() * format_entry
        + d.shape.size() * shape_entry + d.numpy_header.size();
    if (payload_size >= f.get_address_limit())
        throw std::invalid_argument("descriptor is too large for the flavour's heap addresses");

    std::vector<std::uint8_t> out(packet_header_size + n_items * sizeof(item_pointer_t));
    out.reserve(out.size() + payload_size);
    encode_packet_header(out.data(), f.get_heap_address_bits(), n_items);
    const pointer_codec codec(f.get_heap_address_bits());
    std::uint8_t *pointer = out.data() + packet_header_size;
    auto put = [&pointer](item_pointer_t value)
    {
        store_be64(pointer, value);
        pointer += sizeof(item_pointer_t);
    };
    put(codec.encode_immediate(HEAP_CNT_ID, 1));
    put(codec.encode_immediate(HEAP_LENGTH_ID, payload_size));
    put(codec.encode_immediate(PAYLOAD_OFFSET_ID, 0));
    put(codec.encode_immediate(PAYLOAD_LENGTH_ID, payload_size));
    put(codec.encode_immediate(DESCRIPTOR_ID_ID, d.id));
    item_pointer_t offset = 0;
    put(codec.encode_address(DESCRIPTOR_NAME_ID, offset));
    offset += d.name.size();
    put(codec.encode_address(DESCRIPTOR_DESCRIPTION_ID, offset));
    offset += d.description.size();
    put(codec.encode_address(DESCRIPTOR_FORMAT_ID, offset));
    offset += d.format.size() * format_entry;
    put(codec.encode_address(DESCRIPTOR_SHAPE_ID, offset));
    offset += d.shape.size() * shape_entry;
    if (have_numpy)
        put(codec.encode_address(DESCRIPTOR_DTYPE_ID, offset));

    append(out, d.name);
    append(out, d.description);
    std::uint8_t entry[8];
    for (const auto &[code, bits] : d.format)
    {
        entry[0] = std::uint8_t(code);
        store_be(entry + 1, format_entry - 1, bits);
        out.insert(out.end(), entry, entry + format_entry);
    }
    for (auto dim : d.shape)
    {
        entry[0] = dim < 0 ? variable_flag : 0;
        store_be(entry + 1, shape_entry - 1, dim < 0 ? 0 : dim);
        out.insert(out.end(), entry, entry + shape_entry);
    }
    append(out, d.numpy_header);
    return out;
}

descriptor_decode_result decode_descriptor(const std::uint8_t *data, std::size_t size, bug_compat_mask bug_compat)
{
    descriptor_decode_result result;
    auto fail = [&result](std::string msg)
    {
        result.error = std::move(msg);
        return result;
    };
    const auto decoded = decode_packet(data, size);
    if (!decoded)
        return fail(std::string("descriptor is not a valid SPEAD packet: ") + to_string(decoded.status));
    const packet_view &p = decoded.packet;
    if (p.payload_offset != 0 || (p.heap_length >= 0 && p.heap_length != p.payload_length))
        return fail("descriptor packet does not hold its whole heap");

    std::vector<item_pointer_t> pointers(p.n_items);
    for (std::size_t i = 0; i < p.n_items; i++)
        pointers[i] = p.pointer(i);
    std::vector<item_extent> items;
    if (!resolve_items(std::move(pointers), p.heap_address_bits, p.payload_length, items))
        return fail("descriptor field address lies beyond its payload");

    const std::size_t immediate_bytes = p.heap_address_bits / 8;
    const bool fixed_widths = bug_compat & BUG_COMPAT_DESCRIPTOR_WIDTHS;
    const std::size_t format_entry = fixed_widths ? 4 : 9 - immediate_bytes;
    const std::size_t shape_entry = fixed_widths ? 8 : 1 + immediate_bytes;
    const std::uint8_t variable_flag = (bug_compat & BUG_COMPAT_SHAPE_BIT_1) ? 2 : 1;
    descriptor &d = result.value;
    bool have_id = false;
    for (const auto &it : items)
    {
        const std::uint8_t *field = p.payload + it.offset;
        const std::size_t length = it.length;
        switch (it.id)
        {
        case DESCRIPTOR_ID_ID:
            if (!it.is_immediate)
                return fail("descriptor's described ID is not an immediate");
            d.id = it.value;
            have_id = true;
            break;
        case DESCRIPTOR_NAME_ID:
        case DESCRIPTOR_DESCRIPTION_ID:
        case DESCRIPTOR_DTYPE_ID:
        {
            if (it.is_immediate)
                return fail("descriptor string field is an immediate");
            std::string value(reinterpret_cast<const char *>(field), length);
            if (it.id == DESCRIPTOR_NAME_ID)
                d.name = std::move(value);
            else if (it.id == DESCRIPTOR_DESCRIPTION_ID)
                d.description = std::move(value);
            else
                d.numpy_header = std::move(value);
            break;
        }
        case DESCRIPTOR_FORMAT_ID:
            if (it.is_immediate || length % format_entry != 0)
                return fail("descriptor format field is not a whole number of entries");
            for (std::size_t i = 0; i < length; i += format_entry)
            {
                // A code is a printable ASCII character ('u', 'i', 'f', ...):
                // anything else is not a format any reader can use (and as
                // a Python str it would not even decode).
                if (field[i] <= 0x20 || field[i] >= 0x7f)
                    return fail("descriptor format code is not a printable ASCII character");
                d.format.emplace_back(char(field[i]), load_be(field + i + 1, format_entry - 1));
            }
            break;
        case DESCRIPTOR_SHAPE_ID:
            if (it.is_immediate || length % shape_entry != 0)
                return fail("descriptor shape field is not a whole number of entries");
            for (std::size_t i = 0; i < length; i += shape_entry)
            {
                if (field[i] & variable_flag)
                    d.shape.push_back(-1);
                else
                    d.shape.push_back(load_be(field + i + 1, shape_entry - 1));
            }
            break;
        default:
            break;  // unknown fields are ignored, as the reference does
        }
    }
    if (!have_id)
        return fail("descriptor has no described ID");
    if (std::count(d.shape.begin(), d.shape.end(), -1) > 1)
        return fail("descriptor shape has more than one variable dimension");
    return result;
}

}  // namespace lightspead
