// Binding glue for lightspead.send: converts Python objects to the C++
// send API and back. Item encoding, item groups and asyncio live in
// python/lightspead/send.
#include <atomic>
#include <future>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/use_future.hpp>
#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/shared_ptr.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>
#include <lightspead/common/pollable_queue.h>
#include <lightspead/common/resolve.h>
#include <lightspead/common/socket_options.h>
#include <lightspead/common/thread_pool.h>
#include <lightspead/send/heap.h>
#include <lightspead/send/inproc_stream.h>
#include <lightspead/send/packet_generator.h>
#include <lightspead/send/registered_allocator.h>
#include <lightspead/send/stream.h>
#include <lightspead/send/stream_config.h>
#include <lightspead/send/streambuf_stream.h>
#include <lightspead/send/tcp_stream.h>
#include <lightspead/send/udp_stream.h>
#include "common.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace lightspead::python
{

namespace
{

/// A send::heap plus the Python buffers its items point into.
class send_heap_wrapper
{
public:
    send::heap heap;
    std::vector<std::unique_ptr<buffer_view>> buffers;
    /* Sends of this heap not yet completed. While there is one, the heap
     * refuses changes: the network thread reads it, and another Python
     * thread adding an item crashed it. Counted up with the GIL held
     * before a send is queued, down by its completion handler.
     */
    std::shared_ptr<std::atomic<int>> in_flight = std::make_shared<std::atomic<int>>(0);

    explicit send_heap_wrapper(const flavour &f) : heap(f) {}

    void check_unsent() const
    {
        if (in_flight->load(std::memory_order_acquire) > 0)
            throw std::runtime_error("the heap is being sent: it cannot change until its send completes");
    }
};

/// The in-flight counts of heaps being sent; counted down when destroyed (or released).
class flight
{
private:
    std::vector<std::shared_ptr<std::atomic<int>>> counts;

public:
    void add(send_heap_wrapper &h)
    {
        h.in_flight->fetch_add(1, std::memory_order_relaxed);
        counts.push_back(h.in_flight);
    }

    flight() = default;
    flight(flight &&) = default;
    flight &operator=(flight &&) = delete;
    flight(const flight &) = delete;
    flight &operator=(const flight &) = delete;

    ~flight()
    {
        for (auto &c : counts)
            c->fetch_sub(1, std::memory_order_release);
    }
};

/// The packets of a heap, one bytes object each, for tests and tools.
struct packet_generator_wrapper
{
    send::packet_generator gen;  // its heap is kept alive by the binding (keep_alive)
    std::vector<std::uint8_t> header;
    std::vector<iovec> iov;

    packet_generator_wrapper(const send::heap &h, item_pointer_t cnt, std::size_t max_packet_size)
        : gen(h, cnt, max_packet_size), header(gen.max_header_size())
    {
    }

    nb::bytes next()
    {
        if (!gen.has_next_packet())
            throw nb::stop_iteration();
        iov.clear();
        const std::size_t size = gen.next_packet(header.data(), iov);
        std::string packet;
        packet.reserve(size);
        for (const auto &piece : iov)
            packet.append(static_cast<const char *>(piece.iov_base), piece.iov_len);
        return nb::bytes(packet.data(), packet.size());
    }
};

/// (token, (errno, message) or None, bytes sent) for asyncio completions.
using completion = std::tuple<std::uint64_t, std::optional<std::pair<int, std::string>>, item_pointer_t>;

std::optional<std::pair<int, std::string>> completion_error(const boost::system::error_code &ec)
{
    if (!ec)
        return std::nullopt;
    // Asio's own errors (operation_aborted, ...) are errno values too
    const bool is_errno = ec.category() == boost::system::system_category()
        || ec.category() == boost::system::generic_category();
    return std::make_pair(is_errno ? ec.value() : 0, ec.message());
}

/// A stream with blocking and pollable-completion sends.
class send_stream_wrapper
{
public:
    virtual ~send_stream_wrapper()
    {
        // Wait for queued heaps without holding the GIL (their completion
        // handlers never need it).
        nb::gil_scoped_release release;
        stream.reset();
    }

    std::unique_ptr<send::stream> stream;
    std::shared_ptr<pollable_queue<completion>> completions = std::make_shared<pollable_queue<completion>>();

    using reference = std::tuple<send_heap_wrapper *, s_item_pointer_t, std::size_t, double>;

    static std::vector<send::heap_reference> to_refs(const std::vector<reference> &refs, flight &in_flight)
    {
        std::vector<send::heap_reference> out;
        for (const auto &[h, cnt, substream, rate] : refs)
        {
            if (!h)
                throw std::invalid_argument("a heap reference needs a heap");
            out.emplace_back(h->heap, cnt, substream, rate);
        }
        for (const auto &ref : refs)
            in_flight.add(*std::get<0>(ref));
        return out;
    }

    item_pointer_t send_heaps(const std::vector<reference> &refs, send::group_mode mode)
    {
        flight in_flight;
        auto r = to_refs(refs, in_flight);
        auto f = stream->async_send_heaps(r, boost::asio::use_future, mode);
        // A failed send raises boost::system::system_error, which the
        // module's translator turns into OSError with its errno.
        return wait_releasing_gil(f);
    }

    void async_send_heaps(const std::vector<reference> &refs, send::group_mode mode, std::uint64_t token)
    {
        flight in_flight;
        auto r = to_refs(refs, in_flight);
        auto queue = completions;
        auto held = std::make_shared<flight>(std::move(in_flight));
        stream->async_send_heaps(
            r,
            [queue, token, held](const boost::system::error_code &ec, item_pointer_t bytes) mutable
            {
                held.reset();  // the heaps may change again
                queue->push(completion(token, completion_error(ec), bytes));
            },
            mode);
    }

    item_pointer_t send_heap(send_heap_wrapper &h, s_item_pointer_t cnt, std::size_t substream, double rate)
    {
        flight in_flight;
        in_flight.add(h);
        auto f = stream->async_send_heap(h.heap, boost::asio::use_future, cnt, substream, rate);
        // A failed send raises boost::system::system_error, which the
        // module's translator turns into OSError with its errno.
        return wait_releasing_gil(f);
    }

    void async_send_heap(send_heap_wrapper &h, std::uint64_t token, s_item_pointer_t cnt, std::size_t substream,
                         double rate)
    {
        // The queue, not the wrapper, is captured: it outlives the stream.
        auto queue = completions;
        auto held = std::make_shared<flight>();
        held->add(h);
        stream->async_send_heap(
            h.heap,
            [queue, token, held](const boost::system::error_code &ec, item_pointer_t bytes) mutable
            {
                held.reset();  // the heap may change again
                queue->push(completion(token, completion_error(ec), bytes));
            },
            cnt, substream, rate);
    }

    void flush()
    {
        nb::gil_scoped_release release;
        stream->flush();
    }

    void stop()
    {
        nb::gil_scoped_release release;
        stream->stop();
    }
};

/**
 * Construct the wrapper at @a self and give it the stream @a make returns.
 * nanobind does not destroy an object whose __init__ raised, so if making
 * the stream fails the wrapper is destroyed here: otherwise what it holds
 * (the completion queue's eventfd) leaked with every failed constructor.
 */
template<typename W, typename F>
void construct_stream(W *self, F &&make)
{
    new (self) W();
    try
    {
        self->stream = make(*self);
    }
    catch (...)
    {
        self->~W();
        throw;
    }
}

/// (host, port) pairs as endpoints, names resolved with the GIL released.
template<typename Endpoint>
std::vector<Endpoint> resolve_endpoints(const std::vector<std::pair<std::string, long long>> &endpoints)
{
    nb::gil_scoped_release release;
    std::vector<Endpoint> out;
    for (const auto &[host, port] : endpoints)
        out.emplace_back(resolve_host(host), to_port(port));
    return out;
}

boost::asio::ip::address resolve_interface(const std::string &host)
{
    nb::gil_scoped_release release;
    return host.empty() ? boost::asio::ip::address() : resolve_host(host);
}

class send_udp_stream_wrapper : public send_stream_wrapper
{
};

class send_inproc_stream_wrapper : public send_stream_wrapper
{
};

class send_tcp_stream_wrapper : public send_stream_wrapper
{
};

/// A streambuf_stream writing into a string, for tests and files.
class send_bytes_stream_wrapper : public send_stream_wrapper
{
public:
    std::stringbuf buffer;

    ~send_bytes_stream_wrapper()
    {
        // The stream writes into `buffer`: it must go first.
        nb::gil_scoped_release release;
        stream.reset();
    }
};

}  // anonymous namespace

void register_send(nb::module_ &m)
{
    using send::stream_config;
    nb::enum_<send::rate_method>(m, "RateMethod", "How a stream keeps to its rate (always software in lightspead)")
        .value("SW", send::rate_method::SW, "pace in software")
        .value("HW", send::rate_method::HW, "hardware pacing where available (never here: software)")
        .value("AUTO", send::rate_method::AUTO, "whichever is better (software here)");
    nb::enum_<send::zerocopy_mode>(m, "ZerocopyMode",
                                   "Whether heaps go to the kernel without copying (MSG_ZEROCOPY; UDP streams only)")
        .value("OFF", send::zerocopy_mode::off, "always copy")
        .value("ON", send::zerocopy_mode::on, "every heap, even where the kernel reports that it copied")
        .value("AUTO", send::zerocopy_mode::automatic,
               "heaps of at least zerocopy_threshold bytes, until the kernel reports that it copies");
    nb::class_<send::registered_allocator, memory_allocator>(
        m, "RegisteredAllocator",
        "One pre-faulted region of huge-page memory of size bytes (plus HEADER_SPACE for packet headers) that a "
        "UDP stream given it (StreamConfig.registered_allocator) registers with the kernel once: heaps sent "
        "without copying from it skip the pinning of their pages. allocate() raises MemoryError when the region "
        "is full; lightspead.empty(..., allocator=...) puts numpy arrays in it")
        .def(nb::new_([](std::size_t size) { return std::make_shared<send::registered_allocator>(size); }), "size"_a)
        .def_prop_ro("size", &send::registered_allocator::get_size,
                     "Bytes for the application (the size given, rounded up to ALIGNMENT)")
        .def_prop_ro("free", &send::registered_allocator::get_free, "Bytes of the application's part not allocated")
        .def_prop_ro("region_size", &send::registered_allocator::get_region_size,
                     "Bytes of the whole region, header space included, as registered with the kernel");
    nb::object registered_class = m.attr("RegisteredAllocator");
    registered_class.attr("HEADER_SPACE") = send::registered_allocator::header_space;
    registered_class.attr("ALIGNMENT") = send::registered_allocator::alignment;

    nb::class_<stream_config>(m, "StreamConfig", "Packet size, rate and queue depth of a send stream")
        .def(
            "__init__",
            [](stream_config *self, std::size_t max_packet_size, double rate, std::size_t burst_size,
               std::size_t max_heaps, double burst_rate_ratio, send::rate_method rate_method,
               send::zerocopy_mode zerocopy, std::size_t zerocopy_threshold,
               std::shared_ptr<send::registered_allocator> registered_allocator)
            {
                // Checked before the object exists: nanobind does not destroy
                // an object whose __init__ raised.
                stream_config c;
                c.set_max_packet_size(max_packet_size)
                    .set_rate(rate)
                    .set_burst_size(burst_size)
                    .set_max_heaps(max_heaps)
                    .set_burst_rate_ratio(burst_rate_ratio)
                    .set_rate_method(rate_method)
                    .set_zerocopy(zerocopy)
                    .set_zerocopy_threshold(zerocopy_threshold)
                    .set_registered_allocator(std::move(registered_allocator));
                new (self) stream_config(std::move(c));
            },
            nb::kw_only(), "max_packet_size"_a = stream_config::default_max_packet_size, "rate"_a = 0.0,
            "burst_size"_a = stream_config::default_burst_size, "max_heaps"_a = stream_config::default_max_heaps,
            "burst_rate_ratio"_a = stream_config::default_burst_rate_ratio,
            "rate_method"_a = stream_config::default_rate_method, "zerocopy"_a = stream_config::default_zerocopy,
            "zerocopy_threshold"_a = stream_config::default_zerocopy_threshold, "registered_allocator"_a = nullptr)
        .def_prop_rw(
            "max_packet_size", &stream_config::get_max_packet_size,
            [](stream_config &c, std::size_t v) { c.set_max_packet_size(v); },
            "Largest packet, in bytes, headers included")
        .def_prop_rw(
            "rate", &stream_config::get_rate, [](stream_config &c, double v) { c.set_rate(v); },
            "Bytes per second (headers included) to send at; 0 for as fast as possible")
        .def_prop_rw(
            "burst_size", &stream_config::get_burst_size, [](stream_config &c, std::size_t v) { c.set_burst_size(v); },
            "Bytes sent back to back before the rate limiter may pause")
        .def_prop_rw(
            "max_heaps", &stream_config::get_max_heaps, [](stream_config &c, std::size_t v) { c.set_max_heaps(v); },
            "Heaps that may be queued at once; a send beyond fails with would_block")
        .def_prop_rw(
            "burst_rate_ratio", &stream_config::get_burst_rate_ratio,
            [](stream_config &c, double v) { c.set_burst_rate_ratio(v); },
            "How much faster than rate the stream may send to catch up after falling behind")
        .def_prop_rw(
            "rate_method", &stream_config::get_rate_method,
            [](stream_config &c, send::rate_method v) { c.set_rate_method(v); },
            "How the rate is enforced (RateMethod)")
        .def_prop_rw(
            "zerocopy", &stream_config::get_zerocopy,
            [](stream_config &c, send::zerocopy_mode v) { c.set_zerocopy(v); },
            "Whether heaps go to the kernel without copying (ZerocopyMode; default AUTO)")
        .def_prop_rw(
            "zerocopy_threshold", &stream_config::get_zerocopy_threshold,
            [](stream_config &c, std::size_t v) { c.set_zerocopy_threshold(v); },
            "Smallest heap payload, in bytes, that ZerocopyMode.AUTO sends without copying")
        .def_prop_rw(
            "registered_allocator", &stream_config::get_registered_allocator,
            [](stream_config &c, std::shared_ptr<send::registered_allocator> v)
            { c.set_registered_allocator(std::move(v)); },
            nb::for_setter(nb::arg("value").none()),
            "RegisteredAllocator whose memory a UDP stream registers with the kernel (others ignore it); None for "
            "none")
        .def_prop_ro("burst_rate", &stream_config::get_burst_rate, "rate * burst_rate_ratio: the catch-up rate");
    nb::object config_class = m.attr("StreamConfig");
    config_class.attr("DEFAULT_MAX_PACKET_SIZE") = stream_config::default_max_packet_size;
    config_class.attr("DEFAULT_MAX_HEAPS") = stream_config::default_max_heaps;
    config_class.attr("DEFAULT_BURST_SIZE") = stream_config::default_burst_size;
    config_class.attr("DEFAULT_BURST_RATE_RATIO") = stream_config::default_burst_rate_ratio;
    config_class.attr("DEFAULT_RATE_METHOD") = stream_config::default_rate_method;
    config_class.attr("DEFAULT_ZEROCOPY") = stream_config::default_zerocopy;
    config_class.attr("DEFAULT_ZEROCOPY_THRESHOLD") = stream_config::default_zerocopy_threshold;
    m.attr("DEFAULT_MAX_PACKET_SIZE") = stream_config::default_max_packet_size;
    m.attr("DEFAULT_MAX_HEAPS") = stream_config::default_max_heaps;
    m.attr("DEFAULT_BURST_SIZE") = stream_config::default_burst_size;
    m.attr("DEFAULT_BURST_RATE_RATIO") = stream_config::default_burst_rate_ratio;

    nb::enum_<send::group_mode>(m, "GroupMode", "How the packets of a group of heaps are ordered")
        .value("ROUND_ROBIN", send::group_mode::round_robin, "one packet of each heap in turn")
        .value("SERIAL", send::group_mode::serial, "each heap in full, then the next");

    nb::class_<send_heap_wrapper>(m, "_RawHeap", "A heap at the level of raw items (see lightspead.send.Heap)")
        .def(nb::init<const flavour &>(), "flavour"_a = flavour())
        .def_prop_ro(
            "flavour", [](const send_heap_wrapper &h) { return h.heap.get_flavour(); },
            "The flavour the heap is encoded with")
        .def_prop_rw(
            "repeat_pointers", [](const send_heap_wrapper &h) { return h.heap.get_repeat_pointers(); },
            [](send_heap_wrapper &h, bool v)
            {
                h.check_unsent();
                h.heap.set_repeat_pointers(v);
            },
            "Whether every packet repeats all the item pointers (so each packet can be decoded alone)")
        .def(
            "add_buffer",
            [](send_heap_wrapper &h, s_item_pointer_t id, nb::handle obj, bool allow_immediate)
            {
                h.check_unsent();
                auto view = std::make_unique<buffer_view>(obj);
                h.heap.add_item(id, view->data(), view->size(), allow_immediate);
                h.buffers.push_back(std::move(view));
            },
            "id"_a, "buffer"_a, "allow_immediate"_a,
            "Add an item referencing the object's buffer (kept alive with the heap)")
        .def(
            "add_immediate",
            [](send_heap_wrapper &h, s_item_pointer_t id, item_pointer_t value)
            {
                h.check_unsent();
                h.heap.add_item(id, value);
            },
            "id"_a, "value"_a,
            "Add an item whose value (an integer of the heap address width) travels in its item pointer")
        .def(
            "add_raw_descriptor",
            [](send_heap_wrapper &h, s_item_pointer_t id, const std::string &name, const std::string &description,
               const std::vector<std::pair<std::string, s_item_pointer_t>> &format,
               const std::vector<s_item_pointer_t> &shape, const std::string &numpy_header)
            {
                descriptor d;
                d.id = id;
                d.name = name;
                d.description = description;
                for (const auto &[code, bits] : format)
                {
                    if (code.size() != 1)
                        throw std::invalid_argument("format codes are single characters");
                    d.format.emplace_back(code[0], bits);
                }
                d.shape = shape;
                d.numpy_header = numpy_header;
                h.check_unsent();
                h.heap.add_descriptor(d);
            },
            "id"_a, "name"_a, "description"_a, "format"_a, "shape"_a, "numpy_header"_a,
            "Add a descriptor from its parts: format as (code, bits) pairs, or an empty format and a numpy header")
        .def(
            "add_start",
            [](send_heap_wrapper &h)
            {
                h.check_unsent();
                h.heap.add_start();
            },
            "Add a stream-control start item (the stream begins)")
        .def(
            "add_end",
            [](send_heap_wrapper &h)
            {
                h.check_unsent();
                h.heap.add_end();
            },
            "Add a stream-control stop item (receivers stop after this heap)");

    nb::class_<packet_generator_wrapper>(m, "PacketGenerator",
                                         "Iterates over the packets of a heap (as bytes), as a stream would send "
                                         "them with heap counter cnt and packets of at most max_packet_size bytes")
        .def(
            "__init__",
            [](packet_generator_wrapper *self, const send_heap_wrapper &heap, item_pointer_t cnt,
               std::size_t max_packet_size) { new (self) packet_generator_wrapper(heap.heap, cnt, max_packet_size); },
            "heap"_a, "cnt"_a, "max_packet_size"_a, nb::keep_alive<1, 2>())
        .def(
            "__iter__", [](nb::handle self) { return nb::borrow(self); },
            nb::sig("def __iter__(self) -> collections.abc.Iterator[bytes]"), "The generator itself")
        .def("__next__", &packet_generator_wrapper::next, "The next packet; StopIteration after the last");

    nb::class_<send_stream_wrapper>(m, "_Stream", "Base of the send streams")
        .def("send_heap", &send_stream_wrapper::send_heap, "heap"_a, "cnt"_a = -1, "substream_index"_a = 0,
             "rate"_a = -1.0,
             "Send a heap and wait for it (GIL released); returns bytes sent. rate: bytes per second for this "
             "heap (negative: the stream's rate, 0: unlimited)")
        .def("_async_send_heap", &send_stream_wrapper::async_send_heap, "heap"_a, "token"_a, "cnt"_a = -1,
             "substream_index"_a = 0, "rate"_a = -1.0)
        .def(
            "send_heaps",
            [](send_stream_wrapper &s, nb::handle heaps, send::group_mode mode)
            {
                // HeapReference objects (pure Python) to (heap, cnt, substream, rate) tuples
                nb::object refs = nb::module_::import_("lightspead.send").attr("_references")(heaps);
                return s.send_heaps(nb::cast<std::vector<send_stream_wrapper::reference>>(refs), mode);
            },
            "heaps"_a, "mode"_a,
            nb::sig("def send_heaps(self, heaps: collections.abc.Sequence[lightspead.send.HeapReference] | "
                    "lightspead.send.HeapReferenceList, mode: GroupMode) -> int"),
            "Send a group of heaps (HeapReference objects or a HeapReferenceList) and wait for all of them "
            "(GIL released); returns the bytes sent. mode is a GroupMode.")
        .def("_async_send_heaps", &send_stream_wrapper::async_send_heaps, "refs"_a, "mode"_a, "token"_a)
        .def_prop_ro("_completion_fd", [](const send_stream_wrapper &s) { return s.completions->get_fd(); })
        .def("_take_completions", [](send_stream_wrapper &s) { return s.completions->drain(); })
        .def(
            "set_cnt_sequence",
            [](send_stream_wrapper &s, item_pointer_t next, item_pointer_t step)
            { s.stream->set_cnt_sequence(next, step); },
            "next"_a, "step"_a,
            "Number the following heaps next, next + step, ... (heaps sent with an explicit cnt keep theirs); "
            "ValueError for a step of 0")
        .def_prop_ro(
            "num_substreams", [](const send_stream_wrapper &s) { return s.stream->get_num_substreams(); },
            "How many destinations the stream sends to (substream_index counts from 0 to this)")
        .def("flush", &send_stream_wrapper::flush, "Block until every heap queued so far has completed.")
        .def("stop", &send_stream_wrapper::stop,
             "Stop the stream: heaps not yet fully sent fail with OSError(ECANCELED), as do later sends.\n"
             "Waits until every heap has completed. Stopping the ThreadPool stops its streams too.");

    using udp_endpoints = std::vector<std::pair<std::string, long long>>;
    nb::class_<send_udp_stream_wrapper, send_stream_wrapper>(m, "UdpStream", "Sends heaps as UDP datagrams")
        .def(
            "__init__",
            [](send_udp_stream_wrapper *self, thread_pool &pool, const udp_endpoints &endpoints,
               const stream_config &config, std::size_t buffer_size, const std::string &interface_address)
            {
                auto eps = resolve_endpoints<boost::asio::ip::udp::endpoint>(endpoints);
                auto iface = resolve_interface(interface_address);
                construct_stream(self,
                                 [&](send_udp_stream_wrapper &)
                                 { return std::make_unique<send::udp_stream>(pool, eps, config, buffer_size, iface); });
            },
            "thread_pool"_a, "endpoints"_a, "config"_a = stream_config(),
            "buffer_size"_a = send::udp_stream::default_buffer_size, "interface_address"_a = "", nb::keep_alive<1, 2>(),
            "Send to endpoints, a list of (host, port), from the interface with this address")
        .def(
            "__init__",
            [](send_udp_stream_wrapper *self, thread_pool &pool, const udp_endpoints &endpoints,
               const stream_config &config, std::size_t buffer_size, int ttl)
            {
                auto eps = resolve_endpoints<boost::asio::ip::udp::endpoint>(endpoints);
                construct_stream(self,
                                 [&](send_udp_stream_wrapper &)
                                 { return std::make_unique<send::udp_stream>(pool, eps, config, buffer_size, ttl); });
            },
            "thread_pool"_a, "endpoints"_a, "config"_a = stream_config(),
            "buffer_size"_a = send::udp_stream::default_buffer_size, nb::kw_only(), "ttl"_a, nb::keep_alive<1, 2>(),
            "Send to multicast endpoints with this TTL (hop limit)")
        .def(
            "__init__",
            [](send_udp_stream_wrapper *self, thread_pool &pool, const udp_endpoints &endpoints,
               const stream_config &config, std::size_t buffer_size, int ttl, const std::string &interface_address)
            {
                auto eps = resolve_endpoints<boost::asio::ip::udp::endpoint>(endpoints);
                auto iface = resolve_interface(interface_address);
                construct_stream(
                    self,
                    [&](send_udp_stream_wrapper &)
                    { return std::make_unique<send::udp_stream>(pool, eps, config, buffer_size, ttl, iface); });
            },
            "thread_pool"_a, "endpoints"_a, "config"_a = stream_config(),
            "buffer_size"_a = send::udp_stream::default_buffer_size, nb::kw_only(), "ttl"_a, "interface_address"_a,
            nb::keep_alive<1, 2>(),
            "Send to IPv4 multicast endpoints with this TTL from the interface with this address")
        .def(
            "__init__",
            [](send_udp_stream_wrapper *self, thread_pool &pool, const udp_endpoints &endpoints,
               const stream_config &config, std::size_t buffer_size, int ttl, unsigned int interface_index)
            {
                auto eps = resolve_endpoints<boost::asio::ip::udp::endpoint>(endpoints);
                construct_stream(self,
                                 [&](send_udp_stream_wrapper &) {
                                     return std::make_unique<send::udp_stream>(pool, eps, config, buffer_size, ttl,
                                                                               interface_index);
                                 });
            },
            "thread_pool"_a, "endpoints"_a, "config"_a = stream_config(),
            "buffer_size"_a = send::udp_stream::default_buffer_size, nb::kw_only(), "ttl"_a, "interface_index"_a,
            nb::keep_alive<1, 2>(), "Send to IPv6 multicast endpoints with this hop limit through interface_index")
        .def(
            "__init__",
            [](send_udp_stream_wrapper *self, thread_pool &pool, nb::handle socket, const udp_endpoints &endpoints,
               const stream_config &config)
            {
                auto eps = resolve_endpoints<boost::asio::ip::udp::endpoint>(endpoints);
                auto sock = duplicate_socket<boost::asio::ip::udp::socket>(pool.get_io_context(), socket_fd(socket));
                construct_stream(self,
                                 [&](send_udp_stream_wrapper &)
                                 { return std::make_unique<send::udp_stream>(pool, std::move(sock), eps, config); });
            },
            "thread_pool"_a, "socket"_a, "endpoints"_a, "config"_a = stream_config(), nb::keep_alive<1, 2>(),
            "Send through a socket.socket (duplicated: the caller still closes its own)")
        .def_prop_ro(
            "zerocopy_active",
            [](const send_udp_stream_wrapper &self)
            { return static_cast<const send::udp_stream &>(*self.stream).is_zerocopy_active(); },
            "Whether heaps the config marks for zero-copy go to the kernel without copying now (see "
            "StreamConfig.zerocopy)")
        .def_prop_ro(
            "zerocopy_copied",
            [](const send_udp_stream_wrapper &self)
            { return static_cast<const send::udp_stream &>(*self.stream).get_zerocopy_copied(); },
            "How many zero-copy sends the kernel reported as copied after all (as on loopback)")
        .def_prop_ro(
            "registered_active",
            [](const send_udp_stream_wrapper &self)
            { return static_cast<const send::udp_stream &>(*self.stream).is_registered_active(); },
            "Whether heaps sent without copying from the config's RegisteredAllocator go from registered buffers "
            "now (False without one, where io_uring or the registration is unavailable, or after the kernel "
            "refused such a send; the reason is logged)")
        .def_prop_ro(
            "registered_sends",
            [](const send_udp_stream_wrapper &self)
            { return static_cast<const send::udp_stream &>(*self.stream).get_registered_sends(); },
            "How many sends (datagrams or GSO super-packets) went from registered buffers");

    nb::class_<send_bytes_stream_wrapper, send_stream_wrapper>(
        m, "BytesStream", "Sends heaps into memory; getvalue() returns the packets")
        .def(
            "__init__",
            [](send_bytes_stream_wrapper *self, thread_pool &pool, const stream_config &config)
            {
                construct_stream(self,
                                 [&](send_bytes_stream_wrapper &w)
                                 { return std::make_unique<send::streambuf_stream>(pool, w.buffer, config); });
            },
            "thread_pool"_a, "config"_a = stream_config(), nb::keep_alive<1, 2>())
        .def(
            "getvalue",
            [](send_bytes_stream_wrapper &self)
            {
                self.flush();
                const std::string data = self.buffer.str();
                return nb::bytes(data.data(), data.size());
            },
            "Every byte sent so far, after waiting for queued heaps");

    nb::class_<send_tcp_stream_wrapper, send_stream_wrapper>(m, "TcpStream", "Sends heaps over one TCP connection")
        .def(
            "__init__",
            [](send_tcp_stream_wrapper *self, thread_pool &pool,
               const std::vector<std::pair<std::string, long long>> &endpoints, const stream_config &config,
               std::size_t buffer_size)
            {
                if (endpoints.size() != 1)
                    throw std::invalid_argument("TcpStream needs exactly one endpoint");
                auto endpoint = resolve_endpoints<boost::asio::ip::tcp::endpoint>(endpoints)[0];
                construct_stream(self,
                                 [&](send_tcp_stream_wrapper &)
                                 {
                                     nb::gil_scoped_release release;  // connecting may take a while
                                     return std::make_unique<send::tcp_stream>(pool, endpoint, config, buffer_size);
                                 });
            },
            "thread_pool"_a, "endpoints"_a, "config"_a = stream_config(),
            "buffer_size"_a = send::tcp_stream::default_buffer_size, nb::keep_alive<1, 2>())
        .def(
            "__init__",
            [](send_tcp_stream_wrapper *self, thread_pool &pool, nb::handle socket, const stream_config &config)
            {
                auto sock = duplicate_socket<boost::asio::ip::tcp::socket>(pool.get_io_context(), socket_fd(socket));
                construct_stream(self,
                                 [&](send_tcp_stream_wrapper &)
                                 { return std::make_unique<send::tcp_stream>(pool, std::move(sock), config); });
            },
            "thread_pool"_a, "socket"_a, "config"_a = stream_config(), nb::keep_alive<1, 2>(),
            "Send over a connected socket.socket (duplicated: the caller still closes its own)");

    nb::class_<send_inproc_stream_wrapper, send_stream_wrapper>(m, "InprocStream", "Sends heaps into in-process queues")
        .def(
            "__init__",
            [](send_inproc_stream_wrapper *self, thread_pool &pool,
               const std::vector<std::shared_ptr<inproc_queue>> &queues, const stream_config &config)
            {
                construct_stream(self,
                                 [&](send_inproc_stream_wrapper &)
                                 { return std::make_unique<send::inproc_stream>(pool, queues, config); });
            },
            "thread_pool"_a, "queues"_a, "config"_a = stream_config(), nb::keep_alive<1, 2>())
        .def_prop_ro(
            "queues",
            [](const send_stream_wrapper &s)
            { return static_cast<const send::inproc_stream &>(*s.stream).get_queues(); },
            "The queues, in substream order");

    m.attr("DEFAULT_BUFFER_SIZE") = send::udp_stream::default_buffer_size;
    m.attr("UdpStream").attr("DEFAULT_BUFFER_SIZE") = send::udp_stream::default_buffer_size;
    m.attr("TcpStream").attr("DEFAULT_BUFFER_SIZE") = send::tcp_stream::default_buffer_size;
}

}  // namespace lightspead::python
