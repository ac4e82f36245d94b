// lightspead-bench: how fast a link goes without loss (an agent receives, a
// master sends and searches the rate), or how fast heaps decode from memory.
// The job of spead2_bench; the control protocol is lightspead's own.
//
//   lightspead-bench agent [--bind ADDR] PORT
//   lightspead-bench master [options] HOST:PORT
//   lightspead-bench mem [options]

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <streambuf>
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
using boost::asio::ip::tcp;
using boost::asio::ip::udp;
const char *const program = "lightspead-bench";
using clock_type = std::chrono::steady_clock;

// What the master tells the agent about the receiver (the receiver options of lightspead-recv).
struct receiver_options
{
    std::size_t packet = recv::udp_reader::default_max_size;
    std::size_t buffer = recv::udp_reader::default_buffer_size;
    std::size_t concurrent_heaps = recv::stream_config::default_max_heaps;
    std::size_t ring_heaps = recv::ring_stream_config::default_heaps;
    bool ring = false;
    bool mem_pool = false;
    std::size_t mem_lower = 16384;
    std::size_t mem_upper = 32 * 1024 * 1024;
    bool memcpy_nt = false;
    bool pyspead = false;

    void add_to(CLI::App &app, bool with_buffer)
    {
        app.add_option("--packet", packet, "Largest packet (the sender's size too)")
            ->capture_default_str()
            ->check(CLI::Range(std::size_t(64), std::size_t(65507)));
        if (with_buffer)
            app.add_option("--recv-buffer", buffer, "Receiver's socket buffer")->capture_default_str();
        app.add_option("--concurrent-heaps", concurrent_heaps, "Receiver's in-flight heaps")
            ->capture_default_str()
            ->check(CLI::PositiveNumber);
        app.add_option("--ring-heaps", ring_heaps, "Receiver's ring capacity (with --ring)")
            ->capture_default_str()
            ->check(CLI::PositiveNumber);
        app.add_flag("--ring", ring, "Receive through a ring buffer and a consumer thread");
        app.add_flag("--mem-pool", mem_pool, "Receive into a memory pool");
        app.add_option("--mem-lower", mem_lower, "Smallest allocation from the pool")->capture_default_str();
        app.add_option("--mem-upper", mem_upper, "Largest allocation from the pool")->capture_default_str();
        app.add_flag("--memcpy-nt", memcpy_nt, "Streaming (non-temporal) copies into heaps");
        app.add_flag("--pyspead", pyspead, "Be bug-compatible with PySPEAD");
    }

    std::string to_line() const
    {
        std::ostringstream o;
        o << "packet=" << packet << " buffer=" << buffer << " concurrent_heaps=" << concurrent_heaps
          << " ring_heaps=" << ring_heaps << " ring=" << ring << " mem_pool=" << mem_pool << " mem_lower=" << mem_lower
          << " mem_upper=" << mem_upper << " memcpy_nt=" << memcpy_nt << " pyspead=" << pyspead;
        return o.str();
    }

    /// Read "key=value" words; @throws std::invalid_argument on an unknown key or bad number.
    void from_words(std::istream &in)
    {
        std::string word;
        while (in >> word)
        {
            const auto eq = word.find('=');
            if (eq == std::string::npos)
                throw std::invalid_argument("bad word '" + word + "'");
            const std::string key = word.substr(0, eq);
            const std::uint64_t v = std::stoull(word.substr(eq + 1));
            if (key == "packet")
                packet = v;
            else if (key == "buffer")
                buffer = v;
            else if (key == "concurrent_heaps")
                concurrent_heaps = v;
            else if (key == "ring_heaps")
                ring_heaps = v;
            else if (key == "ring")
                ring = v;
            else if (key == "mem_pool")
                mem_pool = v;
            else if (key == "mem_lower")
                mem_lower = v;
            else if (key == "mem_upper")
                mem_upper = v;
            else if (key == "memcpy_nt")
                memcpy_nt = v;
            else if (key == "pyspead")
                pyspead = v;
            else
                throw std::invalid_argument("unknown setting '" + key + "'");
        }
        if (packet < 64 || packet > 65507 || concurrent_heaps == 0 || ring_heaps == 0)
            throw std::invalid_argument("setting out of range");
    }

