/**
 * @file
 * The library's log hook. Messages go to stderr unless the application
 * installs its own function (the Python package routes them to `logging`).
 */
#ifndef LIGHTSPEAD_COMMON_LOGGING_H
#define LIGHTSPEAD_COMMON_LOGGING_H

#include <functional>
#include <string>

namespace lightspead
{

/// Severity of a log message.
enum class log_level
{
    warning = 0,
    info = 1,
    debug = 2
};

/// Receives every log message; it may be called from any thread.
using log_function = std::function<void(log_level, const std::string &)>;

/**
 * Install @a f as the destination of log messages and return the previous
 * one. An empty function restores the default (stderr, warnings and info).
 */
log_function set_log_function(log_function f);

/// Log @a msg at @a level through the installed function.
void log_message(log_level level, const std::string &msg);

/// Log @a msg as a warning.
inline void log_warning(const std::string &msg)
{
    log_message(log_level::warning, msg);
}
/// Log @a msg as information.
inline void log_info(const std::string &msg)
{
    log_message(log_level::info, msg);
}
/// Log @a msg for debugging.
inline void log_debug(const std::string &msg)
{
    log_message(log_level::debug, msg);
}

}  // namespace lightspead

#endif  // LIGHTSPEAD_COMMON_LOGGING_H
