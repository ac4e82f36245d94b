// lightspead-send: send a stream of test heaps (UDP or TCP) as fast as asked.
// Takes spead2_send's options; adds interval lines, a summary, JSON output
// and a clean end on a signal or after --duration (docs/tools.md).

#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <future>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
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
const char *const program = "lightspead-send";

struct options : report_options
{
    // Data
    std::size_t heap_size = 4194304;
    std::size_t items = 1;
    std::int64_t heaps = -1;
    bool verify = false;
    std::size_t descriptors = 0;  // resend descriptors every N heaps (0: only the first heap per substream)
    // Protocol (must match the receiver)
    bool tcp = false;
    bool pyspead = false;
    // Sender
    int addr_bits = flavour().get_heap_address_bits();
    std::size_t packet = send::stream_config::default_max_packet_size;
    std::string bind;
    std::optional<std::size_t> buffer;
    std::size_t burst = send::stream_config::default_burst_size;
    double burst_rate_ratio = send::stream_config::default_burst_rate_ratio;
    std::size_t max_heaps = send::stream_config::default_max_heaps;
    send::rate_method method = send::stream_config::default_rate_method;
    double rate = 0.0;  // Gb/s
    int ttl = 1;
    int threads = 1;
    std::vector<std::string> destinations;
};

int parse(int argc, char **argv, options &opts)
{
    CLI::App app("Send a stream of test heaps.", program);
    app.get_formatter()->column_width(34);
    app.footer("Destinations are host:port ([v6]:port for IPv6); heaps go round-robin over several. Ends with "
               "one end-of-stream heap per destination after --heaps, --duration or SIGINT/SIGTERM. Exit codes: "
               "0 sent; 1 runtime error (a socket, a refused connection, a failed send); 2 bad command line.");
    app.add_option("destination", opts.destinations, "Destinations: host:port")->required();
    app.add_option("--heap-size", opts.heap_size, "Payload size for heap")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--items", opts.items, "Number of items per heap")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--heaps", opts.heaps, "Number of data heaps to send (-1: until stopped)")
        ->capture_default_str()
        ->check(CLI::Range(std::int64_t(-1), std::numeric_limits<std::int64_t>::max()));
    app.add_flag("--verify", opts.verify, "Insert payload values that lightspead-recv --verify checks");
    app.add_option("--descriptors", opts.descriptors, "Resend descriptors every N heaps [only at start]");
    app.add_flag("--tcp", opts.tcp, "Use TCP instead of UDP");
    app.add_flag("--pyspead", opts.pyspead, "Be bug-compatible with PySPEAD");
    app.add_option("--addr-bits", opts.addr_bits, "Heap address bits")->capture_default_str()->check(CLI::Range(8, 56));
    app.add_option("--packet", opts.packet, "Maximum packet size to send")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--bind", opts.bind, "Local address to bind sockets to");
    app.add_option("--buffer", opts.buffer, "Socket buffer size [512 KiB UDP, system default TCP]");
    app.add_option("--burst", opts.burst, "Burst size")->capture_default_str()->check(CLI::PositiveNumber);
    app.add_option("--burst-rate-ratio", opts.burst_rate_ratio, "Hard rate limit, relative to --rate")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 1e9));
    app.add_option("--max-heaps", opts.max_heaps, "Maximum heaps in flight")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    std::string method = "AUTO";
    app.add_option("--rate-method", method, "Rate limiting method (SW/HW/AUTO; all pace in software here)")
        ->capture_default_str()
        ->check(CLI::IsMember({"SW", "HW", "AUTO"}, CLI::ignore_case));
    app.add_option("--rate", opts.rate, "Transmission rate bound in Gb/s (0: no limit)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    app.add_option("--ttl", opts.ttl, "TTL (hop limit) for multicast destinations")
        ->capture_default_str()
        ->check(CLI::Range(0, 255));
    app.add_option("--threads", opts.threads, "Number of worker threads")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    opts.add_to(app, "No interval lines, only the summary", "Stop sending after this many seconds");
    if (const auto rc = parse_command_line(
            app, argc, argv, program,
            [&]
            {
                if (opts.tcp && opts.destinations.size() > 1)
                    throw CLI::ValidationError("destination", "only one destination is supported with --tcp");
                for (const std::string &d : opts.destinations)
                    if (!parse_endpoint(d, false))
                        throw CLI::ValidationError("destination",
                                                   "'" + d + "' is not host:port with a port from 0 to 65535");
                if (opts.items * 4 > opts.heap_size)
                    throw CLI::ValidationError("--heap-size", "must give each item at least 4 bytes");
            }))
        return *rc;
    for (auto &c : method)
        c = char(std::toupper(static_cast<unsigned char>(c)));
    opts.method = method == "SW" ? send::rate_method::SW
        : method == "HW"         ? send::rate_method::HW
                                 : send::rate_method::AUTO;
    return -1;
}