    recv::stream_config stream_config() const
    {
        recv::stream_config c;
        c.set_max_heaps(concurrent_heaps);
        if (memcpy_nt)  // otherwise the library's default (streaming stores for large heaps)
            c.set_memcpy(MEMCPY_NONTEMPORAL);
        c.set_bug_compat(pyspead ? BUG_COMPAT_PYSPEAD_0_5_2 : 0);
        if (mem_pool)
            c.set_memory_allocator(std::make_shared<memory_pool>(mem_lower, mem_upper, 12, 8));
        return c;
    }
};

// Counts complete heaps and their bytes, through callbacks or a ring and a consumer thread.
class counting_receiver
{
private:
    class callback_stream : public recv::stream
    {
    public:
        counting_receiver &owner;
        callback_stream(counting_receiver &owner, thread_pool &pool, const recv::stream_config &config)
            : recv::stream(pool, config), owner(owner)
        {
        }
        ~callback_stream() override
        {
            detach_from_pool();
            stop();
        }

    private:
        void heap_ready(recv::live_heap &&h) override
        {
            if (h.is_complete())
                owner.count(recv::heap(std::move(h), get_config().get_bug_compat()));
        }
        void stop_received() override
        {
            recv::stream::stop_received();
            owner.mark_ended();
        }
    };

    std::unique_ptr<recv::stream> stream;
    recv::ring_stream<> *ring = nullptr;
    std::thread consumer;
    std::mutex mutex;
    std::condition_variable ended_cv;
    bool ended = false;

    void count(const recv::heap &h)
    {
        heaps++;
        bytes += h.get_payload_size();
    }

    void mark_ended()
    {
        std::lock_guard<std::mutex> lock(mutex);
        ended = true;
        ended_cv.notify_all();
    }

public:
    std::atomic<std::uint64_t> heaps{0}, bytes{0};

    counting_receiver(thread_pool &pool, const receiver_options &opts)
    {
        if (opts.ring)
        {
            auto s = std::make_unique<recv::ring_stream<>>(pool, opts.stream_config(),
                                                           recv::ring_stream_config().set_heaps(opts.ring_heaps));
            ring = s.get();
            stream = std::move(s);
            consumer = std::thread(
                [this]
                {
                    for (const recv::heap &h : *ring)
                        count(h);
                    mark_ended();
                });
        }
        else
            stream = std::make_unique<callback_stream>(*this, pool, opts.stream_config());
    }

    ~counting_receiver() { stop(); }

    recv::stream &get() { return *stream; }

    /// Wait up to @a timeout for the stream to end by itself; true if it did.
    bool wait_ended(std::chrono::duration<double> timeout)
    {
        std::unique_lock<std::mutex> lock(mutex);
        return ended_cv.wait_for(lock, timeout, [this] { return ended; });
    }

    void stop()
    {
        stream->stop();
        if (consumer.joinable())
            consumer.join();
    }
};

// One line of the control connection.
std::string read_line(tcp::socket &socket, boost::asio::streambuf &buf)
{
    boost::asio::read_until(socket, buf, '\n');
    std::istream in(&buf);
    std::string line;
    std::getline(in, line);
    return line;
}

void write_line(tcp::socket &socket, const std::string &line)
{
    boost::asio::write(socket, boost::asio::buffer(line + "\n"));
}

// ---- agent -------------------------------------------------------------------------------------

void agent_session(tcp::socket socket, thread_pool &pool)
{
    boost::asio::streambuf buf;
    std::unique_ptr<counting_receiver> receiver;
    const auto address = socket.local_endpoint().address();
    for (;;)
    {
        std::string line;
        try
        {
            line = read_line(socket, buf);
        }
        catch (const boost::system::system_error &)
        {
            return;  // the master went away
        }
        std::istringstream in(line);
        std::string command;
        in >> command;
        try
        {
            if (command == "start")
            {
                receiver_options opts;
                opts.from_words(in);
                receiver.reset();
                receiver = std::make_unique<counting_receiver>(pool, opts);
                // The data port: ephemeral, on the address the master reached us on.
                auto *reader = receiver->get().emplace_reader<recv::udp_reader>(udp::endpoint(address, 0), opts.packet,
                                                                                opts.buffer);
                write_line(socket, "ready port=" + std::to_string(reader->get_local_endpoint().port()));
            }
            else if (command == "stop")
            {
                if (!receiver)
                    throw std::invalid_argument("stop without start");
                receiver->wait_ended(std::chrono::seconds(2));  // the end-of-stream heap, if it arrived
                receiver->stop();
                const auto stats = receiver->get().get_stats();
                const auto discards = receiver->get().get_discard_stats();
                std::ostringstream o;
                o << "result heaps=" << receiver->heaps << " bytes=" << receiver->bytes;
                for (const auto &[name, value] : stats)
                    o << ' ' << name << '=' << value;
                for (const auto &[name, value] : discards)
                    o << ' ' << name << '=' << value;
                write_line(socket, o.str());
                receiver.reset();
            }
            else
                throw std::invalid_argument("unknown command '" + command + "'");
        }
        catch (const std::exception &e)
        {
            write_line(socket, std::string("error ") + e.what());
        }
    }
}

