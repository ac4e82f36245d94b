/**
 * @file
 * spead2's <spead2/common_ringbuffer.h>: the ringbuffer.
 * Forwards to lightspead (see docs/migrating-from-spead2.md).
 */
#ifndef LIGHTSPEAD_COMPAT_SPEAD2_COMMON_RINGBUFFER_H
#define LIGHTSPEAD_COMPAT_SPEAD2_COMMON_RINGBUFFER_H

#include <lightspead/common/ringbuffer.h>
#include <lightspead/compat/namespace.h>

#endif  // LIGHTSPEAD_COMPAT_SPEAD2_COMMON_RINGBUFFER_H