// Keeps max_heaps heaps in flight: each completion queues the next.
class sender
{
private:
    const options &opts;
    const flavour fl;
    const std::size_t window;
    const std::size_t n_substreams;
    const std::size_t words;  // 32-bit words per item
    std::vector<std::uint8_t> storage;
    std::vector<send::heap> plain, described;  // per slot; described carries the descriptors
    send::heap end_heap;
    verify_sequence sequence;
    send::stream *stream = nullptr;

    std::mutex mutex;
    std::condition_variable all_done;
    std::uint64_t issued = 0;     // heap index (counter - 1) of the next heap
    std::size_t outstanding = 0;  // slots with a heap in flight
    bool data_done = false;
    std::size_t ends_left = 0;
    boost::system::error_code error;

    // Queue what comes next on @a slot (lock held), or release the slot.
    void issue(std::size_t slot, std::unique_lock<std::mutex> &lock)
    {
        if (!data_done && (stopping || error || (opts.heaps >= 0 && issued >= std::uint64_t(opts.heaps))))
        {
            data_done = true;
            ends_left = error ? 0 : n_substreams;
        }
        const send::heap *h;
        std::size_t substream;
        if (!data_done)
        {
            const bool with_descriptors = issued < n_substreams
                || (opts.descriptors > 0 && issued % opts.descriptors == 0);
            h = with_descriptors ? &described[slot] : &plain[slot];
            substream = issued % n_substreams;
            if (opts.verify)
            {
                std::uint8_t *p = storage.data() + slot * words * 4 * opts.items;
                for (std::size_t i = 0; i < words * opts.items; i++, p += 4)
                {
                    const std::uint32_t v = sequence.next();
                    p[0] = std::uint8_t(v >> 24);
                    p[1] = std::uint8_t(v >> 16);
                    p[2] = std::uint8_t(v >> 8);
                    p[3] = std::uint8_t(v);
                }
            }
        }
        else if (ends_left > 0)
        {
            h = &end_heap;
            substream = n_substreams - ends_left;
            ends_left--;
        }
        else
        {
            if (--outstanding == 0)
            {
                end_time = report_loop::clock::now();
                all_done.notify_all();
                report_loop::notify();
            }
            return;
        }
        const s_item_pointer_t cnt = s_item_pointer_t(++issued);
        const bool is_data = h != &end_heap;
        lock.unlock();
        stream->async_send_heap(
            *h,
            [this, slot, is_data](const boost::system::error_code &ec, item_pointer_t sent)
            {
                bytes += sent;
                if (is_data && !ec)
                    heaps++;
                std::unique_lock<std::mutex> lock(mutex);
                if (ec && !error)
                    error = ec;
                issue(slot, lock);
            },
            cnt, substream);
        lock.lock();
    }

public:
    std::atomic<std::uint64_t> bytes{0};
    std::atomic<std::uint64_t> heaps{0};  // data heaps sent
    std::atomic<bool> stopping{false};
    report_loop::clock::time_point end_time{};  // when the last heap completed (under the lock)