int main_agent(int argc, char **argv)
{
    CLI::App app("Receive for a lightspead-bench master, one master at a time, until killed.",
                 "lightspead-bench agent");
    std::uint16_t port = 0;
    std::string bind;
    int threads = 1;
    app.add_option("port", port, "TCP port to listen on for masters")->required();
    app.add_option("--bind", bind, "Address to listen on [all]");
    app.add_option("--threads", threads, "Receiver's network threads")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    if (const auto rc = parse_command_line(app, argc, argv, program))
        return *rc;
    try
    {
        thread_pool pool(threads);
        boost::asio::io_context io;
        tcp::acceptor acceptor(io,
                               tcp::endpoint(bind.empty() ? boost::asio::ip::address(boost::asio::ip::address_v4::any())
                                                          : resolve_host(bind),
                                             port));
        std::cout << "listening on " << acceptor.local_endpoint() << std::endl;
        for (;;)
        {
            tcp::socket socket(io);
            acceptor.accept(socket);
            agent_session(std::move(socket), pool);
        }
    }
    catch (const std::exception &e)
    {
        print_error(program, e.what());
        return EXIT_ERROR;
    }
}

// ---- master ------------------------------------------------------------------------------------

struct master_options
{
    std::string agent;
    receiver_options receiver;
    std::size_t heap_size = 4194304;
    double trial_seconds = 1.0;
    int passes = 3;
    double precision = 0.02;
    std::size_t send_buffer = send::udp_stream::default_buffer_size;
    std::size_t burst = send::stream_config::default_burst_size;
    double burst_rate_ratio = send::stream_config::default_burst_rate_ratio;
    std::size_t max_heaps = send::stream_config::default_max_heaps;
    int addr_bits = 40;
    bool quiet = false;
    bool json = false;
};

struct trial_result
{
    double asked = 0;   // bytes/s (0: unlimited)
    double actual = 0;  // bytes/s sent
    std::uint64_t sent = 0, received = 0;
    bool good = false;
};

class master
{
private:
    const master_options &opts;
    boost::asio::io_context io;
    tcp::socket control{io};
    boost::asio::streambuf buf;
    boost::asio::ip::address agent_address;
    std::vector<std::uint8_t> payload;

    std::string request(const std::string &line)
    {
        write_line(control, line);
        std::string reply = read_line(control, buf);
        if (reply.rfind("error ", 0) == 0)
            throw std::runtime_error("the agent refused: " + reply.substr(6));
        return reply;
    }

    static std::uint64_t word(const std::string &reply, const std::string &key)
    {
        std::istringstream in(reply);
        std::string w;
        while (in >> w)
            if (w.rfind(key + "=", 0) == 0)
                return std::stoull(w.substr(key.size() + 1));
        throw std::runtime_error("the agent's reply has no " + key + ": " + reply);
    }

public:
    explicit master(const master_options &opts) : opts(opts), payload(opts.heap_size, 0)
    {
        const auto ep = parse_endpoint(opts.agent, false);
        agent_address = resolve_host(ep->host);
        try
        {
            control.connect(tcp::endpoint(agent_address, ep->port));
        }
        catch (const boost::system::system_error &e)
        {
            throw std::runtime_error("cannot reach the agent at " + opts.agent + ": " + e.code().message());
        }
        control.set_option(tcp::no_delay(true));
    }

