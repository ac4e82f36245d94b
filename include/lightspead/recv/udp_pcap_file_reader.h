/**
 * @file
 * Reading UDP packets from a pcap capture file.
 */
#ifndef LIGHTSPEAD_RECV_UDP_PCAP_FILE_READER_H
#define LIGHTSPEAD_RECV_UDP_PCAP_FILE_READER_H

#include <cstddef>
#include <string>
#include <lightspead/recv/stream.h>

namespace lightspead::recv
{

/**
 * Feeds the UDP payloads of a pcap file (Ethernet or Linux "cooked"
 * captures, IPv4 or IPv6, with or without VLAN tags) to the stream as
 * datagrams, then stops the stream. Frames that are not UDP, or are cut
 * short by the capture's snap length, are skipped; an optional BPF
 * @a filter (e.g. "udp port 7148") selects packets.
 *
 * @throws std::runtime_error if the file cannot be opened or the filter
 * does not compile.
 */
class udp_pcap_file_reader : public reader
{
private:
    struct pcap_state;
    std::unique_ptr<pcap_state> state;
    bool stopping = false;

    void process_some();

public:
    udp_pcap_file_reader(stream &owner, const std::string &filename, const std::string &filter = "");
    ~udp_pcap_file_reader() override;

    void start() override;
    void stop() override;
};

} // namespace lightspead::recv

#endif // LIGHTSPEAD_RECV_UDP_PCAP_FILE_READER_H
