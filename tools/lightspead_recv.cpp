// lightspead-recv: receive SPEAD streams (UDP, TCP or pcap files) and report
// on them. Takes spead2_recv's options; adds interval lines, a summary, JSON
// output and exit codes that say whether anything was lost (docs/tools.md).

#include <atomic>
#include <cstdint>
#include <cstring>
#include <iomanip>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>
#include <boost/asio.hpp>
#include <lightspead/lightspead.h>
#include <CLI/CLI.hpp>

#include "tool_support.h"

namespace
{

using namespace lightspead;
using namespace lightspead::tools;
const char *const program = "lightspead-recv";

struct options : report_options
{
    // Protocol (must match the sender)
    bool tcp = false;
    bool pyspead = false;
    // Receiver
    std::string bind;
    std::size_t packet = 0;  // 0: the transport's default
    std::optional<std::size_t> buffer;
    std::size_t concurrent_heaps = recv::stream_config::default_max_heaps;
    std::size_t substreams = 1;
    std::size_t ring_heaps = recv::ring_stream_config::default_heaps;
    bool mem_pool = false;
    std::size_t mem_lower = 16384;
    std::size_t mem_upper = 32 * 1024 * 1024;
    std::size_t mem_max_free = 12;
    std::size_t mem_initial = 8;
    bool ring = false;
    bool memcpy_nt = false;
    // Output and control (and report_options')
    bool descriptors = false;
    bool values = false;
    bool joint = false;
    int threads = 1;
    bool verify = false;
    std::int64_t max_heaps = -1;
    std::vector<std::string> sources;
};

// What every stream reports into: output, counts, the verification state.
class receiver_state
{
public:
    const options &opts;
    const report_loop::clock::time_point start = report_loop::clock::now();
    std::mutex output_mutex;
    interval_printer printer;
    std::atomic<std::uint64_t> heaps{0};  // complete heaps seen by the tool
    std::atomic<std::uint64_t> bytes{0};  // their payload bytes
    std::atomic<bool> enough{false};      // --max-heaps reached, or verification failed
    std::atomic<bool> verify_failed{false};
    std::atomic<bool> warned_unverifiable{false};

    explicit receiver_state(const options &opts) : opts(opts), printer(std::cout, is_terminal(1)) {}

    bool human() const { return opts.mode() == output_mode::text; }

    void on_heap(const recv::heap &h)
    {
        if (opts.max_heaps >= 0 && heaps.load() >= std::uint64_t(opts.max_heaps))
            return;  // past the count asked for: not reported
        const std::uint64_t n = ++heaps;
        bytes += h.get_payload_size();
        if (!opts.quiet && human())
            show(h);
        if (opts.verify)
            verify(h);
        if (opts.max_heaps >= 0 && n >= std::uint64_t(opts.max_heaps))
        {
            enough = true;
            report_loop::notify();
        }
    }

