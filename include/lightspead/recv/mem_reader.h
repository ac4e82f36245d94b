/**
 * @file
 * Reading packets from a buffer in memory.
 */
#ifndef LIGHTSPEAD_RECV_MEM_READER_H
#define LIGHTSPEAD_RECV_MEM_READER_H

#include <cstddef>
#include <cstdint>
#include <lightspead/protocol/stream_framing.h>
#include <lightspead/recv/yielding_reader.h>

namespace lightspead::recv
{

/**
 * Feeds the packets in [ptr, ptr + length) — back to back, as a
 * @ref send::streambuf_stream writes them — to the stream, then stops the
 * stream. Bytes that do not decode are skipped up to the next plausible
 * packet header and counted as malformed packets, in time linear in their
 * size (see @ref stream_framer). The buffer must outlive the reader (that
 * is, the stream).
 */
class mem_reader : public yielding_reader
{
private:
    const std::uint8_t *ptr;
    std::size_t length;
    std::size_t position = 0;
    stream_framer framer;

    bool next_packet(stream::batch &batch) override;

public:
    /// Feed @a owner the packets in [@a ptr, @a ptr + @a length) (which must outlive the reader), then stop.
    mem_reader(stream &owner, const std::uint8_t *ptr, std::size_t length);
};

}  // namespace lightspead::recv

#endif  // LIGHTSPEAD_RECV_MEM_READER_H
