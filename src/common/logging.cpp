#include <iostream>
#include <mutex>
#include <lightspead/common/logging.h>

namespace lightspead
{

namespace
{

const char *level_name(log_level level)
{
    switch (level)
    {
    case log_level::warning:
        return "warning";
    case log_level::info:
        return "info";
    case log_level::debug:
        return "debug";
    }
    return "?";
}

void default_log(log_level level, const std::string &msg)
{
    if (level == log_level::debug)
        return;
    std::cerr << "lightspead: " << level_name(level) << ": " << msg << '\n';
}

std::mutex log_mutex;
log_function current = default_log;

}  // anonymous namespace

log_function set_log_function(log_function f)
{
    std::lock_guard<std::mutex> lock(log_mutex);
    log_function old = std::move(current);
    current = f ? std::move(f) : log_function(default_log);
    return old;
}

void log_message(log_level level, const std::string &msg)
{
    // Copy under the lock so a concurrent set_log_function cannot destroy
    // the function while it runs, and call it unlocked so it may log too.
    log_function f;
    {
        std::lock_guard<std::mutex> lock(log_mutex);
        f = current;
    }
    f(level, msg);
}

}  // namespace lightspead
