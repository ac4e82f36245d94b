/**
 * @file
 * spead2's <spead2/recv_udp.h>: the UDP reader.
 * Forwards to lightspead (see docs/migrating-from-spead2.md).
 */
#ifndef LIGHTSPEAD_COMPAT_SPEAD2_RECV_UDP_H
#define LIGHTSPEAD_COMPAT_SPEAD2_RECV_UDP_H

#include <lightspead/compat/namespace.h>
#include <lightspead/recv/udp_reader.h>

#endif  // LIGHTSPEAD_COMPAT_SPEAD2_RECV_UDP_H
