#include <utility>  // before Boost.Asio (Boost 1.74 forgets it in C++20)
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/system/system_error.hpp>
#include <lightspead/common/resolve.h>

namespace lightspead
{

boost::asio::ip::address resolve_host(const std::string &host)
{
    if (host.empty())
        return boost::asio::ip::address_v4::any();
    boost::system::error_code ec;
    auto numeric = boost::asio::ip::make_address(host, ec);
    if (!ec)
        return numeric;
    boost::asio::io_context io;
    boost::asio::ip::udp::resolver resolver(io);
    auto results = resolver.resolve(host, "", boost::asio::ip::resolver_base::address_configured, ec);
    if (ec || results.empty())
        throw boost::system::system_error(ec ? ec : boost::asio::error::host_not_found, "cannot resolve " + host);
    for (const auto &result : results)
        if (result.endpoint().address().is_v4())
            return result.endpoint().address();
    return results.begin()->endpoint().address();
}

}  // namespace lightspead