    explicit sender(const options &opts)
        : opts(opts), fl(4, 64, opts.addr_bits, opts.pyspead ? BUG_COMPAT_PYSPEAD_0_5_2 : 0),
          window(opts.heaps >= 0 ? std::max<std::size_t>(
                     1, std::min<std::uint64_t>(opts.max_heaps, opts.heaps + opts.destinations.size()))
                                 : opts.max_heaps),
          n_substreams(opts.destinations.size()), words(opts.heap_size / (opts.items * 4)), end_heap(fl)
    {
        const std::size_t item_size = words * 4;
        const std::size_t heap_size = item_size * opts.items;
        if (heap_size != opts.heap_size)
            std::cerr << program << ": warning: the heap size is not a multiple of 4 bytes per item: using "
                      << heap_size << " instead of " << opts.heap_size << '\n';
        storage.assign(heap_size * window, 0);  // touched now, not while sending
        for (std::size_t slot = 0; slot < window; slot++)
        {
            plain.emplace_back(fl);
            described.emplace_back(fl);
            for (std::size_t i = 0; i < opts.items; i++)
            {
                descriptor d;
                d.id = 0x1000 + s_item_pointer_t(i);
                d.name = "Test item " + std::to_string(i);
                d.description = "A test item with arbitrary value";
                d.numpy_header = "{'shape': (" + std::to_string(words) + ",), 'fortran_order': False, 'descr': '>u4'}";
                described.back().add_descriptor(d);
            }
            for (std::size_t i = 0; i < opts.items; i++)
            {
                const std::uint8_t *p = storage.data() + slot * heap_size + i * item_size;
                plain.back().add_item(0x1000 + s_item_pointer_t(i), p, item_size, true);
                described.back().add_item(0x1000 + s_item_pointer_t(i), p, item_size, true);
            }
        }
        end_heap.add_end();
    }

    /// Start sending on @a s: every slot gets a heap.
    void start(send::stream &s)
    {
        stream = &s;
        std::unique_lock<std::mutex> lock(mutex);
        outstanding = window;
        for (std::size_t slot = 0; slot < window; slot++)
            issue(slot, lock);
    }

    bool finished()
    {
        std::lock_guard<std::mutex> lock(mutex);
        return outstanding == 0;
    }

    /// Wait until every slot is released (after @ref stopping, or the last heap).
    void wait()
    {
        std::unique_lock<std::mutex> lock(mutex);
        all_done.wait(lock, [this] { return outstanding == 0; });
    }

    report_loop::clock::time_point get_end_time()
    {
        std::lock_guard<std::mutex> lock(mutex);
        return end_time;
    }

    boost::system::error_code get_error()
    {
        std::lock_guard<std::mutex> lock(mutex);
        return error;
    }
};

std::unique_ptr<send::stream> make_stream(thread_pool &pool, const options &opts)
{
    send::stream_config config;
    config.set_max_packet_size(opts.packet)
        .set_rate(opts.rate * 1e9 / 8)
        .set_burst_size(opts.burst)
        .set_burst_rate_ratio(opts.burst_rate_ratio)
        .set_max_heaps(opts.max_heaps + opts.destinations.size())  // room for the end heaps
        .set_rate_method(opts.method);
    const boost::asio::ip::address bind = opts.bind.empty() ? boost::asio::ip::address() : resolve_host(opts.bind);
    std::vector<std::pair<boost::asio::ip::address, std::uint16_t>> dests;
    for (const std::string &d : opts.destinations)
    {
        const std::optional<endpoint_text> ep = parse_endpoint(d, false);
        if (!ep)
            throw std::invalid_argument("destination '" + d + "' is not host:port with a port from 0 to 65535");
        dests.emplace_back(resolve_host(ep->host), ep->port);
    }
    if (opts.tcp)
    {
        std::promise<boost::system::error_code> connected;
        auto result = connected.get_future();
        auto s = std::make_unique<send::tcp_stream>(
            pool, [&connected](const boost::system::error_code &ec) { connected.set_value(ec); },
            std::vector<boost::asio::ip::tcp::endpoint>{{dests[0].first, dests[0].second}}, config,
            opts.buffer.value_or(send::tcp_stream::default_buffer_size), bind);
        if (const auto ec = result.get())
            throw std::runtime_error("cannot connect to " + opts.destinations[0] + ": " + ec.message());
        return s;
    }
    std::vector<boost::asio::ip::udp::endpoint> endpoints;
    bool multicast = false;
    for (const auto &[address, port] : dests)
    {
        endpoints.emplace_back(address, port);
        multicast |= address.is_multicast();
    }
    const std::size_t buffer = opts.buffer.value_or(send::udp_stream::default_buffer_size);
    if (multicast)
    {
        if (!bind.is_unspecified() && endpoints[0].address().is_v4())
            return std::make_unique<send::udp_stream>(pool, endpoints, config, buffer, opts.ttl, bind);
        if (!bind.is_unspecified())
            throw std::invalid_argument("--bind cannot choose the interface for IPv6 multicast");
        return std::make_unique<send::udp_stream>(pool, endpoints, config, buffer, opts.ttl);
    }
    return std::make_unique<send::udp_stream>(pool, endpoints, config, buffer, bind);
}

}  // namespace

