/**
 * @file
 * spead2's <spead2/send_streambuf.h>: the std::streambuf send stream.
 * Forwards to lightspead (see docs/migrating-from-spead2.md).
 */
#ifndef LIGHTSPEAD_COMPAT_SPEAD2_SEND_STREAMBUF_H
#define LIGHTSPEAD_COMPAT_SPEAD2_SEND_STREAMBUF_H

#include <lightspead/compat/namespace.h>
#include <lightspead/send/streambuf_stream.h>

#endif  // LIGHTSPEAD_COMPAT_SPEAD2_SEND_STREAMBUF_H
