/**
 * @file
 * spead2's <spead2/recv_live_heap.h>: heaps under reassembly.
 * Forwards to lightspead (see docs/migrating-from-spead2.md).
 */
#ifndef LIGHTSPEAD_COMPAT_SPEAD2_RECV_LIVE_HEAP_H
#define LIGHTSPEAD_COMPAT_SPEAD2_RECV_LIVE_HEAP_H

#include <lightspead/compat/namespace.h>
#include <lightspead/recv/live_heap.h>

#endif  // LIGHTSPEAD_COMPAT_SPEAD2_RECV_LIVE_HEAP_H
