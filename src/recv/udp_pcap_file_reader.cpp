#include <cstring>
#include <stdexcept>
#include <pcap/pcap.h>
#include <boost/asio/post.hpp>
#include <lightspead/recv/udp_pcap_file_reader.h>

namespace lightspead::recv
{

namespace
{

constexpr std::size_t packets_per_turn = 256;

std::uint16_t load16(const std::uint8_t *p) { return std::uint16_t(p[0] << 8 | p[1]); }

/**
 * The UDP payload of a captured frame, or null. Every length is checked
 * against what the capture holds: a capture file is untrusted input too.
 */
const std::uint8_t *udp_payload(int link_type, const std::uint8_t *frame, std::size_t caplen,
                                std::size_t &payload_len)
{
    std::size_t offset;
    std::uint16_t ethertype;
    if (link_type == DLT_EN10MB)
    {
        if (caplen < 14)
            return nullptr;
        ethertype = load16(frame + 12);
        offset = 14;
        while (ethertype == 0x8100 || ethertype == 0x88a8)     // VLAN tags
        {
            if (caplen < offset + 4)
                return nullptr;
            ethertype = load16(frame + offset + 2);
            offset += 4;
        }
    }
    else if (link_type == DLT_LINUX_SLL)
    {
        if (caplen < 16)
            return nullptr;
        ethertype = load16(frame + 14);
        offset = 16;
    }
    else if (link_type == DLT_RAW)
    {
        if (caplen < 1)
            return nullptr;
        ethertype = (frame[0] >> 4) == 6 ? 0x86dd : 0x0800;
        offset = 0;
    }
    else
        return nullptr;

    std::size_t udp;
    if (ethertype == 0x0800)
    {
        if (caplen < offset + 20 || (frame[offset] >> 4) != 4 || frame[offset + 9] != 17)
            return nullptr;
        const std::size_t ihl = std::size_t(frame[offset] & 0xf) * 4;
        if ((load16(frame + offset + 6) & 0x3fff) != 0)
            return nullptr;         // a fragment: not reassembled here
        udp = offset + ihl;
        if (ihl < 20)
            return nullptr;
    }
    else if (ethertype == 0x86dd)
    {
        if (caplen < offset + 40 || frame[offset + 6] != 17)
            return nullptr;         // extension headers are not followed
        udp = offset + 40;
    }
    else
        return nullptr;
    if (caplen < udp + 8)
        return nullptr;
    const std::size_t udp_len = load16(frame + udp + 4);
    if (udp_len < 8 || caplen < udp + udp_len)
        return nullptr;             // truncated by the snap length
    payload_len = udp_len - 8;
    return frame + udp + 8;
}

} // anonymous namespace

struct udp_pcap_file_reader::pcap_state
{
    pcap_t *handle = nullptr;
    int link_type = 0;

    ~pcap_state()
    {
        if (handle)
            pcap_close(handle);
    }
};

udp_pcap_file_reader::udp_pcap_file_reader(stream &owner, const std::string &filename,
                                           const std::string &filter)
    : reader(owner), state(std::make_unique<pcap_state>())
{
    char errbuf[PCAP_ERRBUF_SIZE];
    state->handle = pcap_open_offline(filename.c_str(), errbuf);
    if (!state->handle)
        throw std::runtime_error("cannot open pcap file " + filename + ": " + errbuf);
    state->link_type = pcap_datalink(state->handle);
    if (!filter.empty())
    {
        bpf_program program;
        if (pcap_compile(state->handle, &program, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0)
            throw std::runtime_error("bad pcap filter '" + filter + "': " + pcap_geterr(state->handle));
        const int status = pcap_setfilter(state->handle, &program);
        pcap_freecode(&program);
        if (status != 0)
            throw std::runtime_error(std::string("cannot set pcap filter: ") + pcap_geterr(state->handle));
    }
}

udp_pcap_file_reader::~udp_pcap_file_reader() = default;

void udp_pcap_file_reader::start()
{
    process_some();
}

void udp_pcap_file_reader::stop()
{
    stopping = true;
}

void udp_pcap_file_reader::process_some()
{
    bool end = false;
    {
        stream::batch batch(get_stream());
        for (std::size_t n = 0; n < packets_per_turn; n++)
        {
            if (stopping || batch.is_stopped())
            {
                end = true;
                break;
            }
            pcap_pkthdr *header;
            const u_char *data;
            const int status = pcap_next_ex(state->handle, &header, &data);
            if (status != 1)
            {
                end = true;     // end of file (or a read error: the file ends there)
                break;
            }
            std::size_t length;
            if (const std::uint8_t *payload = udp_payload(state->link_type, data, header->caplen, length))
                batch.add_datagram(payload, length);
        }
        if (end && !stopping)
            batch.stop_stream();
    }
    if (end)
        finished();
    else
        boost::asio::post(get_strand(), [this] { process_some(); });
}

} // namespace lightspead::recv
