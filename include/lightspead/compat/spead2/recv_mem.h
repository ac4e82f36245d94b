/**
 * @file
 * spead2's <spead2/recv_mem.h>: the memory reader.
 * Forwards to lightspead (see docs/migrating-from-spead2.md).
 */
#ifndef LIGHTSPEAD_COMPAT_SPEAD2_RECV_MEM_H
#define LIGHTSPEAD_COMPAT_SPEAD2_RECV_MEM_H

#include <lightspead/compat/namespace.h>
#include <lightspead/recv/mem_reader.h>

#endif  // LIGHTSPEAD_COMPAT_SPEAD2_RECV_MEM_H
