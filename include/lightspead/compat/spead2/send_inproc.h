/**
 * @file
 * spead2's <spead2/send_inproc.h>: the in-process send stream.
 * Forwards to lightspead (see docs/migrating-from-spead2.md).
 */
#ifndef LIGHTSPEAD_COMPAT_SPEAD2_SEND_INPROC_H
#define LIGHTSPEAD_COMPAT_SPEAD2_SEND_INPROC_H

#include <lightspead/compat/namespace.h>
#include <lightspead/send/inproc_stream.h>

#endif  // LIGHTSPEAD_COMPAT_SPEAD2_SEND_INPROC_H
