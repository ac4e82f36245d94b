#include <lightspead/protocol/captured_frame.h>

namespace lightspead
{

namespace
{

constexpr std::uint16_t ethertype_ipv4 = 0x0800;
constexpr std::uint16_t ethertype_ipv6 = 0x86dd;
constexpr std::uint16_t ethertype_vlan = 0x8100;  // 802.1Q
constexpr std::uint16_t ethertype_qinq = 0x88a8;  // 802.1ad
constexpr std::uint8_t ip_protocol_udp = 17;
constexpr std::size_t ethernet_header = 14;
constexpr std::size_t vlan_tag = 4;
constexpr std::size_t cooked_header = 16;
constexpr std::size_t ipv4_min_header = 20;
constexpr std::size_t ipv6_header = 40;
constexpr std::size_t udp_header = 8;

std::uint16_t load16(const std::uint8_t *p) noexcept
{
    return std::uint16_t(p[0] << 8 | p[1]);
}

captured_udp fail(frame_status status) noexcept
{
    captured_udp r;
    r.status = status;
    return r;
}

}  // anonymous namespace

const char *to_string(frame_status status) noexcept
{
    switch (status)
    {
    case frame_status::ok:
        return "ok";
    case frame_status::unsupported_link_type:
        return "unsupported link-layer type";
    case frame_status::truncated:
        return "frame shorter than its headers (snap length?)";
    case frame_status::not_ip:
        return "not IPv4 or IPv6";
    case frame_status::not_udp:
        return "not UDP";
    case frame_status::fragment:
        return "IPv4 fragment";
    case frame_status::bad_ip_header:
        return "IPv4 header length below 20 bytes";
    case frame_status::bad_udp_length:
        return "UDP length below its header";
    }
    return "unknown frame status";
}

captured_udp decode_captured_frame(int link, const std::uint8_t *frame, std::size_t captured) noexcept
{
    // Link layer: where the IP header starts and which IP it is
    std::size_t offset;
    std::uint16_t ethertype;
    switch (link_type(link))
    {
    case link_type::ethernet:
        if (captured < ethernet_header)
            return fail(frame_status::truncated);
        ethertype = load16(frame + 12);
        offset = ethernet_header;
        while (ethertype == ethertype_vlan || ethertype == ethertype_qinq)
        {
            if (captured < offset + vlan_tag)
                return fail(frame_status::truncated);
            ethertype = load16(frame + offset + 2);
            offset += vlan_tag;
        }
        break;
    case link_type::linux_cooked:
        if (captured < cooked_header)
            return fail(frame_status::truncated);
        ethertype = load16(frame + 14);
        offset = cooked_header;
        break;
    case link_type::raw_ip:
        if (captured < 1)
            return fail(frame_status::truncated);
        ethertype = (frame[0] >> 4) == 6 ? ethertype_ipv6 : ethertype_ipv4;
        offset = 0;
        break;
    default:
        return fail(frame_status::unsupported_link_type);
    }

    // IP: where the UDP header starts
    std::size_t udp;
    if (ethertype == ethertype_ipv4)
    {
        if (captured < offset + ipv4_min_header)
            return fail(frame_status::truncated);
        if ((frame[offset] >> 4) != 4)
            return fail(frame_status::not_ip);
        if (frame[offset + 9] != ip_protocol_udp)
            return fail(frame_status::not_udp);
        if ((load16(frame + offset + 6) & 0x3fff) != 0)
            return fail(frame_status::fragment);  // more-fragments flag or an offset
        const std::size_t ihl = std::size_t(frame[offset] & 0xf) * 4;
        if (ihl < ipv4_min_header)
            return fail(frame_status::bad_ip_header);
        udp = offset + ihl;
    }
    else if (ethertype == ethertype_ipv6)
    {
        if (captured < offset + ipv6_header)
            return fail(frame_status::truncated);
        if (frame[offset + 6] != ip_protocol_udp)
            return fail(frame_status::not_udp);
        udp = offset + ipv6_header;
    }
    else
        return fail(frame_status::not_ip);

    // UDP: the payload, all of which must have been captured
    if (captured < udp + udp_header)
        return fail(frame_status::truncated);
    const std::size_t udp_length = load16(frame + udp + 4);
    if (udp_length < udp_header)
        return fail(frame_status::bad_udp_length);
    if (captured < udp + udp_length)
        return fail(frame_status::truncated);
    captured_udp r;
    r.status = frame_status::ok;
    r.payload = frame + udp + udp_header;
    r.payload_size = udp_length - udp_header;
    return r;
}

}  // namespace lightspead
