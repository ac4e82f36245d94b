/**
 * @file
 * Umbrella header: the whole public C++ API of lightspead.
 */
#ifndef LIGHTSPEAD_LIGHTSPEAD_H
#define LIGHTSPEAD_LIGHTSPEAD_H

#include <lightspead/common/endian.h>
#include <lightspead/common/eventfd_semaphore.h>
#include <lightspead/common/inproc_queue.h>
#include <lightspead/common/iovec.h>
#include <lightspead/common/logging.h>
#include <lightspead/common/memcpy.h>
#include <lightspead/common/memory_allocator.h>
#include <lightspead/common/resolve.h>
#include <lightspead/common/ringbuffer.h>
#include <lightspead/common/socket_options.h>
#include <lightspead/common/thread_pool.h>
#include <lightspead/common/udp_offload.h>
#include <lightspead/common/version.h>
#include <lightspead/protocol/captured_frame.h>
#include <lightspead/protocol/defines.h>
#include <lightspead/protocol/descriptor.h>
#include <lightspead/protocol/flavour.h>
#include <lightspead/protocol/items.h>
#include <lightspead/protocol/packet.h>
#include <lightspead/protocol/stream_framing.h>
#include <lightspead/recv/chunk_stream.h>
#include <lightspead/recv/chunk_stream_group.h>
#include <lightspead/recv/heap.h>
#include <lightspead/recv/inproc_reader.h>
#include <lightspead/recv/live_heap.h>
#include <lightspead/recv/mem_reader.h>
#include <lightspead/recv/ring_stream.h>
#include <lightspead/recv/stream.h>
#include <lightspead/recv/stream_config.h>
#include <lightspead/recv/stream_stats.h>
#include <lightspead/recv/tcp_reader.h>
#include <lightspead/recv/udp_pcap_file_reader.h>
#include <lightspead/recv/udp_reader.h>
#include <lightspead/recv/yielding_reader.h>
#include <lightspead/send/batch_builder.h>
#include <lightspead/send/heap.h>
#include <lightspead/send/inproc_stream.h>
#include <lightspead/send/packet_generator.h>
#include <lightspead/send/rate_limiter.h>
#include <lightspead/send/registered_allocator.h>
#include <lightspead/send/stream.h>
#include <lightspead/send/stream_config.h>
#include <lightspead/send/streambuf_stream.h>
#include <lightspead/send/tcp_stream.h>
#include <lightspead/send/udp_stream.h>

/// lightspead: SPEAD sending and receiving, with spead2's C++ names.
namespace lightspead
{
/// Sending: heaps, streams and their transports (UDP, TCP, in-process, any std::streambuf).
namespace send
{
}
/// Receiving: heaps, streams, ring and chunk streams, and their readers.
namespace recv
{
/// Indices of the standard statistics in a @ref stream_stats.
namespace stream_stat_indices
{
}
}  // namespace recv
}  // namespace lightspead

#endif  // LIGHTSPEAD_LIGHTSPEAD_H
