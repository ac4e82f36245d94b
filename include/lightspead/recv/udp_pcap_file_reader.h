/**
 * @file
 * Reading UDP packets from a pcap capture file.
 */
#ifndef LIGHTSPEAD_RECV_UDP_PCAP_FILE_READER_H
#define LIGHTSPEAD_RECV_UDP_PCAP_FILE_READER_H

#include <cstddef>
#include <memory>
#include <string>
#include <lightspead/recv/yielding_reader.h>

namespace lightspead::recv
{

/**
 * Feeds the UDP payloads of a pcap file (Ethernet or Linux "cooked"
 * captures, IPv4 or IPv6, with or without VLAN tags) to the stream as
 * datagrams, then stops the stream. Frames that are not UDP, or are cut
 * short by the capture's snap length, are skipped; an optional BPF
 * @a filter (e.g. "udp port 7148") selects packets. A record libpcap
 * cannot read (a length beyond the largest snapshot length, a file cut
 * short) ends the input there, as records are framed only by their
 * lengths: it is counted in the @c read_errors discard statistic and
 * logged as a warning with libpcap's reason, and the stream stops.
 *
 * @throws std::runtime_error if the file cannot be opened or the filter
 * does not compile.
 */
class udp_pcap_file_reader : public yielding_reader
{
private:
    struct pcap_state;
    std::unique_ptr<pcap_state> state;

    bool next_packet(stream::batch &batch) override;

public:
    /// Feed @a owner the UDP payloads of the capture @a filename that pass the BPF @a filter (all if empty), then stop.
    udp_pcap_file_reader(stream &owner, const std::string &filename, const std::string &filter = "");
    ~udp_pcap_file_reader() override;
};

}  // namespace lightspead::recv

#endif  // LIGHTSPEAD_RECV_UDP_PCAP_FILE_READER_H
