// Finding the UDP payload in captured frames (the pcap reader's parser).
#include <cstdint>
#include <string>
#include <vector>
#include <gtest/gtest.h>
#include <lightspead/protocol/captured_frame.h>

using namespace lightspead;
using bytes = std::vector<std::uint8_t>;

namespace
{

const bytes payload{'s', 'p', 'e', 'a', 'd', '!'};

void put16(bytes &out, std::uint16_t v)
{
    out.push_back(std::uint8_t(v >> 8));
    out.push_back(std::uint8_t(v));
}

bytes udp_part()
{
    bytes out;
    put16(out, 7148);
    put16(out, 7149);
    put16(out, std::uint16_t(8 + payload.size()));
    put16(out, 0);  // checksum: not checked
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

bytes ipv4(std::uint8_t protocol = 17, std::uint16_t flags_fragment = 0x4000, int ihl_words = 5)
{
    const bytes udp = udp_part();
    bytes out{std::uint8_t(0x40 | ihl_words), 0};
    put16(out, std::uint16_t(4 * ihl_words + udp.size()));
    put16(out, 0);
    put16(out, flags_fragment);  // don't-fragment set: not a fragment
    out.push_back(64);
    out.push_back(protocol);
    put16(out, 0);
    for (int i = 0; i < 8; i++)
        out.push_back(std::uint8_t(127 - i));
    out.resize(4 * std::max(ihl_words, 5), 0);  // options, if any
    out.insert(out.end(), udp.begin(), udp.end());
    return out;
}

bytes ipv6(std::uint8_t next_header = 17)
{
    const bytes udp = udp_part();
    bytes out{0x60, 0, 0, 0};
    put16(out, std::uint16_t(udp.size()));
    out.push_back(next_header);
    out.push_back(64);
    out.resize(40, 0);  // addresses
    out.insert(out.end(), udp.begin(), udp.end());
    return out;
}

bytes ethernet(const bytes &ip, std::uint16_t ethertype, std::vector<std::uint16_t> tags = {})
{
    bytes out(12, 0xaa);
    for (auto tpid : tags)
    {
        put16(out, tpid);
        put16(out, 100);  // VLAN ID
    }
    put16(out, ethertype);
    out.insert(out.end(), ip.begin(), ip.end());
    return out;
}

bytes cooked(const bytes &ip, std::uint16_t protocol)
{
    bytes out(14, 0);
    put16(out, protocol);
    out.insert(out.end(), ip.begin(), ip.end());
    return out;
}

void expect_payload(int link, const bytes &frame)
{
    const auto r = decode_captured_frame(link, frame.data(), frame.size());
    ASSERT_TRUE(r) << to_string(r.status);
    EXPECT_EQ(bytes(r.payload, r.payload + r.payload_size), payload);
    EXPECT_EQ(r.payload + r.payload_size, frame.data() + frame.size());
}

frame_status status(int link, const bytes &frame)
{
    return decode_captured_frame(link, frame.data(), frame.size()).status;
}

constexpr int eth = int(link_type::ethernet);

}  // anonymous namespace

TEST(captured_frame, finds_udp_payload_in_every_supported_framing)
{
    expect_payload(eth, ethernet(ipv4(), 0x0800));
    expect_payload(eth, ethernet(ipv6(), 0x86dd));
    expect_payload(eth, ethernet(ipv4(), 0x0800, {0x8100}));
    expect_payload(eth, ethernet(ipv6(), 0x86dd, {0x88a8, 0x8100}));
    expect_payload(int(link_type::linux_cooked), cooked(ipv4(), 0x0800));
    expect_payload(int(link_type::linux_cooked), cooked(ipv6(), 0x86dd));
    expect_payload(int(link_type::raw_ip), ipv4());
    expect_payload(int(link_type::raw_ip), ipv6());
    expect_payload(eth, ethernet(ipv4(17, 0x4000, 7), 0x0800));  // IPv4 options
}

TEST(captured_frame, trailing_bytes_after_the_datagram_are_ignored)
{
    bytes frame = ethernet(ipv4(), 0x0800);
    frame.resize(frame.size() + 10, 0);  // Ethernet padding
    const auto r = decode_captured_frame(eth, frame.data(), frame.size());
    ASSERT_TRUE(r);
    EXPECT_EQ(bytes(r.payload, r.payload + r.payload_size), payload);
}

TEST(captured_frame, reports_each_defect)
{
    EXPECT_EQ(status(eth, ethernet(ipv4(6), 0x0800)), frame_status::not_udp);
    EXPECT_EQ(status(eth, ethernet(ipv6(0), 0x86dd)), frame_status::not_udp);  // hop-by-hop header
    EXPECT_EQ(status(eth, ethernet(ipv4(), 0x0806)), frame_status::not_ip);    // ARP
    EXPECT_EQ(status(eth, ethernet(ipv6(), 0x0800)), frame_status::not_ip);    // says IPv4, is not
    EXPECT_EQ(status(eth, ethernet(ipv4(17, 0x2000), 0x0800)), frame_status::fragment);
    EXPECT_EQ(status(eth, ethernet(ipv4(17, 0x0010), 0x0800)), frame_status::fragment);
    EXPECT_EQ(status(eth, ethernet(ipv4(17, 0x4000, 4), 0x0800)), frame_status::bad_ip_header);
    EXPECT_EQ(status(105, ethernet(ipv4(), 0x0800)), frame_status::unsupported_link_type);
    EXPECT_EQ(status(-1, ethernet(ipv4(), 0x0800)), frame_status::unsupported_link_type);
    bytes short_udp = ethernet(ipv4(), 0x0800);
    short_udp[14 + 20 + 4] = 0;
    short_udp[14 + 20 + 5] = 7;  // UDP length 7
    EXPECT_EQ(status(eth, short_udp), frame_status::bad_udp_length);
}

TEST(captured_frame, every_truncation_is_refused)
{
    for (const auto &[link, frame] :
         std::vector<std::pair<int, bytes>>{{eth, ethernet(ipv4(), 0x0800, {0x8100})},
                                            {eth, ethernet(ipv6(), 0x86dd)},
                                            {int(link_type::linux_cooked), cooked(ipv4(), 0x0800)},
                                            {int(link_type::raw_ip), ipv6()}})
    {
        for (std::size_t n = 0; n < frame.size(); n++)
        {
            // A copy of exactly n bytes, so a read past them is a sanitizer error.
            const bytes cut(frame.begin(), frame.begin() + n);
            const auto r = decode_captured_frame(link, cut.data(), cut.size());
            EXPECT_EQ(r.status, frame_status::truncated) << "link " << link << ", " << n << " bytes";
        }
    }
}

TEST(captured_frame, statuses_have_descriptions)
{
    for (int s = int(frame_status::ok); s <= int(frame_status::bad_udp_length); s++)
        EXPECT_NE(std::string(to_string(frame_status(s))), "unknown frame status");
}
