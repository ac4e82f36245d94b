#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <pcap/pcap.h>
#include <lightspead/common/logging.h>
#include <lightspead/protocol/captured_frame.h>
#include <lightspead/recv/udp_pcap_file_reader.h>

namespace lightspead::recv
{

// The protocol layer numbers link types as libpcap does on Linux.
static_assert(int(link_type::ethernet) == DLT_EN10MB);
static_assert(int(link_type::raw_ip) == DLT_RAW);
static_assert(int(link_type::linux_cooked) == DLT_LINUX_SLL);

struct udp_pcap_file_reader::pcap_state
{
    pcap_t *handle = nullptr;
    int link_type = 0;
    std::string filename;
    std::uint64_t records = 0;  // records libpcap returned (after the filter)

    ~pcap_state()
    {
        if (handle)
            pcap_close(handle);
    }
};

udp_pcap_file_reader::udp_pcap_file_reader(stream &owner, const std::string &filename, const std::string &filter)
    : yielding_reader(owner), state(std::make_unique<pcap_state>())
{
    char errbuf[PCAP_ERRBUF_SIZE];
    state->handle = pcap_open_offline(filename.c_str(), errbuf);
    if (!state->handle)
        throw std::runtime_error("cannot open pcap file " + filename + ": " + errbuf);
    state->link_type = pcap_datalink(state->handle);
    state->filename = filename;
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

bool udp_pcap_file_reader::next_packet(stream::batch &batch)
{
    pcap_pkthdr *header;
    const u_char *data;
    const int status = pcap_next_ex(state->handle, &header, &data);
    if (status == PCAP_ERROR_BREAK)
        return false;  // end of the file
    if (status != 1)
    {
        // A record libpcap cannot read: a length beyond any snapshot
        // length, a file cut short. Records are framed only by their
        // lengths, so nothing after it can be trusted: the input ends
        // here, counted and said once (this reader stops).
        std::string where;
        if (std::FILE *f = pcap_file(state->handle))
            where = " near byte " + std::to_string(std::ftell(f));
        batch.read_error();
        log_warning("pcap file " + state->filename + ": unreadable record" + where + ", after "
                    + std::to_string(state->records) + " good ones: " + pcap_geterr(state->handle)
                    + "; the rest of the file is ignored and the stream stops");
        return false;
    }
    state->records++;
    // Frames that are not whole UDP datagrams are skipped, uncounted: a
    // capture holds other traffic too.
    if (const auto udp = decode_captured_frame(state->link_type, data, header->caplen))
        batch.add_datagram(udp.payload, udp.payload_size);
    return true;
}

}  // namespace lightspead::recv
