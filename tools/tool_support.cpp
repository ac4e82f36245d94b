#include "tool_support.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <pthread.h>
#include <unistd.h>

namespace lightspead::tools
{

std::optional<endpoint_text> parse_endpoint(const std::string &text, bool passive)
{
    endpoint_text result;
    std::string port;
    if (!text.empty() && text[0] == '[')
    {
        const auto close = text.find(']');
        if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return std::nullopt;
        result.host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    }
    else
    {
        const auto colon = text.rfind(':');
        if (colon == std::string::npos)
        {
            if (!passive)
                return std::nullopt;
            port = text;
        }
        else
        {
            result.host = text.substr(0, colon);
            port = text.substr(colon + 1);
        }
    }
    unsigned int value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535)
        return std::nullopt;
    result.port = std::uint16_t(value);
    return result;
}

void verify_sequence::skip(std::uint64_t n) noexcept
{
    // state * multiplier^n mod modulus, by squaring (products stay below 2^62)
    std::uint64_t factor = multiplier, power = 1;
    while (n > 0)
    {
        if (n & 1)
            power = power * factor % modulus;
        factor = factor * factor % modulus;
        n >>= 1;
    }
    state = state * power % modulus;
}

std::string json_writer::quote(const std::string &s)
{
    std::string q = "\"";
    for (const unsigned char c : s)
    {
        switch (c)
        {
        case '"':
            q += "\\\"";
            break;
        case '\\':
            q += "\\\\";
            break;
        case '\n':
            q += "\\n";
            break;
        case '\r':
            q += "\\r";
            break;
        case '\t':
            q += "\\t";
            break;
        default:
            if (c < 0x20 || c >= 0x7f)
            {
                // Bytes beyond ASCII are not assumed to be UTF-8: escape each one.
                char buf[8];
                std::snprintf(buf, sizeof(buf), "\\u%04x", c);
                q += buf;
            }
            else
                q += char(c);
        }
    }
    return q + "\"";
}

void json_writer::separator()
{
    if (!first.empty())
    {
        if (!first.back())
            out += ", ";
        first.back() = false;
    }
}

void json_writer::key(const std::string &k)
{
    separator();
    out += quote(k) + ": ";
}

json_writer &json_writer::begin_object()
{
    separator();
    out += "{";
    first.push_back(true);
    return *this;
}

json_writer &json_writer::begin_object(const std::string &k)
{
    key(k);
    out += "{";
    first.push_back(true);
    return *this;
}

json_writer &json_writer::end_object()
{
    out += "}";
    first.pop_back();
    return *this;
}

json_writer &json_writer::field(const std::string &k, const std::string &v)
{
    key(k);
    out += quote(v);
    return *this;
}

json_writer &json_writer::field(const std::string &k, std::uint64_t v)
{
    key(k);
    out += std::to_string(v);
    return *this;
}

json_writer &json_writer::field(const std::string &k, std::int64_t v)
{
    key(k);
    out += std::to_string(v);
    return *this;
}

json_writer &json_writer::field(const std::string &k, double v)
{
    key(k);
    if (!std::isfinite(v))
        out += "null";  // JSON has no infinities
    else
    {
        char buf[32];
        std::snprintf(buf, sizeof(buf), "%.9g", v);
        out += buf;
    }
    return *this;
}

json_writer &json_writer::field(const std::string &k, bool v)
{
    key(k);
    out += v ? "true" : "false";
    return *this;
}

json_writer &json_writer::null_field(const std::string &k)
{
    key(k);
    out += "null";
    return *this;
}

json_writer &json_writer::counters(const std::string &k,
                                   const std::vector<std::pair<std::string, std::uint64_t>> &values)
{
    begin_object(k);
    for (const auto &[name, value] : values)
        field(name, value);
    return end_object();
}

std::string format_bytes(double bytes)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    int u = 0;
    while (std::abs(bytes) >= 1000.0 && u < 5)
    {
        bytes /= 1000.0;
        u++;
    }
    char buf[32];
    std::snprintf(buf, sizeof(buf), u == 0 ? "%.0f %s" : "%.2f %s", bytes, units[u]);
    return buf;
}

