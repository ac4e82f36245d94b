#include <algorithm>
#include <stdexcept>
#include <string>
#include <lightspead/recv/stream_stats.h>

namespace lightspead::recv
{

namespace
{

// Index of the statistic called @a name, or stats.size() if there is none.
std::size_t position_of(const std::vector<stream_stat_config> &stats, const std::string &name)
{
    return std::find_if(stats.begin(), stats.end(), [&](const stream_stat_config &c) { return c.get_name() == name; })
        - stats.begin();
}

}  // anonymous namespace

std::size_t find_stat(const std::vector<stream_stat_config> &stats, const std::string &name)
{
    const std::size_t index = position_of(stats, name);
    if (index == stats.size())
        throw std::out_of_range("no statistic called " + name);
    return index;
}

stream_stats::stream_stats() : stream_stats(std::make_shared<const std::vector<stream_stat_config>>(standard_stats()))
{
}

stream_stats::stream_stats(std::shared_ptr<const std::vector<stream_stat_config>> config)
    : stream_stats(config, std::vector<std::uint64_t>(config->size(), 0))
{
}

stream_stats::stream_stats(std::shared_ptr<const std::vector<stream_stat_config>> config,
                           std::vector<std::uint64_t> values)
    : config(std::move(config))
{
    if (values.size() != this->config->size())
        throw std::invalid_argument("stream_stats: " + std::to_string(values.size()) + " values for "
                                    + std::to_string(this->config->size()) + " statistics");
    const std::size_t n_first = std::min(values.size(), first.size());
    std::copy_n(values.begin(), n_first, first.begin());
    rest.assign(values.begin() + n_first, values.end());
}

// The named references are bound to this object's own array by their
// default member initialisers; only the values are copied or moved.
stream_stats::stream_stats(const stream_stats &other) : config(other.config), first(other.first), rest(other.rest)
{
}

stream_stats::stream_stats(stream_stats &&other) noexcept
    : config(std::move(other.config)), first(other.first), rest(std::move(other.rest))
{
}

stream_stats &stream_stats::operator=(const stream_stats &other)
{
    if (this != &other)
    {
        config = other.config;
        first = other.first;
        rest = other.rest;
    }
    return *this;
}

stream_stats &stream_stats::operator=(stream_stats &&other) noexcept
{
    config = std::move(other.config);
    first = other.first;
    rest = std::move(other.rest);
    return *this;
}

void stream_stats::check_index(std::size_t index) const
{
    if (index >= size())
        throw std::out_of_range("statistic index " + std::to_string(index) + " is past the last ("
                                + std::to_string(size()) + " statistics)");
}

std::uint64_t &stream_stats::at(std::size_t index)
{
    check_index(index);
    return value(index);
}

const std::uint64_t &stream_stats::at(std::size_t index) const
{
    check_index(index);
    return value(index);
}

std::size_t stream_stats::index_of(const std::string &name) const
{
    return find_stat(*config, name);
}

std::size_t stream_stats::count(const std::string &name) const
{
    return position_of(*config, name) < size() ? 1 : 0;
}

stream_stats::iterator stream_stats::find(const std::string &name)
{
    return begin() + position_of(*config, name);
}

stream_stats::const_iterator stream_stats::find(const std::string &name) const
{
    return begin() + position_of(*config, name);
}

std::vector<std::uint64_t> stream_stats::values() const
{
    std::vector<std::uint64_t> out(first.begin(), first.begin() + std::min(first.size(), size()));
    out.insert(out.end(), rest.begin(), rest.end());
    return out;
}

stream_stats &stream_stats::operator+=(const stream_stats &other)
{
    if (config != other.config && *config != *other.config)
        throw std::invalid_argument("cannot combine statistics of streams with different statistics");
    for (std::size_t i = 0; i < size(); i++)
        value(i) = (*config)[i].combine(value(i), other.value(i));
    return *this;
}

stream_stats stream_stats::operator+(const stream_stats &other) const
{
    stream_stats out = *this;
    out += other;
    return out;
}

}  // namespace lightspead::recv
