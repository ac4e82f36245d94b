#include <lightspead/protocol/packet.h>

namespace lightspead
{

const char *to_string(packet_status status) noexcept
{
    switch (status)
    {
    case packet_status::ok:
        return "ok";
    case packet_status::too_short:
        return "packet shorter than its 8-byte header";
    case packet_status::bad_magic:
        return "bad magic number (not 0x53)";
    case packet_status::bad_version:
        return "unsupported SPEAD version (not 4)";
    case packet_status::bad_widths:
        return "unsupported item pointer widths";
    case packet_status::truncated_pointers:
        return "item pointers extend past the end of the packet";
    case packet_status::missing_heap_cnt:
        return "no immediate heap counter";
    case packet_status::missing_payload_offset:
        return "no immediate payload offset";
    case packet_status::missing_payload_length:
        return "no immediate payload length";
    case packet_status::truncated_payload:
        return "payload extends past the end of the packet";
    case packet_status::payload_beyond_heap:
        return "payload extends past the declared heap length";
    }
    return "unknown packet status";
}

namespace
{

// The header and pointers are at data[0, size); the payload is at `payload`
// (or, when null, straight after the pointers inside data) with
// `payload_available` bytes there.
// The view is written in place (readers decode per packet: no copies).
packet_status decode_impl(const std::uint8_t *data, std::size_t size, const std::uint8_t *payload,
                          std::size_t payload_available, packet_view &p) noexcept
{
    p = packet_view();
    if (size < packet_header_size)
        return packet_status::too_short;
    const item_pointer_t header = load_be64(data);
    if ((header >> 56) != (magic_version >> 8))
        return packet_status::bad_magic;
    if (((header >> 48) & 0xff) != (magic_version & 0xff))
        return packet_status::bad_version;
    const int id_bytes = (header >> 40) & 0xff;
    const int address_bytes = (header >> 32) & 0xff;
    if (id_bytes + address_bytes != 8 || address_bytes == 0 || id_bytes == 0)
        return packet_status::bad_widths;
    p.heap_address_bits = address_bytes * 8;
    p.n_items = header & 0xffff;
    // n_items < 2^16, so this cannot overflow
    const std::size_t pointer_end = packet_header_size + p.n_items * sizeof(item_pointer_t);
    if (pointer_end > size)
        return packet_status::truncated_pointers;
    p.pointers = data + packet_header_size;

    const pointer_codec codec(p.heap_address_bits);
    bool have_cnt = false, have_offset = false, have_length = false;
    for (std::size_t i = 0; i < p.n_items; i++)
    {
        const item_pointer_t pointer = p.pointer(i);
        if (!pointer_codec::is_immediate(pointer))
            continue;
        const s_item_pointer_t value = codec.get_value(pointer);
        switch (codec.get_id(pointer))
        {
        case HEAP_CNT_ID:
            p.heap_cnt = value;
            have_cnt = true;
            break;
        case HEAP_LENGTH_ID:
            p.heap_length = value;
            break;
        case PAYLOAD_OFFSET_ID:
            p.payload_offset = value;
            have_offset = true;
            break;
        case PAYLOAD_LENGTH_ID:
            p.payload_length = value;
            have_length = true;
            break;
        default:
            break;
        }
    }
    if (!have_cnt)
        return packet_status::missing_heap_cnt;
    if (!have_offset)
        return packet_status::missing_payload_offset;
    if (!have_length)
        return packet_status::missing_payload_length;
    // Values are at most 56 bits wide, so none of these sums overflow.
    if (item_pointer_t(p.payload_length) > (payload ? payload_available : size - pointer_end))
        return packet_status::truncated_payload;
    if (p.heap_length >= 0 && p.payload_offset + p.payload_length > p.heap_length)
        return packet_status::payload_beyond_heap;
    p.payload = payload ? payload : data + pointer_end;
    p.size = pointer_end + p.payload_length;
    return packet_status::ok;
}

}  // anonymous namespace

packet_decode_result decode_packet(const std::uint8_t *data, std::size_t size) noexcept
{
    packet_decode_result result;
    result.status = decode_impl(data, size, nullptr, 0, result.packet);
    return result;
}

packet_status decode_packet(const std::uint8_t *data, std::size_t size, packet_view &out) noexcept
{
    return decode_impl(data, size, nullptr, 0, out);
}

packet_decode_result decode_packet(const std::uint8_t *header, std::size_t header_size, const std::uint8_t *payload,
                                   std::size_t payload_size) noexcept
{
    packet_decode_result result;
    result.status = decode_impl(header, header_size, payload, payload_size, result.packet);
    // The split must be exact: all of the header region is header, all of
    // the payload region is payload.
    if (result
        && (result.packet.size - result.packet.payload_length != header_size
            || std::size_t(result.packet.payload_length) != payload_size))
        result.status = packet_status::truncated_payload;
    return result;
}

std::size_t next_packet_candidate(const std::uint8_t *data, std::size_t size) noexcept
{
    const std::uint8_t magic = magic_version >> 8, version = magic_version & 0xff;
    for (std::size_t i = 1; i < size; i++)
        if (data[i] == magic && (i + 1 == size || data[i + 1] == version))
            return i;
    return size;
}

}  // namespace lightspead
