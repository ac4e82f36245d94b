/**
 * @file
 * spead2's <spead2/common_memcpy.h>: the non-temporal memcpy.
 * Forwards to lightspead (see docs/migrating-from-spead2.md).
 */
#ifndef LIGHTSPEAD_COMPAT_SPEAD2_COMMON_MEMCPY_H
#define LIGHTSPEAD_COMPAT_SPEAD2_COMMON_MEMCPY_H

#include <lightspead/common/memcpy.h>
#include <lightspead/compat/namespace.h>

#endif  // LIGHTSPEAD_COMPAT_SPEAD2_COMMON_MEMCPY_H
