/**
 * @file
 * What lightspead-send and lightspead-recv share: exit codes, endpoint
 * parsing, the payload pattern --verify checks, a small JSON writer, and
 * the report loop that prints interval lines and waits for a signal.
 */
#ifndef LIGHTSPEAD_TOOLS_TOOL_SUPPORT_H
#define LIGHTSPEAD_TOOLS_TOOL_SUPPORT_H

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>
#include <CLI/CLI.hpp>

namespace lightspead::tools
{

/// The tools' exit codes (documented in docs/tools.md and in --help).
enum exit_code : int
{
    EXIT_OK = 0,     ///< finished, nothing lost
    EXIT_ERROR = 1,  ///< a runtime error: a socket, a file, a send, a failed --verify
    EXIT_USAGE = 2,  ///< a bad command line
    EXIT_LOST = 3    ///< (lightspead-recv) heaps or packets were lost
};

/// A host (possibly empty) and a port, from "host:port", "[v6]:port" or "port".
struct endpoint_text
{
    std::string host;
    std::uint16_t port = 0;
};

/**
 * Split @a text into host and port. A bare port is allowed when
 * @a passive (a receiver's source). IPv6 addresses are written in
 * brackets ("[::1]:8888"); an unbracketed address with several colons is
 * taken as host:port split at the last colon, as spead2 does.
 *
 * @return nullopt if there is no valid port (a number from 0 to 65535).
 */
std::optional<endpoint_text> parse_endpoint(const std::string &text, bool passive);

/**
 * The payload the tools' --verify option fills and checks, the same as
 * spead2's tools: 32-bit big-endian words from the minimal-standard
 * generator (multiplier 48271, modulus 2^31 - 1, seed 1), consecutive across
 * items and heaps, heap counter 1 starting at the first word.
 */
class verify_sequence
{
private:
    std::uint64_t state = 1;

public:
    static constexpr std::uint64_t multiplier = 48271;
    static constexpr std::uint64_t modulus = 2147483647;

    /// The next word.
    std::uint32_t next() noexcept
    {
        state = state * multiplier % modulus;
        return std::uint32_t(state);
    }

    /// Skip @a n words in O(log n).
    void skip(std::uint64_t n) noexcept;

    /// The generator positioned at word @a position of the stream.
    static verify_sequence at(std::uint64_t position) noexcept
    {
        verify_sequence s;
        s.skip(position);
        return s;
    }
};

/// Builds one JSON value as text (objects and arrays nest by callbacks).
class json_writer
{
private:
    std::string out;
    std::vector<bool> first;  // per open container: nothing written yet

    void separator();
    void key(const std::string &k);

public:
    /// @a s as a JSON string literal (quoted and escaped).
    static std::string quote(const std::string &s);

    json_writer &begin_object();
    json_writer &end_object();
    json_writer &begin_object(const std::string &k);
    json_writer &field(const std::string &k, const std::string &v);
    json_writer &field(const std::string &k, const char *v) { return field(k, std::string(v)); }
    json_writer &field(const std::string &k, std::uint64_t v);
    json_writer &field(const std::string &k, std::int64_t v);
    json_writer &field(const std::string &k, int v) { return field(k, std::int64_t(v)); }
    json_writer &field(const std::string &k, double v);
    json_writer &field(const std::string &k, bool v);
    json_writer &null_field(const std::string &k);
    /// An object of counters.
    json_writer &counters(const std::string &k, const std::vector<std::pair<std::string, std::uint64_t>> &values);

    const std::string &str() const noexcept { return out; }
};

/// "12.3 MB" / "1.23 GB" (decimal units, as rates are usually quoted).
std::string format_bytes(double bytes);

/// "9.87 Gb/s".
std::string format_bits_rate(double bytes_per_second);

/// How the tools report while they run.
enum class output_mode
{
    text,        ///< human lines on stdout
    json,        ///< one JSON document at exit, nothing else on stdout
    json_stream  ///< one JSON object per line: each interval, then the summary
};

/// The reporting options of lightspead-send, -recv and -capture.
struct report_options
{
    bool quiet = false;
    double interval = 1.0;
    std::optional<double> duration;
    bool json = false;
    bool json_stream = false;

    output_mode mode() const
    {
        return json ? output_mode::json : json_stream ? output_mode::json_stream : output_mode::text;
    }

    /// Add --quiet (described by @a quiet_help), --interval, --duration (@a duration_help), --json, --json-stream.
    void add_to(CLI::App &app, const std::string &quiet_help, const std::string &duration_help);

    /// A JSON interval object begun: type, start_s, end_s (the caller adds its fields and ends it).
    static json_writer begin_interval(double from, double to);

    /// A JSON summary object begun: type (with --json-stream) and tool.
    json_writer begin_summary(const std::string &program) const;
};

/**
 * Parse the command line into @a app's options, then run @a validate (which
 * may throw CLI::ValidationError). Returns nullopt to carry on, or the exit
 * code to leave with: 0 after printing --help, EXIT_USAGE after printing
 * one line "<program>: error: ..." on stderr.
 */
std::optional<int> parse_command_line(CLI::App &app, int argc, char **argv, const std::string &program,
                                      const std::function<void()> &validate = {});

/**
 * Runs on the main thread: waits for SIGINT and SIGTERM (call @ref block_signals
 * before any other thread starts, so that they reach only this loop) and
 * every @a interval calls @a on_interval, until @a finished returns true, a
 * signal arrives or @a duration has passed. Returns the signal number, or 0.
 */
class report_loop
{
public:
    using clock = std::chrono::steady_clock;

    /// Block SIGINT, SIGTERM (and SIGUSR1, see @ref notify) in this thread and every thread it starts later.
    static void block_signals();

    /// Wake the loop at once to look at its condition again (from any thread).
    static void notify();

    /**
     * @param interval  seconds between calls of @a on_interval (<= 0: never)
     * @param finished  polled at least every 50 ms, and at once after @ref notify
     * @param on_interval  given the interval's start and end, in seconds since @a start
     */
    static int run(clock::time_point start, double interval, const std::function<bool()> &finished,
                   const std::function<void(double, double)> &on_interval,
                   std::optional<double> duration = std::nullopt);
};

/// Writes interval lines: redrawn in place on a terminal, one per interval otherwise.
class interval_printer
{
private:
    std::ostream &out;
    bool tty;
    bool pending = false;  // a status line without newline is on screen

public:
    interval_printer(std::ostream &out, bool tty) : out(out), tty(tty) {}

    /// Print an interval line.
    void line(const std::string &text);
    /// Before other output: erase a status line left on screen (a terminal's).
    void clear();
    /// Before the summary: keep the last status line, ending it.
    void finish();
};

/// Whether file descriptor @a fd is a terminal.
bool is_terminal(int fd);

/// Print "<program>: error: <message>" on stderr.
void print_error(const std::string &program, const std::string &message);

}  // namespace lightspead::tools

#endif  // LIGHTSPEAD_TOOLS_TOOL_SUPPORT_H
