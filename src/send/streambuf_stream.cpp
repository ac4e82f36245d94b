#include <boost/asio/error.hpp>
#include <lightspead/send/streambuf_stream.h>

namespace lightspead::send
{

namespace
{

class streambuf_transport final : public transport
{
private:
    std::streambuf &sb;

public:
    explicit streambuf_transport(std::streambuf &sb) : sb(sb) {}

    std::size_t num_substreams() const override { return 1; }

    bool transmit(packet_batch &batch, const std::function<void()> &) override
    {
        for (auto &p : batch.packets)
        {
            for (std::size_t i = 0; i < p.iov_count; i++)
            {
                const iovec &v = batch.iov[p.iov_first + i];
                const auto len = std::streamsize(v.iov_len);
                if (sb.sputn(static_cast<const char *>(v.iov_base), len) != len)
                {
                    p.error = boost::asio::error::eof;
                    break;
                }
            }
        }
        return true;
    }
};

}  // anonymous namespace

streambuf_stream::streambuf_stream(io_context_ref io, std::streambuf &streambuf, const stream_config &config)
    : stream(io, config, std::make_unique<streambuf_transport>(streambuf))
{
}

}  // namespace lightspead::send