    void on_incomplete(item_pointer_t cnt)
    {
        if (!opts.quiet && human())
        {
            std::lock_guard<std::mutex> lock(output_mutex);
            printer.clear();
            std::cout << "Discarding incomplete heap " << cnt << '\n';
        }
    }

private:
    void show(const recv::heap &h)
    {
        std::ostringstream o;
        const double elapsed = std::chrono::duration<double>(report_loop::clock::now() - start).count();
        o << "Received heap " << h.get_cnt() << " at " << elapsed << '\n';
        if (opts.descriptors)
        {
            std::vector<std::string> errors;
            for (const descriptor &d : h.get_descriptors(&errors))
            {
                o << "Descriptor for " << d.name << " (0x" << std::hex << d.id << std::dec << ")\n"
                  << "  description: " << d.description << '\n'
                  << "  format:      [";
                for (std::size_t i = 0; i < d.format.size(); i++)
                    o << (i ? ", " : "") << '(' << d.format[i].first << ", " << d.format[i].second << ')';
                o << "]\n  dtype:       " << d.numpy_header << "\n  shape:       (";
                for (std::size_t i = 0; i < d.shape.size(); i++)
                {
                    o << (i ? ", " : "");
                    if (d.shape[i] < 0)
                        o << '?';
                    else
                        o << d.shape[i];
                }
                o << ")\n";
            }
            for (const std::string &e : errors)
                o << "Descriptor not decoded: " << e << '\n';
        }
        for (const recv::item &item : h.get_items())
        {
            o << "0x" << std::hex << item.id << std::dec << " = [" << item.length << " bytes]";
            if (item.is_immediate)
                o << " = 0x" << std::hex << item.immediate_value << std::dec;
            else if (opts.values)
            {
                // The first bytes in hex; the rest summarised
                const std::size_t shown = std::min<std::size_t>(item.length, 32);
                o << " =" << std::hex << std::setfill('0');
                for (std::size_t i = 0; i < shown; i++)
                    o << ' ' << std::setw(2) << unsigned(item.ptr[i]);
                o << std::dec << std::setfill(' ');
                if (shown < item.length)
                    o << " ...";
            }
            o << '\n';
        }
        std::lock_guard<std::mutex> lock(output_mutex);
        printer.clear();
        std::cout << o.str();
    }

    void fail(const std::string &message)
    {
        if (!verify_failed.exchange(true))
            print_error(program, message);
        enough = true;
        report_loop::notify();
    }

    void verify(const recv::heap &h)
    {
        std::size_t data_items = 0;
        std::size_t words = 0;
        for (const recv::item &item : h.get_items())
            if (item.id >= 0x1000)
            {
                if (data_items == 0)
                    words = item.length / 4;
                data_items++;
            }
        if (data_items == 0)
        {
            if (!h.is_end_of_stream() && !warned_unverifiable.exchange(true))
                std::cerr << program << ": warning: heap " << h.get_cnt()
                          << " has no items to verify (IDs from 0x1000) and does not end the stream\n";
            return;
        }
        if (h.get_cnt() < 1)
        {
            fail("heap " + std::to_string(h.get_cnt()) + " cannot be verified: counters start at 1");
            return;
        }
        auto sequence = verify_sequence::at(std::uint64_t(words) * data_items * std::uint64_t(h.get_cnt() - 1));
        for (const recv::item &item : h.get_items())
        {
            if (item.id < 0x1000)
                continue;
            if (item.length != words * 4)
            {
                std::ostringstream o;
                o << "verification failed: heap " << h.get_cnt() << ", item 0x" << std::hex << item.id << std::dec
                  << " has " << item.length << " bytes where the first item has " << words * 4;
                fail(o.str());
                return;
            }
            for (std::size_t i = 0; i < words; i++)
            {
                const std::uint32_t expected = sequence.next();
                const std::uint32_t actual = std::uint32_t(item.ptr[4 * i]) << 24
                    | std::uint32_t(item.ptr[4 * i + 1]) << 16 | std::uint32_t(item.ptr[4 * i + 2]) << 8
                    | item.ptr[4 * i + 3];
                if (expected != actual)
                {
                    std::ostringstream o;
                    o << "verification failed: heap " << h.get_cnt() << ", item 0x" << std::hex << item.id << std::dec
                      << ", word " << i << ": expected 0x" << std::hex << expected << ", got 0x" << actual;
                    fail(o.str());
                    return;
                }
            }
        }
    }
};

// A stream that hands each heap to the state from the network thread (spead2_recv's default).
class callback_stream : public recv::stream
{
private:
    receiver_state &state;
    std::atomic<bool> ended{false};

    void heap_ready(recv::live_heap &&h) override
    {
        if (h.is_complete())
            state.on_heap(recv::heap(std::move(h), get_config().get_bug_compat()));
        else
            state.on_incomplete(h.get_cnt());
    }

