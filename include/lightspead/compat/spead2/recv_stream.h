/**
 * @file
 * spead2's <spead2/recv_stream.h>: the receive stream and its configuration.
 * Forwards to lightspead (see docs/migrating-from-spead2.md).
 */
#ifndef LIGHTSPEAD_COMPAT_SPEAD2_RECV_STREAM_H
#define LIGHTSPEAD_COMPAT_SPEAD2_RECV_STREAM_H

#include <lightspead/compat/namespace.h>
#include <lightspead/recv/stream.h>
#include <lightspead/recv/stream_config.h>

#endif  // LIGHTSPEAD_COMPAT_SPEAD2_RECV_STREAM_H
