#include <boost/asio/post.hpp>
#include <lightspead/recv/yielding_reader.h>

namespace lightspead::recv
{

void yielding_reader::start()
{
    run_turn();
}

void yielding_reader::stop()
{
    // Runs on the strand, between turns: the next turn will see it.
    stopping = true;
}

void yielding_reader::run_turn()
{
    bool end = false;
    {
        stream::batch batch(get_stream());
        for (std::size_t n = 0; n < packets_per_turn && !end; n++)
            end = stopping || batch.is_stopped() || !next_packet(batch);
        if (end && !stopping)
            batch.stop_stream();  // end of input ends the stream
    }
    if (end)
        finished();
    else
        boost::asio::post(get_strand(), [this] { run_turn(); });
}

}  // namespace lightspead::recv
