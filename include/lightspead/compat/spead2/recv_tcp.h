/**
 * @file
 * spead2's <spead2/recv_tcp.h>: the TCP reader.
 * Forwards to lightspead (see docs/migrating-from-spead2.md).
 */
#ifndef LIGHTSPEAD_COMPAT_SPEAD2_RECV_TCP_H
#define LIGHTSPEAD_COMPAT_SPEAD2_RECV_TCP_H

#include <lightspead/compat/namespace.h>
#include <lightspead/recv/tcp_reader.h>

#endif  // LIGHTSPEAD_COMPAT_SPEAD2_RECV_TCP_H
