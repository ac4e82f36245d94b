#include <cstring>
#include <boost/asio/post.hpp>
#include <lightspead/recv/mem_reader.h>

namespace lightspead::recv
{

namespace
{

// Packets handed over per turn: the stream's lock is released between turns
// so that stop() and other readers get a look in.
constexpr std::size_t packets_per_turn = 256;

} // anonymous namespace

mem_reader::mem_reader(stream &owner, const std::uint8_t *ptr, std::size_t length)
    : reader(owner), ptr(ptr), length(length)
{
}

void mem_reader::start()
{
    process_some();
}

void mem_reader::stop()
{
    // Runs on the strand, between turns: the next turn will see it.
    stopping = true;
}

void mem_reader::process_some()
{
    bool end = false;
    {
        stream::batch batch(get_stream());
        for (std::size_t n = 0; n < packets_per_turn && !end; n++)
        {
            if (stopping || batch.is_stopped() || position == length)
            {
                end = true;
                break;
            }
            const auto r = decode_packet(ptr + position, length - position);
            if (r)
            {
                batch.add_packet(r.packet);
                position += r.packet.size;
                continue;
            }
            // Resynchronise: skip to where a packet could start.
            batch.discard(stat_packets_malformed);
            position += next_packet_candidate(ptr + position, length - position);
        }
        if (end && !stopping)
            batch.stop_stream();        // end of input ends the stream
    }
    if (end)
        finished();
    else
        boost::asio::post(get_strand(), [this] { process_some(); });
}

} // namespace lightspead::recv
