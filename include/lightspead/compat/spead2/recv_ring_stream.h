/**
 * @file
 * spead2's <spead2/recv_ring_stream.h>: the ring stream.
 * Forwards to lightspead (see docs/migrating-from-spead2.md).
 */
#ifndef LIGHTSPEAD_COMPAT_SPEAD2_RECV_RING_STREAM_H
#define LIGHTSPEAD_COMPAT_SPEAD2_RECV_RING_STREAM_H

#include <lightspead/compat/namespace.h>
#include <lightspead/recv/ring_stream.h>

#endif  // LIGHTSPEAD_COMPAT_SPEAD2_RECV_RING_STREAM_H
