// Fuzz the pcap reader end to end. Input: a capture file, as written to
// disk (libpcap reads it back; the seeds are captures of SPEAD streams).
//
// Invariants: the stream ends (a reader that stopped reading without
// stopping the stream would hang here); nothing outside what libpcap hands
// over is read (ASan); every datagram fed is accepted or discarded for a
// reason; no more datagrams than records; and a record libpcap cannot read
// is counted in read_errors exactly when libpcap's own walk of the file
// ends in an error, never silently.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <utility>  // Boost 1.74 Asio needs it in C++20
#include <pcap/pcap.h>
#include <unistd.h>
#include <lightspead/common/thread_pool.h>
#include <lightspead/recv/ring_stream.h>
#include <lightspead/recv/stream_config.h>
#include <lightspead/recv/udp_pcap_file_reader.h>
#include "fuzz_main.h"
#include "stream_checks.h"

namespace
{

// How libpcap's own walk of the file ends: (records read, ended in an error).
std::pair<std::size_t, bool> walk_with_libpcap(const std::string &path)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *handle = pcap_open_offline(path.c_str(), errbuf);
    if (!handle)
        return {0, false};
    pcap_pkthdr *header;
    const u_char *data;
    std::size_t records = 0;
    int status;
    while ((status = pcap_next_ex(handle, &header, &data)) == 1)
        records++;
    pcap_close(handle);
    return {records, status != PCAP_ERROR_BREAK};
}

}  // anonymous namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    using namespace lightspead;
    static const std::string path = (std::filesystem::temp_directory_path()
                                     / ("lightspead_fuzz_pcap_" + std::to_string(getpid()) + ".pcap"))
                                        .string();
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char *>(data), std::streamsize(size));
    }
    const auto [records, failed] = walk_with_libpcap(path);
    static thread_pool pool;
    // Only the reader ends the stream (not a stop item inside the capture)
    recv::ring_stream receiver(pool, recv::stream_config().set_stop_on_stop_item(false));
    try
    {
        receiver.emplace_reader<recv::udp_pcap_file_reader>(path);
    }
    catch (const std::runtime_error &)
    {
        // Not a capture libpcap opens
        FUZZ_CHECK(records == 0 && !failed);
        std::remove(path.c_str());
        return 0;
    }
    for ([[maybe_unused]] const auto &heap : receiver)
    {
    }
    const auto stats = receiver.get_stats();
    check_packets_accounted(receiver, stats[recv::stat_packets]);
    FUZZ_CHECK(stats[recv::stat_packets] <= records);
    FUZZ_CHECK(receiver.get_discard_stats()[recv::stat_read_errors] == (failed ? 1u : 0u));
    std::remove(path.c_str());
    return 0;
}
