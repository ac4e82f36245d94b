#include <algorithm>
#include <stdexcept>
#include <string>
#include <lightspead/protocol/descriptor.h>
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

} // anonymous namespace

std::vector<std::uint8_t> encode_descriptor(const descriptor &d, const flavour &f)
{
    const bool fixed_widths = f.get_bug_compat() & BUG_COMPAT_DESCRIPTOR_WIDTHS;
    // Each entry is one flag/code byte followed by a big-endian number.
    const std::size_t format_entry = fixed_widths ? 4 : 9 - f.get_immediate_bytes();
    const std::size_t shape_entry = fixed_widths ? 8 : 1 + f.get_immediate_bytes();
    const std::uint8_t variable_flag = (f.get_bug_compat() & BUG_COMPAT_SHAPE_BIT_1) ? 2 : 1;

    if (d.id <= 0 || item_pointer_t(d.id) >= f.get_id_limit())
        throw std::invalid_argument(
            "descriptor ID " + std::to_string(d.id) + " is out of range for SPEAD-64-"
            + std::to_string(f.get_heap_address_bits()));
    for (const auto &[code, bits] : d.format)
    {
        if (bits < 0 || item_pointer_t(bits) >= field_limit(format_entry - 1))
            throw std::invalid_argument(
                "format entry '" + std::string(1, code) + "' width " + std::to_string(bits)
                + " does not fit in " + std::to_string(format_entry - 1) + " bytes");
    }
    if (std::count_if(d.shape.begin(), d.shape.end(), [](auto dim) { return dim < 0; }) > 1)
        throw std::invalid_argument("descriptor shape has more than one variable dimension");
    for (auto dim : d.shape)
    {
        if (dim >= 0 && item_pointer_t(dim) >= field_limit(shape_entry - 1))
            throw std::invalid_argument(
                "dimension " + std::to_string(dim) + " does not fit in "
                + std::to_string(shape_entry - 1) + " bytes");
    }

    const bool have_numpy = !d.numpy_header.empty();
    const std::size_t n_items = 9 + have_numpy;
    const std::size_t payload_size =
        d.name.size() + d.description.size()
        + d.format.size() * format_entry + d.shape.size() * shape_entry
        + d.numpy_header.size();
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

} // namespace lightspead
