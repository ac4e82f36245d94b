/**
 * @file
 * Umbrella header: the whole public C++ API of lightspead.
 */
#ifndef LIGHTSPEAD_LIGHTSPEAD_H
#define LIGHTSPEAD_LIGHTSPEAD_H

#include <lightspead/protocol/defines.h>
#include <lightspead/protocol/flavour.h>
#include <lightspead/protocol/packet.h>
#include <lightspead/protocol/descriptor.h>
#include <lightspead/common/logging.h>
#include <lightspead/common/thread_pool.h>
#include <lightspead/common/inproc_queue.h>
#include <lightspead/send/heap.h>
#include <lightspead/send/packet_generator.h>
#include <lightspead/send/stream_config.h>
#include <lightspead/send/stream.h>
#include <lightspead/send/udp_stream.h>
#include <lightspead/send/inproc_stream.h>
#include <lightspead/send/streambuf_stream.h>

#endif // LIGHTSPEAD_LIGHTSPEAD_H
