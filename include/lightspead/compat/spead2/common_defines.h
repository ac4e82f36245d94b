/**
 * @file
 * spead2's <spead2/common_defines.h>: item pointers, constants and bug-compatibility masks.
 * Forwards to lightspead (see docs/migrating-from-spead2.md).
 */
#ifndef LIGHTSPEAD_COMPAT_SPEAD2_COMMON_DEFINES_H
#define LIGHTSPEAD_COMPAT_SPEAD2_COMMON_DEFINES_H

#include <lightspead/compat/namespace.h>
#include <lightspead/protocol/defines.h>

#endif  // LIGHTSPEAD_COMPAT_SPEAD2_COMMON_DEFINES_H
