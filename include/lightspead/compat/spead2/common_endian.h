/**
 * @file
 * spead2's <spead2/common_endian.h>: host/big-endian conversion.
 * Forwards to lightspead (see docs/migrating-from-spead2.md).
 */
#ifndef LIGHTSPEAD_COMPAT_SPEAD2_COMMON_ENDIAN_H
#define LIGHTSPEAD_COMPAT_SPEAD2_COMMON_ENDIAN_H

#include <lightspead/common/endian.h>
#include <lightspead/compat/namespace.h>

#endif  // LIGHTSPEAD_COMPAT_SPEAD2_COMMON_ENDIAN_H
