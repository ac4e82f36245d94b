/**
 * @file
 * spead2's <spead2/recv_reader.h>: the reader base class.
 * Forwards to lightspead (see docs/migrating-from-spead2.md).
 */
#ifndef LIGHTSPEAD_COMPAT_SPEAD2_RECV_READER_H
#define LIGHTSPEAD_COMPAT_SPEAD2_RECV_READER_H

#include <lightspead/compat/namespace.h>
#include <lightspead/recv/stream.h>

#endif  // LIGHTSPEAD_COMPAT_SPEAD2_RECV_READER_H
