/**
 * @file
 * Base of readers whose source never makes them wait (a buffer in memory,
 * a capture file): they would otherwise hold the stream and its strand for
 * the whole input.
 */
#ifndef LIGHTSPEAD_RECV_YIELDING_READER_H
#define LIGHTSPEAD_RECV_YIELDING_READER_H

#include <cstddef>
#include <lightspead/recv/stream.h>

namespace lightspead::recv
{

/**
 * Hands packets to the stream in turns of at most @ref packets_per_turn
 * steps through the input,
 * posting the next turn to the strand in between, so that @ref stop, other
 * readers and the stream's consumers get a look in. At the end of its input
 * the reader stops the stream (the input is all there is); after @ref stop
 * it just finishes.
 */
class yielding_reader : public reader
{
private:
    bool stopping = false;

    void run_turn();

protected:
    /**
     * Take one step through the input: usually one packet (or discard)
     * given to @a batch, or a record of the input skipped. Return false,
     * having given nothing, when the input is exhausted. Runs on the strand.
     */
    virtual bool next_packet(stream::batch &batch) = 0;

public:
    /// Steps (see @ref next_packet) per turn of the strand.
    static constexpr std::size_t packets_per_turn = 256;

    using reader::reader;

    void start() override;
    void stop() override;
};

}  // namespace lightspead::recv

#endif  // LIGHTSPEAD_RECV_YIELDING_READER_H