int main(int argc, char **argv)
{
    options opts;
    if (const int rc = parse(argc, argv, opts); rc >= 0)
        return rc;
    report_loop::block_signals();  // before any thread starts: SIGINT/SIGTERM reach only the report loop
    try
    {
        sender s(opts);
        thread_pool pool(opts.threads);
        std::unique_ptr<send::stream> stream = make_stream(pool, opts);
        interval_printer printer(std::cout, is_terminal(1));
        const auto start = report_loop::clock::now();
        s.start(*stream);
        std::uint64_t previous_bytes = 0, previous_heaps = 0;
        auto on_interval = [&](double from, double to)
        {
            const std::uint64_t bytes = s.bytes.load(), heaps = s.heaps.load();
            const double rate = to > from ? double(bytes - previous_bytes) / (to - from) : 0.0;
            if (opts.mode() == output_mode::json_stream)
            {
                json_writer j = report_options::begin_interval(from, to);
                j.field("bytes", bytes - previous_bytes)
                    .field("bytes_per_second", rate)
                    .field("heaps", heaps - previous_heaps)
                    .end_object();
                std::cout << j.str() << '\n' << std::flush;
            }
            else if (opts.mode() == output_mode::text && !opts.quiet)
            {
                char head[64];
                std::snprintf(head, sizeof(head), "[%7.2f-%7.2f s] ", from, to);
                std::ostringstream o;
                o << head << std::setw(10) << format_bytes(double(bytes - previous_bytes)) << "  " << std::setw(12)
                  << format_bits_rate(rate) << "  " << heaps - previous_heaps << " heaps";
                printer.line(o.str());
            }
            previous_bytes = bytes;
            previous_heaps = heaps;
        };
        const int sig = report_loop::run(
            start, opts.interval, [&] { return s.finished(); }, on_interval, opts.duration);
        s.stopping = true;
        s.wait();  // the heaps in flight, then the end-of-stream heaps
        stream->flush();
        // Up to the last completion, not to when this thread noticed it.
        const double elapsed = std::chrono::duration<double>(s.get_end_time() - start).count();
        const auto error = s.get_error();
        const int rc = error ? EXIT_ERROR : EXIT_OK;
        const std::uint64_t bytes = s.bytes.load(), heaps = s.heaps.load();
        const double rate = elapsed > 0 ? double(bytes) / elapsed : 0.0;
        const char *reason = error                                  ? "error"
            : sig                                                   ? "signal"
            : opts.heaps >= 0 && heaps >= std::uint64_t(opts.heaps) ? "heaps"
                                                                    : "duration";
        if (error)
            print_error(program, "sending failed: " + error.message());
        if (opts.mode() == output_mode::text)
        {
            printer.finish();
            // spead2_send's line, for scripts that read it
            std::cout << "Sent " << bytes << " bytes in " << elapsed << " seconds, " << bytes * 8e-9 / elapsed
                      << " Gb/s\n";
            std::cout << "Sent " << heaps << " heaps (stopped by: " << reason << ")\n";
        }
        else
        {
            json_writer j = opts.begin_summary(program);
            j.field("elapsed_s", elapsed)
                .field("heaps", heaps)
                .field("bytes", bytes)
                .field("bytes_per_second", rate)
                .field("stopped_by", reason);
            if (error)
                j.field("error", error.message());
            else
                j.null_field("error");
            j.field("exit_code", rc).end_object();
            std::cout << j.str() << '\n' << std::flush;
        }
        stream.reset();
        return rc;
    }
    catch (const std::exception &e)
    {
        print_error(program, e.what());
        return EXIT_ERROR;
    }
}
