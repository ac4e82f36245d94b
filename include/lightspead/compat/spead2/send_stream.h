/**
 * @file
 * spead2's <spead2/send_stream.h>: the send stream.
 * Forwards to lightspead (see docs/migrating-from-spead2.md).
 */
#ifndef LIGHTSPEAD_COMPAT_SPEAD2_SEND_STREAM_H
#define LIGHTSPEAD_COMPAT_SPEAD2_SEND_STREAM_H

#include <lightspead/compat/namespace.h>
#include <lightspead/send/stream.h>

#endif  // LIGHTSPEAD_COMPAT_SPEAD2_SEND_STREAM_H
