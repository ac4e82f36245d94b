/**
 * @file
 * spead2's <spead2/common_memory_pool.h>: the memory pool.
 * Forwards to lightspead (see docs/migrating-from-spead2.md).
 */
#ifndef LIGHTSPEAD_COMPAT_SPEAD2_COMMON_MEMORY_POOL_H
#define LIGHTSPEAD_COMPAT_SPEAD2_COMMON_MEMORY_POOL_H

#include <lightspead/common/memory_allocator.h>
#include <lightspead/compat/namespace.h>

#endif  // LIGHTSPEAD_COMPAT_SPEAD2_COMMON_MEMORY_POOL_H
