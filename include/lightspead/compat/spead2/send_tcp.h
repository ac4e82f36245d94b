/**
 * @file
 * spead2's <spead2/send_tcp.h>: the TCP send stream.
 * Forwards to lightspead (see docs/migrating-from-spead2.md).
 */
#ifndef LIGHTSPEAD_COMPAT_SPEAD2_SEND_TCP_H
#define LIGHTSPEAD_COMPAT_SPEAD2_SEND_TCP_H

#include <lightspead/compat/namespace.h>
#include <lightspead/send/tcp_stream.h>

#endif  // LIGHTSPEAD_COMPAT_SPEAD2_SEND_TCP_H
