/**
 * @file
 * spead2's <spead2/recv_chunk_stream_group.h>: chunk stream groups.
 * Forwards to lightspead (see docs/migrating-from-spead2.md).
 */
#ifndef LIGHTSPEAD_COMPAT_SPEAD2_RECV_CHUNK_STREAM_GROUP_H
#define LIGHTSPEAD_COMPAT_SPEAD2_RECV_CHUNK_STREAM_GROUP_H

#include <lightspead/compat/namespace.h>
#include <lightspead/recv/chunk_stream_group.h>

#endif  // LIGHTSPEAD_COMPAT_SPEAD2_RECV_CHUNK_STREAM_GROUP_H
