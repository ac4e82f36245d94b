/**
 * @file
 * spead2's <spead2/recv_inproc.h>: the in-process reader.
 * Forwards to lightspead (see docs/migrating-from-spead2.md).
 */
#ifndef LIGHTSPEAD_COMPAT_SPEAD2_RECV_INPROC_H
#define LIGHTSPEAD_COMPAT_SPEAD2_RECV_INPROC_H

#include <lightspead/compat/namespace.h>
#include <lightspead/recv/inproc_reader.h>

#endif  // LIGHTSPEAD_COMPAT_SPEAD2_RECV_INPROC_H
