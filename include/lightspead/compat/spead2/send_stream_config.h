/**
 * @file
 * spead2's <spead2/send_stream_config.h>: the send stream configuration.
 * Forwards to lightspead (see docs/migrating-from-spead2.md).
 */
#ifndef LIGHTSPEAD_COMPAT_SPEAD2_SEND_STREAM_CONFIG_H
#define LIGHTSPEAD_COMPAT_SPEAD2_SEND_STREAM_CONFIG_H

#include <lightspead/compat/namespace.h>
#include <lightspead/send/stream_config.h>

#endif  // LIGHTSPEAD_COMPAT_SPEAD2_SEND_STREAM_CONFIG_H
