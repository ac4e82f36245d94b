/**
 * @file
 * spead2's <spead2/common_logging.h>: the log hook.
 * Forwards to lightspead (see docs/migrating-from-spead2.md).
 */
#ifndef LIGHTSPEAD_COMPAT_SPEAD2_COMMON_LOGGING_H
#define LIGHTSPEAD_COMPAT_SPEAD2_COMMON_LOGGING_H

#include <lightspead/common/logging.h>
#include <lightspead/compat/namespace.h>

#endif  // LIGHTSPEAD_COMPAT_SPEAD2_COMMON_LOGGING_H
