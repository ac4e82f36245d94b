// Binding glue for lightspead.recv: converts between Python objects and the
// C++ receive API. Item decoding and item groups live in python/lightspead.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <nanobind/nanobind.h>
#include <nanobind/operators.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/shared_ptr.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>
#include <lightspead/common/inproc_queue.h>
#include <lightspead/common/memory_allocator.h>
#include <lightspead/common/resolve.h>
#include <lightspead/common/ringbuffer.h>
#include <lightspead/common/socket_options.h>
#include <lightspead/common/thread_pool.h>
#include <lightspead/recv/heap.h>
#include <lightspead/recv/inproc_reader.h>
#include <lightspead/recv/mem_reader.h>
#include <lightspead/recv/ring_stream.h>
#include <lightspead/recv/stream_config.h>
#include <lightspead/recv/tcp_reader.h>
#include <lightspead/recv/udp_pcap_file_reader.h>
#include <lightspead/recv/udp_reader.h>
#include "common.h"
#include "recv_stream.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace lightspead::python
{

namespace
{

/// A received heap, shared by the Python Heap and the RawItems that view it.
struct recv_heap_wrapper
{
    recv::heap heap;
    explicit recv_heap_wrapper(recv::heap &&h) : heap(std::move(h)) {}
};

/// What is known of a heap that did not complete.
struct incomplete_wrapper
{
    recv::incomplete_heap heap;
    explicit incomplete_wrapper(recv::incomplete_heap &&h) : heap(std::move(h)) {}
};

/// One item of a received heap; exposes its bytes with the buffer protocol.
struct raw_item
{
    std::shared_ptr<const void> owner;  // the heap whose memory item points into
    recv::item item;
};

int raw_item_getbuffer(PyObject *self, Py_buffer *view, int flags)
{
    raw_item *r = nb::inst_ptr<raw_item>(self);
    return PyBuffer_FillInfo(view, self, const_cast<std::uint8_t *>(r->item.ptr), Py_ssize_t(r->item.length), 1, flags);
}

PyType_Slot raw_item_slots[] = {{Py_bf_getbuffer, (void *)raw_item_getbuffer}, {0, nullptr}};

/// A ring stream plus the Python buffers its memory readers read from.
using heap_ringbuffer = ringbuffer<recv::ring_stream<>::any_heap>;

struct recv_stream_wrapper
{
    std::vector<std::unique_ptr<buffer_view>> buffers;
    std::unique_ptr<recv::ring_stream<>> stream;

    ~recv_stream_wrapper()
    {
        nb::gil_scoped_release release;
        stream.reset();  // before the buffers it reads
    }
};

std::vector<std::string> stat_names(const recv::stream_stats &s)
{
    std::vector<std::string> names;
    for (const auto &c : s.get_config())
        names.push_back(c.get_name());
    return names;
}

nb::object wrap_heap(recv::heap &&h)
{
    return nb::cast(std::make_shared<recv_heap_wrapper>(std::move(h)));
}

nb::object wrap_any(recv::ring_stream<>::any_heap &&h)
{
    if (auto *complete = std::get_if<recv::heap>(&h))
        return wrap_heap(std::move(*complete));
    return nb::cast(std::make_shared<incomplete_wrapper>(std::move(std::get<recv::incomplete_heap>(h))));
}

}  // anonymous namespace

void register_recv(nb::module_ &m)
{
    nb::class_<recv::stream_stat_config> stat_config_class(m, "StreamStatConfig",
                                                           "Name and mode (how it combines) of one stream statistic");
    using stat_mode = recv::stream_stat_config::mode;
    nb::enum_<stat_mode>(stat_config_class, "Mode", "How a statistic combines")
        .value("COUNTER", stat_mode::COUNTER, "a running total: values add")
        .value("MAXIMUM", stat_mode::MAXIMUM, "the largest value seen");
    stat_config_class.def(nb::init<std::string, stat_mode>(), "name"_a, "mode"_a = stat_mode::COUNTER)
        .def_prop_ro("name", &recv::stream_stat_config::get_name, "The statistic's name")
        .def_prop_ro("mode", &recv::stream_stat_config::get_mode, "How values combine (StreamStatConfig.Mode)")
        .def("combine", &recv::stream_stat_config::combine, "a"_a, "b"_a, "a and b combined as the mode says")
        .def(nb::self == nb::self)
        .def("__repr__",
             [](const recv::stream_stat_config &c)
             {
                 return "StreamStatConfig(" + nb::cast<std::string>(nb::repr(nb::str(c.get_name().c_str())))
                     + (c.get_mode() == stat_mode::MAXIMUM ? ", StreamStatConfig.Mode.MAXIMUM)" : ")");
             });

    using recv::stream_config;
    nb::class_<stream_config>(m, "StreamConfig", "Settings of a receive stream")
        .def(
            "__init__",
            [](stream_config *self, std::size_t max_heaps, std::size_t substreams, bug_compat_mask bug_compat,
               std::optional<int> memcpy, std::shared_ptr<memory_allocator> memory_allocator, bool stop_on_stop_item,
               bool allow_unsized_heaps, bool allow_out_of_order, bool explicit_start, std::size_t max_heap_size,
               std::uintptr_t stream_id)
            {
                new (self) stream_config();
                self->set_max_heaps(max_heaps)
                    .set_substreams(substreams)
                    .set_bug_compat(bug_compat)
                    .set_stop_on_stop_item(stop_on_stop_item)
                    .set_allow_unsized_heaps(allow_unsized_heaps)
                    .set_allow_out_of_order(allow_out_of_order)
                    .set_explicit_start(explicit_start)
                    .set_max_heap_size(max_heap_size)
                    .set_stream_id(stream_id);
                if (memcpy)  // left unset, chunk streams choose by chunk size
                    self->set_memcpy(memcpy_mode(*memcpy));
                if (memory_allocator)
                    self->set_memory_allocator(std::move(memory_allocator));
            },
            nb::kw_only(), "max_heaps"_a = stream_config::default_max_heaps, "substreams"_a = 1, "bug_compat"_a = 0,
            "memcpy"_a = nb::none(), "memory_allocator"_a = nullptr, "stop_on_stop_item"_a = true,
            "allow_unsized_heaps"_a = true, "allow_out_of_order"_a = false, "explicit_start"_a = false,
            "max_heap_size"_a = stream_config::default_max_heap_size, "stream_id"_a = 0)
        .def_prop_rw(
            "max_heaps", &stream_config::get_max_heaps, [](stream_config &c, std::size_t v) { c.set_max_heaps(v); },
            "Heaps assembled at once per substream; a packet of one more evicts the oldest")
        .def_prop_rw(
            "substreams", &stream_config::get_substreams, [](stream_config &c, std::size_t v) { c.set_substreams(v); },
            "Independent sets of live heaps, by heap counter modulo this number")
        .def_prop_rw(
            "bug_compat", &stream_config::get_bug_compat,
            [](stream_config &c, bug_compat_mask v) { c.set_bug_compat(v); },
            "BUG_COMPAT_* flags for streams from old or buggy senders")
        .def_prop_rw(
            "memcpy", [](const stream_config &c) { return int(c.get_memcpy()); },
            [](stream_config &c, int v) { c.set_memcpy(memcpy_mode(v)); },
            "How payload is copied into heaps: MEMCPY_STD or MEMCPY_NONTEMPORAL")
        .def_prop_rw(
            "memory_allocator", &stream_config::get_memory_allocator,
            [](stream_config &c, std::shared_ptr<memory_allocator> v)
            { c.set_memory_allocator(v ? std::move(v) : std::make_shared<memory_allocator>()); },
            nb::for_setter(nb::arg("value").none()),
            "Where heap payload memory comes from (a MemoryPool, say); None for the default")
        .def_prop_rw(
            "stop_on_stop_item", &stream_config::get_stop_on_stop_item,
            [](stream_config &c, bool v) { c.set_stop_on_stop_item(v); },
            "Whether a stream-control stop item stops the stream")
        .def_prop_rw(
            "allow_unsized_heaps", &stream_config::get_allow_unsized_heaps,
            [](stream_config &c, bool v) { c.set_allow_unsized_heaps(v); },
            "Whether heaps without a heap length item are accepted (their memory grows as packets arrive)")
        .def_prop_rw(
            "allow_out_of_order", &stream_config::get_allow_out_of_order,
            [](stream_config &c, bool v) { c.set_allow_out_of_order(v); },
            "Whether a heap's packets may arrive in any order (otherwise a gap ends the heap)")
        .def_prop_rw(
            "explicit_start", &stream_config::get_explicit_start,
            [](stream_config &c, bool v) { c.set_explicit_start(v); },
            "Whether readers wait for start() instead of starting when added")
        .def_prop_rw(
            "max_heap_size", &stream_config::get_max_heap_size,
            [](stream_config &c, std::size_t v) { c.set_max_heap_size(v); },
            "Largest heap payload accepted, in bytes; larger heaps are discarded and counted")
        .def_prop_rw(
            "stream_id", &stream_config::get_stream_id, [](stream_config &c, std::uintptr_t v) { c.set_stream_id(v); },
            "A number identifying the stream to place callbacks (chunk streams)")
        .def("add_stat", &stream_config::add_stat, "name"_a, "mode"_a = recv::stream_stat_config::mode::COUNTER,
             "Register a custom statistic; returns its index. ValueError if the name is taken.")
        .def("get_stat_index", &stream_config::get_stat_index, "name"_a,
             "Index of the statistic called name; IndexError if there is none")
        .def("next_stat_index", &stream_config::next_stat_index, "The index the next add_stat will return")
        .def_prop_ro("stats", &stream_config::get_stats, "Every statistic (StreamStatConfig), in index order");
    m.attr("StreamConfig").attr("DEFAULT_MAX_HEAPS") = stream_config::default_max_heaps;
    m.attr("StreamConfig").attr("DEFAULT_MAX_HEAP_SIZE") = stream_config::default_max_heap_size;
    m.attr("DEFAULT_MAX_HEAPS") = stream_config::default_max_heaps;

    using recv::ring_stream_config;
    auto ring_config_class = nb::class_<ring_stream_config>(m, "RingStreamConfig", "Settings of a stream's ringbuffer");
    ring_config_class
        .def(
            "__init__",
            [](ring_stream_config *self, std::size_t heaps, bool contiguous_only, bool incomplete_keep_payload_ranges)
            {
                new (self) ring_stream_config();
                self->set_heaps(heaps)
                    .set_contiguous_only(contiguous_only)
                    .set_incomplete_keep_payload_ranges(incomplete_keep_payload_ranges);
            },
            nb::kw_only(), "heaps"_a = ring_stream_config::default_heaps, "contiguous_only"_a = true,
            "incomplete_keep_payload_ranges"_a = false)
        .def_prop_rw(
            "heaps", &ring_stream_config::get_heaps, [](ring_stream_config &c, std::size_t v) { c.set_heaps(v); },
            "Capacity of the ringbuffer of finished heaps")
        .def_prop_rw(
            "contiguous_only", &ring_stream_config::get_contiguous_only,
            [](ring_stream_config &c, bool v) { c.set_contiguous_only(v); },
            "Whether only complete heaps are queued (otherwise IncompleteHeap objects come too)")
        .def_prop_rw(
            "incomplete_keep_payload_ranges", &ring_stream_config::get_incomplete_keep_payload_ranges,
            [](ring_stream_config &c, bool v) { c.set_incomplete_keep_payload_ranges(v); },
            "Whether an IncompleteHeap keeps its payload_ranges (empty otherwise; off by default)");
    ring_config_class.attr("DEFAULT_HEAPS") = ring_stream_config::default_heaps;

    nb::class_<raw_item>(m, "RawItem", nb::type_slots(raw_item_slots),
                         "An item of a received heap; its bytes through the buffer protocol")
        .def_prop_ro(
            "id", [](const raw_item &r) { return r.item.id; }, "The item's ID")
        .def_prop_ro(
            "is_immediate", [](const raw_item &r) { return r.item.is_immediate; },
            "Whether the value was carried in the item pointer itself")
        .def_prop_ro(
            "immediate_value", [](const raw_item &r) { return r.item.immediate_value; },
            "The value of an immediate item, as an integer (0 for other items)")
        .def(
            "__len__", [](const raw_item &r) { return r.item.length; }, "The length of the value in bytes");

    nb::class_<recv_heap_wrapper>(m, "Heap", "A complete received heap")
        .def_prop_ro(
            "cnt", [](const recv_heap_wrapper &h) { return h.heap.get_cnt(); }, "The heap counter")
        .def_prop_ro(
            "flavour", [](const recv_heap_wrapper &h) { return h.heap.get_flavour(); },
            "The flavour the heap was sent with")
        .def(
            "get_items",
            [](std::shared_ptr<recv_heap_wrapper> h)
            {
                std::vector<raw_item> out;
                for (const auto &it : h->heap.get_items())
                    if (it.id != DESCRIPTOR_ID)  // as spead2's Python API: they are in get_descriptors()
                        out.push_back(raw_item{h, it});
                return out;
            },
            "The heap's items (RawItem objects, which keep the heap alive), in the order sent; descriptors "
            "are not among them (see get_descriptors), a stream-control item is")
        .def(
            "get_descriptors",
            [](const recv_heap_wrapper &h)
            {
                // (id, name, description, format, shape, numpy_header); bad ones left out
                std::vector<std::tuple<s_item_pointer_t, nb::bytes, nb::bytes,
                                       std::vector<std::pair<std::string, s_item_pointer_t>>,
                                       std::vector<s_item_pointer_t>, nb::bytes>>
                    out;
                for (const auto &d : h.heap.get_descriptors())
                {
                    std::vector<std::pair<std::string, s_item_pointer_t>> format;
                    for (const auto &[code, bits] : d.format)
                        format.emplace_back(std::string(1, code), bits);
                    out.emplace_back(d.id, nb::bytes(d.name.data(), d.name.size()),
                                     nb::bytes(d.description.data(), d.description.size()), std::move(format), d.shape,
                                     nb::bytes(d.numpy_header.data(), d.numpy_header.size()));
                }
                return out;
            },
            "The descriptors the heap carries, as (id, name, description, format, shape, numpy_header) "
            "tuples; a descriptor that does not parse is left out")
        .def(
            "is_start_of_stream", [](const recv_heap_wrapper &h) { return h.heap.is_start_of_stream(); },
            "Whether the heap carries a stream-control start item")
        .def(
            "is_end_of_stream", [](const recv_heap_wrapper &h) { return h.heap.is_end_of_stream(); },
            "Whether the heap carries a stream-control stop item");

    nb::class_<incomplete_wrapper>(m, "IncompleteHeap",
                                   "A heap that did not complete (queued when contiguous_only is False)")
        .def_prop_ro(
            "cnt", [](const incomplete_wrapper &h) { return h.heap.get_cnt(); }, "The heap counter")
        .def_prop_ro(
            "flavour", [](const incomplete_wrapper &h) { return h.heap.get_flavour(); },
            "The flavour the heap was sent with")
        .def_prop_ro(
            "heap_length", [](const incomplete_wrapper &h) { return h.heap.get_heap_length(); },
            "The heap's payload length from its heap length item, or -1 if none arrived")
        .def_prop_ro(
            "received_length", [](const incomplete_wrapper &h) { return h.heap.get_received_length(); },
            "Payload bytes that arrived")
        .def_prop_ro(
            "payload_ranges", [](const incomplete_wrapper &h) { return h.heap.get_payload_ranges(); },
            "The [start, end) byte ranges of payload that arrived, merged (empty unless "
            "RingStreamConfig(incomplete_keep_payload_ranges=True))")
        .def(
            "is_start_of_stream", [](const incomplete_wrapper &h) { return h.heap.is_start_of_stream(); },
            "Whether a stream-control start item arrived")
        .def(
            "is_end_of_stream", [](const incomplete_wrapper &h) { return h.heap.is_end_of_stream(); },
            "Whether a stream-control stop item arrived")
        .def(
            "get_items",
            [](std::shared_ptr<incomplete_wrapper> h)
            {
                std::vector<raw_item> out;
                for (const auto &it : h->heap.get_items())
                    if (it.id != DESCRIPTOR_ID)
                        out.push_back(raw_item{h, it});
                return out;
            },
            "The immediate items that arrived (descriptors left out, as for Heap)");

    nb::class_<recv::stream_stats>(m, "StreamStats",
                                   "A snapshot of a stream's statistics: by name (stats['heaps'] or stats.heaps, "
                                   "see lightspead.recv) or index; iterating gives the names; + combines snapshots")
        .def("__getitem__",
             [](const recv::stream_stats &s, const std::string &name)
             {
                 if (!s.contains(name))
                     throw nb::key_error(name.c_str());
                 return s[name];
             })
        .def(
            "__getitem__", [](const recv::stream_stats &s, std::size_t index) { return s.at(index); },
            "The statistic at index (an int) or called name (a str); IndexError or KeyError if there is none")
        .def(
            "get",
            [](const recv::stream_stats &s, const std::string &name, nb::object default_) -> nb::object
            { return s.contains(name) ? nb::cast(s[name]) : default_; },
            "name"_a, "default"_a = nb::none(), "The statistic called name, or default if there is none")
        .def("__setitem__",
             [](recv::stream_stats &s, const std::string &name, std::uint64_t value)
             {
                 if (!s.contains(name))
                     throw nb::key_error(name.c_str());
                 s[name] = value;
             })
        .def("__setitem__", [](recv::stream_stats &s, std::size_t index, std::uint64_t value) { s.at(index) = value; })
        .def("__len__", &recv::stream_stats::size, "The number of statistics")
        .def("__contains__", &recv::stream_stats::contains, "Whether there is a statistic called name")
        .def("__add__", [](const recv::stream_stats &a, const recv::stream_stats &b) { return a + b; })
        .def(
            "__iadd__",
            [](recv::stream_stats &a, const recv::stream_stats &b) -> recv::stream_stats & { return a += b; },
            nb::rv_policy::none)
        .def_prop_ro("config", &recv::stream_stats::get_config, "The statistics' names and modes, in order")
        .def("__getattr__",
             [](const recv::stream_stats &s, const std::string &name)
             {
                 if (!s.contains(name))
                     throw nb::attribute_error(("StreamStats has no statistic called " + name).c_str());
                 return s[name];
             })
        .def("__setattr__",
             [](recv::stream_stats &s, const std::string &name, std::uint64_t value)
             {
                 if (!s.contains(name))
                     throw nb::attribute_error(("StreamStats has no statistic called " + name).c_str());
                 s[name] = value;
             })
        .def(
            "keys", [](const recv::stream_stats &s) { return stat_names(s); }, "The statistics' names, in order")
        .def(
            "__iter__", [](const recv::stream_stats &s) { return nb::iter(nb::cast(stat_names(s))); },
            "The statistics' names, in order (as for a dict)")
        .def(
            "values", [](const recv::stream_stats &s) { return s.values(); }, "The values, in order")
        .def(
            "items",
            [](const recv::stream_stats &s)
            {
                std::vector<std::pair<std::string, std::uint64_t>> out;
                for (std::size_t i = 0; i < s.size(); i++)
                    out.emplace_back(s.get_config()[i].get_name(), s[i]);
                return out;
            },
            "(name, value) pairs, in order");

    nb::class_<heap_ringbuffer>(m, "Ringbuffer", "A stream's ringbuffer of finished heaps")
        .def("size", &heap_ringbuffer::size, "Heaps waiting in it now")
        .def("capacity", &heap_ringbuffer::capacity, "The most heaps it holds (RingStreamConfig.heaps)");

    auto stream_class =
        nb::class_<recv_stream_wrapper>(m, "_Stream", "A receive stream (see lightspead.recv.Stream)")
            .def(
                "__init__",
                [](recv_stream_wrapper *self, thread_pool &pool, const stream_config &config,
                   const ring_stream_config &ring_config)
                {
                    // The stream first: nanobind does not destroy an object
                    // whose __init__ raised.
                    auto stream = std::make_unique<recv::ring_stream<>>(pool, config, ring_config);
                    new (self) recv_stream_wrapper();
                    self->stream = std::move(stream);
                },
                "thread_pool"_a, "config"_a = stream_config(), "ring_config"_a = ring_stream_config(),
                nb::keep_alive<1, 2>())
            .def(
                "get",
                [](recv_stream_wrapper &s)
                {
                    // Wait with the GIL released, checking for Ctrl-C every 50 ms
                    for (;;)
                    {
                        std::optional<recv::ring_stream<>::any_heap> h;
                        {
                            nb::gil_scoped_release release;
                            if (s.stream->get_ring_config().get_contiguous_only())
                            {
                                if (auto complete = s.stream->pop_for(std::chrono::milliseconds(50)))
                                    h.emplace(std::move(*complete));
                            }
                            else
                                h = s.stream->pop_any_for(std::chrono::milliseconds(50));
                        }
                        if (h)
                            return wrap_any(std::move(*h));
                        if (PyErr_CheckSignals() != 0)
                            throw nb::python_error();
                    }
                },
                "Wait for the next heap (an IncompleteHeap too when contiguous_only is False); "
                "raises Stopped at the end of the stream")
            .def(
                "get_nowait",
                [](recv_stream_wrapper &s)
                {
                    if (s.stream->get_ring_config().get_contiguous_only())
                        return wrap_heap(s.stream->try_pop());
                    return wrap_any(s.stream->try_pop_any());
                },
                "The next heap, or raise Empty (or Stopped)")
            .def_prop_ro(
                "fd", [](const recv_stream_wrapper &s) { return s.stream->get_fd(); },
                "Readable when a heap is queued or the stream stops (for event loops)")
            .def_prop_ro(
                "ringbuffer",
                [](const recv_stream_wrapper &s) -> const heap_ringbuffer & { return s.stream->get_ringbuffer(); },
                nb::rv_policy::reference_internal, "The stream's ringbuffer of finished heaps (its size and capacity)")
            .def_prop_ro(
                "ring_config", [](const recv_stream_wrapper &s) { return s.stream->get_ring_config(); },
                "The RingStreamConfig the stream was built with");
    def_stream_common(stream_class);
    stream_class.attr("Ringbuffer") = m.attr("Ringbuffer");
    stream_class.attr("DEFAULT_UDP_MAX_SIZE") = recv::udp_reader::default_max_size;
    stream_class.attr("DEFAULT_UDP_BUFFER_SIZE") = recv::udp_reader::default_buffer_size;
    stream_class.attr("DEFAULT_TCP_MAX_SIZE") = recv::tcp_reader::default_max_size;
    stream_class.attr("DEFAULT_TCP_BUFFER_SIZE") = recv::tcp_reader::default_buffer_size;
}

}  // namespace lightspead::python