    /// Send heaps for one trial at @a rate bytes/s (0: as fast as possible).
    trial_result trial(double rate)
    {
        const std::string ready = request("start " + opts.receiver.to_line());
        const auto port = std::uint16_t(word(ready, "port"));
        trial_result r;
        r.asked = rate;
        const double budget = rate > 0 ? rate * opts.trial_seconds : 1e9;  // bytes: at full speed, 1 GB
        const std::uint64_t n = std::max<std::uint64_t>(8, std::uint64_t(budget / double(opts.heap_size)));
        {
            thread_pool pool(1);
            send::stream_config config;
            config.set_max_packet_size(opts.receiver.packet)
                .set_rate(rate)
                .set_burst_size(opts.burst)
                .set_burst_rate_ratio(opts.burst_rate_ratio)
                .set_max_heaps(opts.max_heaps + 1);
            send::udp_stream stream(pool, {udp::endpoint(agent_address, port)}, config, opts.send_buffer);
            const flavour fl(4, 64, opts.addr_bits, opts.receiver.pyspead ? BUG_COMPAT_PYSPEAD_0_5_2 : 0);
            send::heap heap(fl);
            heap.add_item(0x1000, payload.data(), payload.size(), false);
            send::heap end(fl);
            end.add_end();
            std::deque<std::future<item_pointer_t>> window;
            const auto start = clock_type::now();
            std::uint64_t bytes = 0;
            for (std::uint64_t i = 0; i < n; i++)
            {
                if (window.size() >= opts.max_heaps)
                {
                    bytes += window.front().get();
                    window.pop_front();
                }
                window.push_back(stream.async_send_heap(heap, boost::asio::use_future));
            }
            while (!window.empty())
            {
                bytes += window.front().get();
                window.pop_front();
            }
            const double elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
            stream.async_send_heap(end, boost::asio::use_future).get();
            r.actual = double(bytes) / elapsed;
            r.sent = n;
        }
        const std::string result = request("stop");
        r.received = word(result, "heaps");
        r.good = r.received >= r.sent;
        return r;
    }

    /// Several passes at @a rate: good only if every pass is; the mean rate sent.
    trial_result measure(double rate)
    {
        trial_result sum;
        sum.asked = rate;
        sum.good = true;
        for (int i = 0; i < opts.passes; i++)
        {
            const trial_result r = trial(rate);
            sum.good &= r.good;
            sum.actual += r.actual / opts.passes;
            sum.sent += r.sent;
            sum.received += r.received;
        }
        return sum;
    }
};

