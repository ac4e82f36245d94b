/**
 * @file
 * spead2's <spead2/common_inproc.h>: in-process packet queues.
 * Forwards to lightspead (see docs/migrating-from-spead2.md).
 */
#ifndef LIGHTSPEAD_COMPAT_SPEAD2_COMMON_INPROC_H
#define LIGHTSPEAD_COMPAT_SPEAD2_COMMON_INPROC_H

#include <lightspead/common/inproc_queue.h>
#include <lightspead/compat/namespace.h>

#endif  // LIGHTSPEAD_COMPAT_SPEAD2_COMMON_INPROC_H
