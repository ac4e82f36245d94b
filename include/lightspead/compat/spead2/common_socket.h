/**
 * @file
 * spead2's <spead2/common_socket.h>: socket options.
 * Forwards to lightspead (see docs/migrating-from-spead2.md).
 */
#ifndef LIGHTSPEAD_COMPAT_SPEAD2_COMMON_SOCKET_H
#define LIGHTSPEAD_COMPAT_SPEAD2_COMMON_SOCKET_H

#include <lightspead/common/socket_options.h>
#include <lightspead/compat/namespace.h>

#endif  // LIGHTSPEAD_COMPAT_SPEAD2_COMMON_SOCKET_H
