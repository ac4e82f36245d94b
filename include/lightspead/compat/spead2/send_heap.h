/**
 * @file
 * spead2's <spead2/send_heap.h>: heaps to send.
 * Forwards to lightspead (see docs/migrating-from-spead2.md).
 */
#ifndef LIGHTSPEAD_COMPAT_SPEAD2_SEND_HEAP_H
#define LIGHTSPEAD_COMPAT_SPEAD2_SEND_HEAP_H

#include <lightspead/compat/namespace.h>
#include <lightspead/send/heap.h>

#endif  // LIGHTSPEAD_COMPAT_SPEAD2_SEND_HEAP_H
