/**
 * @file
 * spead2's <spead2/common_thread_pool.h>: the thread pool.
 * Forwards to lightspead (see docs/migrating-from-spead2.md).
 */
#ifndef LIGHTSPEAD_COMPAT_SPEAD2_COMMON_THREAD_POOL_H
#define LIGHTSPEAD_COMPAT_SPEAD2_COMMON_THREAD_POOL_H

#include <lightspead/common/thread_pool.h>
#include <lightspead/compat/namespace.h>

#endif  // LIGHTSPEAD_COMPAT_SPEAD2_COMMON_THREAD_POOL_H
