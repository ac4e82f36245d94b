/**
 * @file
 * Sending into a @c std::streambuf (a file, a string, ...).
 */
#ifndef LIGHTSPEAD_SEND_STREAMBUF_STREAM_H
#define LIGHTSPEAD_SEND_STREAMBUF_STREAM_H

#include <streambuf>
#include <lightspead/send/stream.h>

namespace lightspead::send
{

/**
 * A stream that writes packets back to back, with no framing, into a
 * streambuf (the layout a TCP receiver or a file reader expects). A short
 * write fails the heap with @c boost::asio::error::eof.
 *
 * The streambuf must outlive the stream; the stream writes to it only from
 * the io_context's threads.
 */
class streambuf_stream : public stream
{
public:
    /// Write the packets to @a streambuf (which must outlive the stream) on @a io's threads.
    streambuf_stream(io_context_ref io, std::streambuf &streambuf, const stream_config &config = stream_config());
};

}  // namespace lightspead::send

#endif  // LIGHTSPEAD_SEND_STREAMBUF_STREAM_H
