/**
 * @file
 * spead2's <spead2/common_semaphore.h>: the eventfd semaphore.
 * Forwards to lightspead (see docs/migrating-from-spead2.md).
 */
#ifndef LIGHTSPEAD_COMPAT_SPEAD2_COMMON_SEMAPHORE_H
#define LIGHTSPEAD_COMPAT_SPEAD2_COMMON_SEMAPHORE_H

#include <lightspead/common/eventfd_semaphore.h>
#include <lightspead/compat/namespace.h>

#endif  // LIGHTSPEAD_COMPAT_SPEAD2_COMMON_SEMAPHORE_H