    void stop_received() override
    {
        recv::stream::stop_received();
        ended = true;
        report_loop::notify();
    }

public:
    callback_stream(receiver_state &state, thread_pool &pool, const recv::stream_config &config)
        : recv::stream(pool, config), state(state)
    {
    }

    ~callback_stream() override
    {
        detach_from_pool();
        stop();
    }

    bool has_ended() const { return ended; }
};

// A ring stream with a consumer thread of its own (--ring).
struct ring_consumer
{
    std::unique_ptr<recv::ring_stream<>> stream;
    std::thread consumer;
    std::atomic<bool> ended{false};

    ring_consumer(receiver_state &state, thread_pool &pool, const recv::stream_config &config,
                  const recv::ring_stream_config &ring_config)
        : stream(std::make_unique<recv::ring_stream<>>(pool, config, ring_config))
    {
        consumer = std::thread(
            [this, &state]
            {
                for (const recv::heap &h : *stream)
                    state.on_heap(h);
                ended = true;
                report_loop::notify();
            });
    }

    /// Stop the stream and wait for the consumer to drain it.
    void join()
    {
        stream->stop();
        if (consumer.joinable())
            consumer.join();
    }

    ~ring_consumer() { join(); }
};

void add_reader(recv::stream &s, const std::string &source, const options &opts)
{
    const std::optional<endpoint_text> ep = parse_endpoint(source, true);
    if (!ep)
    {
        // Not [host:]port: a pcap file, as with spead2_recv
        if (opts.tcp)
            throw std::invalid_argument("'" + source + "' is not [host:]port (a pcap file cannot be read with --tcp)");
        const auto colon = source.rfind(':');
        const bool looks_like_port = colon != std::string::npos && colon + 1 < source.size()
            && source.find_first_not_of("0123456789", colon + 1) == std::string::npos;
        try
        {
            s.emplace_reader<recv::udp_pcap_file_reader>(source);
        }
        catch (const std::exception &e)
        {
            if (looks_like_port)
                throw std::invalid_argument("'" + source + "' is not [host:]port (ports go up to 65535) "
                                            + "and not a pcap file either");
            throw;
        }
        return;
    }
    const boost::asio::ip::address address = resolve_host(ep->host);
    if (opts.tcp)
    {
        const std::size_t packet = opts.packet ? opts.packet : recv::tcp_reader::default_max_size;
        s.emplace_reader<recv::tcp_reader>(boost::asio::ip::tcp::endpoint(address, ep->port), packet,
                                           opts.buffer.value_or(recv::tcp_reader::default_buffer_size));
        return;
    }
    const std::size_t packet = opts.packet ? opts.packet : recv::udp_reader::default_max_size;
    const std::size_t buffer = opts.buffer.value_or(recv::udp_reader::default_buffer_size);
    boost::asio::ip::udp::endpoint endpoint(address, ep->port);
    if (!opts.bind.empty())
    {
        const boost::asio::ip::address bind = resolve_host(opts.bind);
        if (address.is_multicast() && address.is_v4() && bind.is_v4())
        {
            s.emplace_reader<recv::udp_reader>(endpoint, packet, buffer, bind);
            return;
        }
        if (address.is_multicast())
            throw std::invalid_argument("--bind " + opts.bind + " cannot select the interface for " + source
                                        + " (only IPv4 multicast takes an interface address)");
        if (!address.is_unspecified())
            throw std::invalid_argument("--bind applies to multicast sources and to sources given as a port only, not "
                                        + source);
        endpoint = boost::asio::ip::udp::endpoint(bind, ep->port);  // listen on that address only
    }
    s.emplace_reader<recv::udp_reader>(endpoint, packet, buffer);
}

recv::stream_config make_config(const options &opts, std::size_t index)
{
    recv::stream_config config;
    config.set_max_heaps(opts.concurrent_heaps);
    config.set_substreams(opts.substreams);
    config.set_bug_compat(opts.pyspead ? BUG_COMPAT_PYSPEAD_0_5_2 : 0);
    if (opts.memcpy_nt)  // otherwise the library's default (streaming stores for large heaps)
        config.set_memcpy(MEMCPY_NONTEMPORAL);
    config.set_stream_id(index);
    if (opts.mem_pool)
        config.set_memory_allocator(
            std::make_shared<memory_pool>(opts.mem_lower, opts.mem_upper, opts.mem_max_free, opts.mem_initial));
    return config;
}

int parse(int argc, char **argv, options &opts)
{
    CLI::App app("Receive SPEAD streams and report what arrived.", program);
    app.get_formatter()->column_width(34);
    app.footer("Sources are [host:]port (UDP, or TCP with --tcp) or pcap files. Exit codes: 0 finished with "
               "nothing lost; 1 runtime error (a socket, a file, a failed --verify); 2 bad command line; 3 heaps "
               "or packets were lost (incomplete heaps, heaps dropped, kernel drops).");
    app.add_option("source", opts.sources, "Sources: [host:]port or a pcap file")->required();
    app.add_flag("--tcp", opts.tcp, "Use TCP instead of UDP");
    app.add_flag("--pyspead", opts.pyspead, "Be bug-compatible with PySPEAD");
    app.add_option("--bind", opts.bind, "Interface address (multicast), or the address to listen on");
    app.add_option("--packet", opts.packet, "Maximum packet size to accept [9200 UDP, 65536 TCP]")
        ->check(CLI::PositiveNumber);
    app.add_option("--buffer", opts.buffer, "Socket buffer size [32 MiB for UDP, 8 MiB for TCP]");
    app.add_option("--concurrent-heaps", opts.concurrent_heaps, "Maximum in-flight heaps, per substream")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--substreams", opts.substreams, "Number of parallel substreams")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--ring-heaps", opts.ring_heaps, "Ring buffer capacity in heaps")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_flag("--mem-pool", opts.mem_pool, "Use a memory pool");
    app.add_option("--mem-lower", opts.mem_lower, "Minimum allocation which will use the memory pool")
        ->capture_default_str();
    app.add_option("--mem-upper", opts.mem_upper, "Maximum allocation which will use the memory pool")
        ->capture_default_str();
    app.add_option("--mem-max-free", opts.mem_max_free, "Maximum free memory buffers")->capture_default_str();
    app.add_option("--mem-initial", opts.mem_initial, "Initial free memory buffers")->capture_default_str();
    app.add_flag("--ring", opts.ring, "Use a ringbuffer instead of callbacks");
    app.add_flag("--memcpy-nt", opts.memcpy_nt, "Use non-temporal memcpy");
    app.add_flag("--descriptors", opts.descriptors, "Show descriptors");
    app.add_flag("--values", opts.values, "Show item values (immediates; the first 32 bytes of others)");
    app.add_flag("--joint", opts.joint, "Treat all sources as a single stream");
    app.add_option("--threads", opts.threads, "Number of worker threads")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_flag("--verify", opts.verify, "Verify payload (send with lightspead-send or spead2_send --verify)");
    app.add_option("--max-heaps", opts.max_heaps, "Stop after this many heaps [no limit]")
        ->check(CLI::NonNegativeNumber);
    opts.add_to(app, "Show no line per heap (interval lines and the summary remain)",
                "Stop after this many seconds [until the streams end]");
    if (const auto rc = parse_command_line(app, argc, argv, program))
        return *rc;
    if (opts.buffer && *opts.buffer == 0)
        opts.buffer.reset();
    return -1;
}

