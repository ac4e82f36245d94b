/**
 * @file
 * spead2's <spead2/recv_heap.h>: received heaps.
 * Forwards to lightspead (see docs/migrating-from-spead2.md).
 */
#ifndef LIGHTSPEAD_COMPAT_SPEAD2_RECV_HEAP_H
#define LIGHTSPEAD_COMPAT_SPEAD2_RECV_HEAP_H

#include <lightspead/compat/namespace.h>
#include <lightspead/recv/heap.h>

#endif  // LIGHTSPEAD_COMPAT_SPEAD2_RECV_HEAP_H
