/**
 * @file
 * spead2's <spead2/send_udp.h>: the UDP send stream.
 * Forwards to lightspead (see docs/migrating-from-spead2.md).
 */
#ifndef LIGHTSPEAD_COMPAT_SPEAD2_SEND_UDP_H
#define LIGHTSPEAD_COMPAT_SPEAD2_SEND_UDP_H

#include <lightspead/compat/namespace.h>
#include <lightspead/send/udp_stream.h>

#endif  // LIGHTSPEAD_COMPAT_SPEAD2_SEND_UDP_H