int main_master(int argc, char **argv)
{
    master_options opts;
    CLI::App app("Find the highest rate at which a lightspead-bench agent receives every heap.",
                 "lightspead-bench master");
    app.footer("The agent runs 'lightspead-bench agent PORT'. Rates are searched by bisection between 0 and the "
               "rate the sender reaches unlimited, until within --precision. Exit codes: 0 done; 1 runtime "
               "error (no agent, a refused setting); 2 bad command line.");
    app.add_option("agent", opts.agent, "The agent's host:port")->required();
    opts.receiver.add_to(app, true);
    app.add_option("--heap-size", opts.heap_size, "Payload size for heap")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--trial-seconds", opts.trial_seconds, "Length of a trial at the rate tried")
        ->capture_default_str()
        ->check(CLI::Range(0.01, 3600.0));
    app.add_option("--passes", opts.passes, "Trials per rate (all must be lossless)")
        ->capture_default_str()
        ->check(CLI::Range(1, 100));
    app.add_option("--precision", opts.precision, "Stop when the bounds are this close (relative)")
        ->capture_default_str()
        ->check(CLI::Range(0.001, 0.5));
    app.add_option("--send-buffer", opts.send_buffer, "Sender's socket buffer")->capture_default_str();
    app.add_option("--burst", opts.burst, "Burst size")->capture_default_str()->check(CLI::PositiveNumber);
    app.add_option("--burst-rate-ratio", opts.burst_rate_ratio, "Hard rate limit, relative to the rate")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 1e9));
    app.add_option("--max-heaps", opts.max_heaps, "Heaps in flight at the sender")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--addr-bits", opts.addr_bits, "Heap address bits")->capture_default_str()->check(CLI::Range(8, 56));
    app.add_flag("--quiet", opts.quiet, "Print only the result (Gb/s)");
    app.add_flag("--json", opts.json, "Print one JSON document: every trial and the result");
    if (const auto rc = parse_command_line(app, argc, argv, program,
                                           [&]
                                           {
                                               if (!parse_endpoint(opts.agent, false))
                                                   throw CLI::ValidationError("agent",
                                                                              "'" + opts.agent + "' is not host:port");
                                           }))
        return *rc;
    try
    {
        master m(opts);
        const bool chatty = !opts.quiet && !opts.json;
        std::vector<trial_result> trials;
        m.trial(0.0);  // warm-up: first touches, caches
        const trial_result full = m.measure(0.0);
        trials.push_back(full);
        double best = 0.0;
        bool sender_bound = full.good;
        if (full.good)
        {
            best = full.actual;
            if (chatty)
                std::cout << "Limited by send speed: " << format_bits_rate(full.actual) << std::endl;
        }
        else
        {
            if (chatty)
                std::cout << "Send rate: " << format_bits_rate(full.actual) << ", " << full.received << " of "
                          << full.sent << " heaps received" << std::endl;
            double low = 0.0, high = full.actual;
            while (high - low > high * opts.precision)
            {
                const double rate = (low + high) / 2;
                const trial_result r = m.measure(rate);
                trials.push_back(r);
                if (chatty)
                    std::cout << "Rate: " << format_bits_rate(rate) << " (" << format_bits_rate(r.actual)
                              << " actual): " << (r.good ? "GOOD" : "BAD") << std::endl;
                if (r.good)
                {
                    low = rate;
                    best = r.actual;
                }
                else
                    high = rate;
            }
        }
        if (opts.json)
        {
            json_writer j;
            j.begin_object()
                .field("tool", program)
                .field("mode", "master")
                .field("heap_size", std::uint64_t(opts.heap_size))
                .field("packet", std::uint64_t(opts.receiver.packet))
                .field("limited_by_sender", sender_bound)
                .field("sustainable_bytes_per_second", best)
                .field("sustainable_gbps", best * 8e-9);
            std::string list = "[";
            for (std::size_t i = 0; i < trials.size(); i++)
            {
                json_writer t;
                t.begin_object()
                    .field("asked_bytes_per_second", trials[i].asked)
                    .field("sent_bytes_per_second", trials[i].actual)
                    .field("heaps_sent", trials[i].sent)
                    .field("heaps_received", trials[i].received)
                    .field("good", trials[i].good)
                    .end_object();
                list += (i ? ", " : "") + t.str();
            }
            list += "]";
            std::string doc = j.end_object().str();
            doc.insert(doc.size() - 1, ", \"trials\": " + list);
            std::cout << doc << std::endl;
        }
        else if (opts.quiet)
            std::cout << best * 8e-9 << std::endl;
        else
            std::cout << "Sustainable rate: " << format_bits_rate(best) << std::endl;
        return EXIT_OK;
    }
    catch (const std::exception &e)
    {
        print_error(program, e.what());
        return EXIT_ERROR;
    }
}

// ---- mem ---------------------------------------------------------------------------------------

class append_buf : public std::streambuf
{
public:
    std::vector<std::uint8_t> data;

protected:
    std::streamsize xsputn(const char *s, std::streamsize n) override
    {
        data.insert(data.end(), s, s + n);
        return n;
    }
    int_type overflow(int_type c) override
    {
        if (c != traits_type::eof())
            data.push_back(std::uint8_t(c));
        return c;
    }
};