std::string format_bits_rate(double bytes_per_second)
{
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.3f Gb/s", bytes_per_second * 8e-9);
    return buf;
}

void report_options::add_to(CLI::App &app, const std::string &quiet_help, const std::string &duration_help)
{
    app.add_flag("-q,--quiet", quiet, quiet_help);
    app.add_option("--interval", interval, "Seconds between interval lines (0: none)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    app.add_option("--duration", duration, duration_help)->check(CLI::PositiveNumber);
    auto *j = app.add_flag("--json", json, "Print one JSON document at exit, nothing else on stdout");
    app.add_flag("--json-stream", json_stream, "Print one JSON object per line: each interval, then the summary")
        ->excludes(j);
}

json_writer report_options::begin_interval(double from, double to)
{
    json_writer j;
    j.begin_object().field("type", "interval").field("start_s", from).field("end_s", to);
    return j;
}

json_writer report_options::begin_summary(const std::string &program) const
{
    json_writer j;
    j.begin_object();
    if (mode() == output_mode::json_stream)
        j.field("type", "summary");
    j.field("tool", program);
    return j;
}

std::optional<int> parse_command_line(CLI::App &app, int argc, char **argv, const std::string &program,
                                      const std::function<void()> &validate)
{
    try
    {
        app.parse(argc, argv);
        if (validate)
            validate();
    }
    catch (const CLI::CallForHelp &)
    {
        std::cout << app.help();
        return EXIT_OK;
    }
    catch (const CLI::ParseError &e)
    {
        print_error(program, std::string(e.what()) + " (see --help)");
        return EXIT_USAGE;
    }
    return std::nullopt;
}

namespace
{

// SIGINT and SIGTERM end the loop; SIGUSR1 only wakes it (see report_loop::notify).
sigset_t loop_signals()
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR1);
    return set;
}

}  // namespace

void report_loop::block_signals()
{
    const sigset_t set = loop_signals();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void report_loop::notify()
{
    kill(getpid(), SIGUSR1);
}

int report_loop::run(clock::time_point start, double interval, const std::function<bool()> &finished,
                     const std::function<void(double, double)> &on_interval, std::optional<double> duration)
{
    const sigset_t set = loop_signals();
    const auto seconds_since = [start](clock::time_point t)
    { return std::chrono::duration<double>(t - start).count(); };
    double last = 0.0;
    while (!finished())
    {
        const double now = seconds_since(clock::now());
        if (duration && now >= *duration)
            break;
        if (interval > 0 && now - last >= interval)
        {
            // Whole intervals, so that lines line up (a late wake-up shortens the next).
            const double end = last + interval * std::floor((now - last) / interval);
            on_interval(last, end);
            last = end;
        }
        double wait = 0.05;
        if (interval > 0)
            wait = std::min(wait, std::max(0.0, last + interval - seconds_since(clock::now())));
        if (duration)
            wait = std::min(wait, std::max(0.0, *duration - seconds_since(clock::now())));
        timespec ts;
        ts.tv_sec = time_t(wait);
        ts.tv_nsec = long((wait - double(ts.tv_sec)) * 1e9);
        const int sig = sigtimedwait(&set, nullptr, &ts);
        if (sig > 0 && sig != SIGUSR1)
            return sig;
    }
    return 0;
}

void interval_printer::line(const std::string &text)
{
    if (tty)
    {
        out << "\r\033[K" << text << std::flush;
        pending = true;
    }
    else
        out << text << '\n' << std::flush;
}

void interval_printer::clear()
{
    if (pending)
    {
        out << "\r\033[K";  // the next interval redraws it
        pending = false;
    }
}

void interval_printer::finish()
{
    if (pending)
    {
        out << '\n';
        pending = false;
    }
}

bool is_terminal(int fd)
{
    return isatty(fd) == 1;
}

void print_error(const std::string &program, const std::string &message)
{
    std::cerr << program << ": error: " << message << std::endl;
}

}  // namespace lightspead::tools
