// Checks the stream fuzz harnesses share.
#ifndef LIGHTSPEAD_FUZZ_STREAM_CHECKS_H
#define LIGHTSPEAD_FUZZ_STREAM_CHECKS_H

#include <cstddef>
#include <cstdint>
#include <lightspead/recv/stream.h>
#include "fuzz_main.h"

/// Every one of the @a fed packets is counted, and accepted or discarded for a reason.
inline void check_packets_accounted(const lightspead::recv::stream &s, std::size_t fed)
{
    using namespace lightspead::recv;
    const auto stats = s.get_stats();
    const auto discards = s.get_discard_stats();
    std::uint64_t explained = discards[stat_packets_accepted];
    for (std::size_t i = stat_packets_malformed; i <= stat_packets_stale; i++)
        explained += discards[i];
    FUZZ_CHECK(stats[stat_packets] == fed);
    FUZZ_CHECK(explained == fed);
}

#endif  // LIGHTSPEAD_FUZZ_STREAM_CHECKS_H
