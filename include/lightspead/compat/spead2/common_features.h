/**
 * @file
 * spead2's <spead2/common_features.h>: which optional features are built in.
 * Forwards to lightspead (see docs/migrating-from-spead2.md).
 *
 * The version is that of the spead2 API lightspead implements, so programs
 * that test it take their spead2 4.5 branch. ibverbs and its relatives are
 * absent; the socket paths (recvmmsg, sendmmsg, GSO, GRO, eventfd, pcap) are
 * always built in.
 */
#ifndef LIGHTSPEAD_COMPAT_SPEAD2_COMMON_FEATURES_H
#define LIGHTSPEAD_COMPAT_SPEAD2_COMMON_FEATURES_H

#include <lightspead/compat/namespace.h>

#define SPEAD2_MAJOR 4
#define SPEAD2_MINOR 5
#define SPEAD2_PATCH 1
#define SPEAD2_VERSION "4.5.1"

#define SPEAD2_USE_IBV 0
#define SPEAD2_USE_IBV_HW_RATE_LIMIT 0
#define SPEAD2_USE_MLX5DV 0
#define SPEAD2_USE_RECVMMSG 1
#define SPEAD2_USE_SENDMMSG 1
#define SPEAD2_USE_GSO 1
#define SPEAD2_USE_GRO 1
#define SPEAD2_USE_EVENTFD 1
#define SPEAD2_USE_PTHREAD_SETAFFINITY_NP 1
#define SPEAD2_USE_FMV 0
#if defined(__x86_64__)
# define SPEAD2_USE_SSE2_STREAM 1  // memcpy_nontemporal uses SSE2 streaming stores
#else
# define SPEAD2_USE_SSE2_STREAM 0
#endif
#define SPEAD2_USE_AVX_STREAM 0
#define SPEAD2_USE_AVX512_STREAM 0
#define SPEAD2_USE_SVE_STREAM 0
#define SPEAD2_USE_POSIX_SEMAPHORES 0
#define SPEAD2_USE_PCAP 1

#endif  // LIGHTSPEAD_COMPAT_SPEAD2_COMMON_FEATURES_H
