// Fuzz the receive stream as a whole. The input is a sequence of packets,
// each preceded by a 2-byte big-endian length, fed as datagrams to a stream
// with small limits. Invariants: every packet is accounted for, every
// delivered heap is self-consistent, and the memory the stream holds never
// exceeds max_heaps x substreams x max_heap_size.
#include <atomic>
#include <cstdlib>
#include <memory>
#include <utility>
#include <boost/asio/io_context.hpp>
#include <lightspead/recv/stream.h>
#include "fuzz_main.h"
#include "stream_checks.h"

using namespace lightspead;

namespace
{

constexpr std::size_t max_heap_size = 1 << 16;
constexpr std::size_t max_heaps = 2, substreams = 2;

// Counts the payload bytes allocated and not yet freed.
class counting_allocator : public memory_allocator
{
public:
    std::size_t live = 0, peak = 0;

    pointer allocate(std::size_t size, void *) override
    {
        live += size;
        peak = std::max(peak, live);
        return wrap(new std::uint8_t[size], reinterpret_cast<void *>(size));
    }

protected:
    void free(std::uint8_t *ptr, void *user) override
    {
        live -= reinterpret_cast<std::size_t>(user);
        delete[] ptr;
    }
};

class checking_stream : public recv::stream
{
public:
    using recv::stream::stream;
    std::size_t complete = 0, incomplete = 0;

    ~checking_stream() override
    {
        detach_from_pool();
        stop();
    }

protected:
    void heap_ready(recv::live_heap &&h) override
    {
        if (h.is_complete() && h.pointers_within_length())
        {
            FUZZ_CHECK(std::size_t(h.get_heap_length()) <= max_heap_size);
            recv::heap frozen(std::move(h), 0);
            for (const auto &it : frozen.get_items())
            {
                if (!it.is_immediate)
                {
                    FUZZ_CHECK(it.ptr >= frozen.get_payload());
                    FUZZ_CHECK(it.ptr + it.length <= frozen.get_payload() + frozen.get_payload_size());
                }
            }
            (void)frozen.get_descriptors();
            complete++;
        }
        else
        {
            recv::incomplete_heap partial(std::move(h), 0, true);
            for (const auto &[start, end] : partial.get_payload_ranges())
                FUZZ_CHECK(start < end
                           && (partial.get_heap_length() < 0 || end <= item_pointer_t(partial.get_heap_length())));
            incomplete++;
        }
    }
};

}  // anonymous namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size < 1)
        return 0;
    auto allocator = std::make_shared<counting_allocator>();
    boost::asio::io_context io;
    recv::stream_config config;
    config.set_max_heap_size(max_heap_size)
        .set_max_heaps(max_heaps)
        .set_substreams(substreams)
        .set_allow_out_of_order(data[0] & 1)
        .set_allow_unsized_heaps(!(data[0] & 2))
        .set_explicit_start(data[0] & 4)
        .set_memory_allocator(allocator);
    std::size_t fed = 0;
    {
        checking_stream s(io, config);
        {
            recv::stream::batch batch(s);
            std::size_t pos = 1;
            while (pos + 2 <= size)
            {
                const std::size_t length = std::min<std::size_t>((data[pos] << 8) | data[pos + 1], size - pos - 2);
                batch.add_datagram(data + pos + 2, length);
                fed++;
                pos += 2 + length;
                FUZZ_CHECK(allocator->live <= max_heaps * substreams * max_heap_size);
            }
        }
        s.stop();
        check_packets_accounted(s, fed);
        FUZZ_CHECK(s.get_stats()[recv::stat_heaps] == s.complete);
    }
    FUZZ_CHECK(allocator->peak <= max_heaps * substreams * max_heap_size);
    FUZZ_CHECK(allocator->live == 0);
    return 0;
}