std::vector<std::pair<std::string, std::uint64_t>> to_pairs(const recv::stream_stats &stats)
{
    std::vector<std::pair<std::string, std::uint64_t>> out;
    for (const auto &[name, value] : stats)
        out.emplace_back(name, value);
    return out;
}

// Sum of several streams' statistics (or the one stream's).
struct totals
{
    std::vector<std::pair<std::string, std::uint64_t>> stats, discards;

    std::uint64_t get(const std::string &name) const
    {
        for (const auto *list : {&stats, &discards})
            for (const auto &[n, v] : *list)
                if (n == name)
                    return v;
        return 0;
    }
};

void add_into(std::vector<std::pair<std::string, std::uint64_t>> &sum,
              const std::vector<std::pair<std::string, std::uint64_t>> &more)
{
    if (sum.empty())
    {
        sum = more;
        return;
    }
    for (std::size_t i = 0; i < sum.size() && i < more.size(); i++)
        sum[i].second = sum[i].first == "max_batch" ? std::max(sum[i].second, more[i].second)
                                                    : sum[i].second + more[i].second;
}

}  // namespace

int main(int argc, char **argv)
{
    options opts;
    if (const int rc = parse(argc, argv, opts); rc >= 0)
        return rc;
    report_loop::block_signals();  // before any thread starts: SIGINT/SIGTERM reach only the report loop
    receiver_state state(opts);
    thread_pool pool(opts.threads);  // outlives the streams
    std::vector<std::unique_ptr<callback_stream>> callback_streams;
    std::vector<std::unique_ptr<ring_consumer>> ring_streams;
    std::vector<recv::stream *> streams;
    int rc = EXIT_OK;
    try
    {
        std::vector<std::vector<std::string>> groups;
        if (opts.joint)
            groups.push_back(opts.sources);
        else
            for (const std::string &s : opts.sources)
                groups.push_back({s});
        for (std::size_t i = 0; i < groups.size(); i++)
        {
            const recv::stream_config config = make_config(opts, i);
            recv::stream *s;
            if (opts.ring)
            {
                ring_streams.push_back(std::make_unique<ring_consumer>(
                    state, pool, config, recv::ring_stream_config().set_heaps(opts.ring_heaps)));
                s = ring_streams.back()->stream.get();
            }
            else
            {
                callback_streams.push_back(std::make_unique<callback_stream>(state, pool, config));
                s = callback_streams.back().get();
            }
            streams.push_back(s);
            for (const std::string &source : groups[i])
                add_reader(*s, source, opts);
        }

        auto totals_now = [&]
        {
            totals t;
            for (recv::stream *s : streams)
            {
                add_into(t.stats, to_pairs(s->get_stats()));
                add_into(t.discards, to_pairs(s->get_discard_stats()));
            }
            return t;
        };
        auto all_ended = [&]
        {
            for (const auto &s : callback_streams)
                if (!s->has_ended())
                    return false;
            for (const auto &s : ring_streams)
                if (!s->ended)
                    return false;
            return true;
        };

        totals previous = totals_now();
        std::uint64_t previous_bytes = 0;
        auto on_interval = [&](double from, double to)
        {
            const totals now = totals_now();
            const std::uint64_t bytes = state.bytes.load();
            const std::uint64_t d_bytes = bytes - previous_bytes;
            const double rate = to > from ? double(d_bytes) / (to - from) : 0.0;
            std::vector<std::pair<std::string, std::uint64_t>> moved;
            for (std::size_t i = 0; i < now.discards.size(); i++)
                if (now.discards[i].first != "packets_accepted"
                    && now.discards[i].second != previous.discards[i].second)
                    moved.emplace_back(now.discards[i].first, now.discards[i].second - previous.discards[i].second);
            for (const char *name : {"incomplete_heaps_evicted", "incomplete_heaps_flushed"})
                if (now.get(name) != previous.get(name))
                    moved.emplace_back(name, now.get(name) - previous.get(name));
            const std::uint64_t d_heaps = now.get("heaps") - previous.get("heaps");
            const std::uint64_t d_packets = now.get("packets") - previous.get("packets");
            if (opts.mode() == output_mode::json_stream)
            {
                json_writer j = report_options::begin_interval(from, to);
                j.field("bytes", d_bytes)
                    .field("bytes_per_second", rate)
                    .field("heaps", d_heaps)
                    .field("packets", d_packets)
                    .counters("discards", moved)
                    .end_object();
                std::lock_guard<std::mutex> lock(state.output_mutex);
                std::cout << j.str() << '\n' << std::flush;
            }
            else if (opts.mode() == output_mode::text)
            {
                char head[64];
                std::snprintf(head, sizeof(head), "[%7.2f-%7.2f s] ", from, to);
                std::ostringstream o;
                o << head << std::setw(10) << format_bytes(double(d_bytes)) << "  " << std::setw(12)
                  << format_bits_rate(rate) << "  " << d_heaps << " heaps  " << d_packets << " packets";
                for (const auto &[name, value] : moved)
                    o << "  " << name << " +" << value;
                std::lock_guard<std::mutex> lock(state.output_mutex);
                state.printer.line(o.str());
            }
            previous = now;
            previous_bytes = bytes;
        };

        const int sig = report_loop::run(
            state.start, opts.interval, [&] { return all_ended() || state.enough.load(); }, on_interval, opts.duration);
        const double elapsed = std::chrono::duration<double>(report_loop::clock::now() - state.start).count();
        const char *reason = sig  ? "signal"
            : state.verify_failed ? "verify_failed"
            : state.enough        ? "max_heaps"
            : all_ended()         ? "end_of_streams"
                                  : "duration";
        // Stop everything before the final figures, so that the last batch of statistics is in.
        for (recv::stream *s : streams)
            s->stop();
        for (const auto &r : ring_streams)
            r->join();
        const totals final_totals = totals_now();
        const std::uint64_t heaps = state.heaps.load(), bytes = state.bytes.load();
        const std::uint64_t lost = final_totals.get("incomplete_heaps_evicted")
            + final_totals.get("incomplete_heaps_flushed") + final_totals.get("heaps_dropped")
            + final_totals.get("kernel_dropped");
        rc = state.verify_failed ? EXIT_ERROR : lost ? EXIT_LOST : EXIT_OK;
        const double rate = elapsed > 0 ? double(bytes) / elapsed : 0.0;
        if (opts.mode() == output_mode::text)
        {
            std::lock_guard<std::mutex> lock(state.output_mutex);
            state.printer.finish();
            // spead2_recv's lines first, so that scripts reading them keep working
            std::cout << "Received " << heaps << " heaps\n";
            for (const auto &[name, value] : final_totals.stats)
                std::cout << name << ": " << value << '\n';
            for (const auto &[name, value] : final_totals.discards)
                std::cout << name << ": " << value << '\n';
            std::cout << "Received " << bytes << " bytes in " << elapsed << " seconds, " << format_bits_rate(rate)
                      << " (stopped by: " << reason << ")\n";
            if (lost)
                std::cout << "Lost: " << lost
                          << " (incomplete heaps, heaps dropped and datagrams the kernel dropped)\n";
        }
        else
        {
            json_writer j = opts.begin_summary(program);
            j.field("elapsed_s", elapsed)
                .field("heaps", heaps)
                .field("bytes", bytes)
                .field("bytes_per_second", rate)
                .field("stopped_by", reason)
                .field("lost", lost)
                .field("verify", opts.verify)
                .field("verify_failed", state.verify_failed.load())
                .counters("stats", final_totals.stats)
                .counters("discards", final_totals.discards)
                .field("exit_code", rc)
                .end_object();
            std::cout << j.str() << '\n' << std::flush;
        }
        streams.clear();
        ring_streams.clear();
        callback_streams.clear();
    }
    catch (const std::exception &e)
    {
        print_error(program, e.what());
        return EXIT_ERROR;
    }
    return rc;
}
