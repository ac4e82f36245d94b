/**
 * @file
 * spead2's <spead2/send_packet.h>: the packet generator.
 * Forwards to lightspead (see docs/migrating-from-spead2.md).
 */
#ifndef LIGHTSPEAD_COMPAT_SPEAD2_SEND_PACKET_H
#define LIGHTSPEAD_COMPAT_SPEAD2_SEND_PACKET_H

#include <lightspead/compat/namespace.h>
#include <lightspead/send/packet_generator.h>

#endif  // LIGHTSPEAD_COMPAT_SPEAD2_SEND_PACKET_H