int main_mem(int argc, char **argv)
{
    receiver_options receiver;
    std::size_t heap_size = 4194304;
    std::size_t total = 1 << 30;
    int passes = 100;
    bool json = false, quiet = false;
    CLI::App app("Decode heaps from memory, without the network: how fast the receive path goes.",
                 "lightspead-bench mem");
    receiver.add_to(app, false);
    // As spead2_bench mem: heaps come from a memory pool sized for them
    // unless the pool options say otherwise.
    receiver.mem_pool = true;
    app.add_option("--heap-size", heap_size, "Payload size for heap")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--bytes", total, "Payload bytes per pass (rounded down to whole heaps, plus one)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--passes", passes, "Passes (the result is all bytes over all the time)")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000));
    app.add_flag(
        "--no-mem-pool", [&receiver](std::int64_t) { receiver.mem_pool = false; },
        "Allocate every heap afresh instead of from a pool");
    app.add_flag("--quiet", quiet, "Print only the result (Gb/s)");
    app.add_flag("--json", json, "Print one JSON document");
    if (const auto rc = parse_command_line(app, argc, argv, program))
        return *rc;
    if (app.count("--mem-lower") == 0)
        receiver.mem_lower = heap_size;
    if (app.count("--mem-upper") == 0)
        receiver.mem_upper = heap_size + 1024;
    try
    {
        const std::uint64_t n = total / heap_size + 1;
        append_buf packets;
        {
            thread_pool pool;
            send::stream_config config;
            config.set_max_packet_size(receiver.packet);
            send::streambuf_stream stream(pool, packets, config);
            std::vector<std::uint8_t> payload(heap_size, 0x5a);
            const flavour fl(4, 64, 40, receiver.pyspead ? BUG_COMPAT_PYSPEAD_0_5_2 : 0);
            send::heap heap(fl);
            heap.add_item(0x1000, payload.data(), payload.size(), false);
            for (std::uint64_t i = 0; i < n; i++)
                stream.async_send_heap(heap, boost::asio::use_future).get();
        }
        const std::vector<std::uint8_t> source(packets.data.begin(), packets.data.end());
        packets.data = {};
        double elapsed_total = 0.0;
        for (int pass = 0; pass < passes; pass++)
        {
            thread_pool pool;
            counting_receiver r(pool, receiver);
            const auto start = clock_type::now();
            r.get().emplace_reader<recv::mem_reader>(source.data(), source.size());
            r.wait_ended(std::chrono::hours(1));
            const double elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
            r.stop();
            if (r.heaps != n)
                throw std::runtime_error("decoded " + std::to_string(r.heaps.load()) + " heaps of "
                                         + std::to_string(n));
            elapsed_total += elapsed;
        }
        // The packets' bytes (headers too), as spead2_bench mem counts them
        const double rate = double(source.size()) * passes / elapsed_total;
        if (json)
        {
            json_writer j;
            j.begin_object()
                .field("tool", program)
                .field("mode", "mem")
                .field("heap_size", std::uint64_t(heap_size))
                .field("packet", std::uint64_t(receiver.packet))
                .field("heaps_per_pass", n)
                .field("bytes_per_pass", std::uint64_t(source.size()))
                .field("mem_pool", receiver.mem_pool)
                .field("mem_lower", std::uint64_t(receiver.mem_lower))
                .field("mem_upper", std::uint64_t(receiver.mem_upper))
                .field("passes", std::uint64_t(passes))
                .field("elapsed_s", elapsed_total)
                .field("bytes_per_second", rate)
                .field("gbps", rate * 8e-9)
                .end_object();
            std::cout << j.str() << std::endl;
        }
        else if (quiet)
            std::cout << rate * 8e-9 << std::endl;
        else
            std::cout << "Decoded " << source.size() << " bytes " << passes << " times in " << elapsed_total
                      << " s: " << format_bits_rate(rate) << std::endl;
        return EXIT_OK;
    }
    catch (const std::exception &e)
    {
        print_error(program, e.what());
        return EXIT_ERROR;
    }
}

}  // namespace

int main(int argc, char **argv)
{
    const std::string usage =
        "usage: lightspead-bench agent|master|mem [options] (--help after the mode for its options)";
    if (argc < 2)
    {
        print_error(program, "a mode is required: " + usage);
        return EXIT_USAGE;
    }
    const std::string mode = argv[1];
    if (mode == "-h" || mode == "--help")
    {
        std::cout << usage << "\n  agent PORT        receive for a master\n"
                  << "  master HOST:PORT  find the highest lossless rate to an agent\n"
                  << "  mem               decode speed from memory\n"
                  << "Exit codes: 0 done; 1 runtime error; 2 bad command line.\n";
        return EXIT_OK;
    }
    if (mode == "agent")
        return main_agent(argc - 1, argv + 1);
    if (mode == "master")
        return main_master(argc - 1, argv + 1);
    if (mode == "mem")
        return main_mem(argc - 1, argv + 1);
    print_error(program, "unknown mode '" + mode + "': " + usage);
    return EXIT_USAGE;
}
