// Binding glue for the top-level lightspead module: types are converted,
// nothing else. Behaviour lives in the C++ library or in python/lightspead.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>
#include <boost/system/system_error.hpp>
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/operators.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/shared_ptr.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>
#include <lightspead/common/inproc_queue.h>
#include <lightspead/common/logging.h>
#include <lightspead/common/memcpy.h>
#include <lightspead/common/memory_allocator.h>
#include <lightspead/common/pollable_queue.h>
#include <lightspead/common/resolve.h>
#include <lightspead/common/ringbuffer.h>
#include <lightspead/common/socket_options.h>
#include <lightspead/common/thread_pool.h>
#include <lightspead/common/version.h>
#include <lightspead/protocol/defines.h>
#include <lightspead/protocol/flavour.h>
#include "common.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace lightspead::python
{
void register_send(nb::module_ &m);
void register_recv(nb::module_ &m);
void register_recv_chunk(nb::module_ &m);

namespace
{

// Log messages from any C++ thread wait here for a Python thread to pass
// them to `logging`: taking the GIL on a network thread could deadlock
// against a Python thread waiting for that network thread.
using log_entry = std::pair<int, std::string>;
pollable_queue<log_entry> &log_queue()
{
    static auto *queue = new pollable_queue<log_entry>();  // never destroyed: threads may log at exit
    return *queue;
}

}  // anonymous namespace
}  // namespace lightspead::python

NB_MODULE(_lightspead, m)
{
    using namespace lightspead;
    m.doc() = "C++ core of lightspead (use the lightspead package, not this module)";
    m.def("_version", &lightspead::version, "The version of the C++ core (lightspead.__version__ reports it)");

#define EXPORT(name) m.attr(#name) = (long long)(name)
    EXPORT(BUG_COMPAT_DESCRIPTOR_WIDTHS);
    EXPORT(BUG_COMPAT_SHAPE_BIT_1);
    EXPORT(BUG_COMPAT_SWAP_ENDIAN);
    EXPORT(BUG_COMPAT_PYSPEAD_0_5_2);
    EXPORT(NULL_ID);
    EXPORT(HEAP_CNT_ID);
    EXPORT(HEAP_LENGTH_ID);
    EXPORT(PAYLOAD_OFFSET_ID);
    EXPORT(PAYLOAD_LENGTH_ID);
    EXPORT(DESCRIPTOR_ID);
    EXPORT(STREAM_CTRL_ID);
    EXPORT(DESCRIPTOR_NAME_ID);
    EXPORT(DESCRIPTOR_DESCRIPTION_ID);
    EXPORT(DESCRIPTOR_SHAPE_ID);
    EXPORT(DESCRIPTOR_FORMAT_ID);
    EXPORT(DESCRIPTOR_ID_ID);
    EXPORT(DESCRIPTOR_DTYPE_ID);
    EXPORT(CTRL_STREAM_START);
    EXPORT(CTRL_DESCRIPTOR_REISSUE);
    EXPORT(CTRL_STREAM_STOP);
    EXPORT(CTRL_DESCRIPTOR_UPDATE);
    EXPORT(MEMCPY_STD);
    EXPORT(MEMCPY_NONTEMPORAL);
#undef EXPORT

    nb::class_<flavour>(m, "Flavour", "A SPEAD flavour: SPEAD-64-A with PySPEAD compatibility bits")
        .def(nb::init<int, int, int, bug_compat_mask>(), "version"_a = 4, "item_pointer_bits"_a = 64,
             "heap_address_bits"_a = 40, "bug_compat"_a = 0)
        .def_prop_ro("version", &flavour::get_version, "SPEAD protocol version (4)")
        .def_prop_ro("item_pointer_bits", &flavour::get_item_pointer_bits, "Bits in an item pointer (64)")
        .def_prop_ro("heap_address_bits", &flavour::get_heap_address_bits,
                     "Bits of an item pointer that hold an address or immediate value (the rest, less one, "
                     "hold the ID)")
        .def_prop_ro("bug_compat", &flavour::get_bug_compat, "The BUG_COMPAT_* flags of the flavour, or-ed")
        .def(nb::self == nb::self)
        .def("__repr__",
             [](const flavour &f)
             {
                 return "Flavour(4, 64, " + std::to_string(f.get_heap_address_bits()) + ", "
                     + std::to_string(f.get_bug_compat()) + ")";
             });

    nb::class_<thread_pool>(m, "ThreadPool", "Worker threads that run streams' I/O")
        .def(
            "__init__",
            [](thread_pool *self, int threads, const std::vector<int> &affinity)
            { new (self) thread_pool(threads, affinity); },
            "threads"_a = 1, "affinity"_a = std::vector<int>())
        .def_static("set_affinity", &thread_pool::set_affinity, "core"_a, "Pin the calling thread to CPU core")
        .def(
            "stop",
            [](thread_pool &self)
            {
                nb::gil_scoped_release release;
                self.stop();
            },
            "Stop every stream on the pool (receive streams end, unfinished sends fail with OSError(ECANCELED)), "
            "finish queued work and join the threads. Idempotent.");

    m.def(
        "_route_log_to_queue",
        []
        {
            set_log_function(
                [](log_level level, const std::string &msg) {
                    lightspead::python::log_queue().push({int(level), msg});
                });
        },
        "Send C++ log messages to the queue that lightspead's log thread drains");
    m.def(
        "_resolve_host",
        [](const std::string &host)
        {
            nb::gil_scoped_release release;
            return resolve_host(host).to_string();
        },
        "host"_a, "The address host names, as every lightspead API resolves it (see resolve_host)");
    m.def(
        "_set_send_buffer", [](int fd, std::size_t size) { return set_socket_buffer(fd, socket_buffer::send, size); },
        "fd"_a, "size"_a,
        "Size a socket's send buffer as lightspead's own sockets are sized; returns what the kernel granted");
    m.def("_log_fd", [] { return lightspead::python::log_queue().get_fd(); });
    m.def("_take_log_messages", [] { return lightspead::python::log_queue().drain(); });

    // System errors (sockets, files) become OSError with their errno, so
    // Python sees e.g. ConnectionRefusedError.
    nb::register_exception_translator(
        [](const std::exception_ptr &p, void *)
        {
            try
            {
                std::rethrow_exception(p);
            }
            catch (const boost::system::system_error &e)
            {
                // An OSError of the errno's subclass that is also a RuntimeError (lightspead/_errors.py)
                nb::object error = nb::module_::import_("lightspead._errors")
                                       .attr("socket_error")(e.code().value(), e.code().message());
                PyErr_SetObject(reinterpret_cast<PyObject *>(Py_TYPE(error.ptr())), error.ptr());
            }
        });

    nb::exception<ringbuffer_stopped>(m, "Stopped");
    nb::exception<ringbuffer_empty>(m, "Empty");
    nb::exception<ringbuffer_full>(m, "Full");

    nb::class_<memory_allocator>(m, "MemoryAllocator", "Allocates heap payload memory (new[])")
        .def(nb::new_([] { return std::make_shared<memory_allocator>(); }))
        .def(
            "allocate",
            [](memory_allocator &self, std::size_t size)
            {
                // The array owns the buffer: freed through its deleter when
                // the last view of it goes.
                auto owned = std::make_unique<memory_allocator::pointer>(self.allocate(size));
                std::uint8_t *data = owned->get();
                nb::capsule owner(owned.get(),
                                  [](void *p) noexcept { delete static_cast<memory_allocator::pointer *>(p); });
                owned.release();
                const std::size_t shape[1] = {size};
                return nb::ndarray<nb::numpy, std::uint8_t, nb::ndim<1>>(data, 1, shape, owner);
            },
            "size"_a,
            "A new numpy uint8 array of size bytes on this allocator's memory (not zeroed), freed with the array: "
            "for example heap payload on huge pages (MmapAllocator(prefer_huge=True)) for zero-copy sending");
    nb::class_<mmap_allocator, memory_allocator>(
        m, "MmapAllocator",
        "Allocates with mmap: flags are extra mmap flags (mmap.MAP_POPULATE pre-faults every page); prefer_huge "
        "asks for transparent huge pages, mapping whole aligned 2 MiB ranges (and with MAP_POPULATE faulting in "
        "huge pages)")
        .def(nb::new_([](int flags, bool prefer_huge) { return std::make_shared<mmap_allocator>(flags, prefer_huge); }),
             "flags"_a = 0, "prefer_huge"_a = false);
    nb::class_<memory_pool, memory_allocator>(m, "MemoryPool", "Recycles pre-touched payload buffers")
        .def(nb::new_([](std::size_t lower, std::size_t upper, std::size_t max_free, std::size_t initial,
                         std::shared_ptr<memory_allocator> allocator)
                      { return std::make_shared<memory_pool>(lower, upper, max_free, initial, std::move(allocator)); }),
             "lower"_a, "upper"_a, "max_free"_a, "initial"_a, "allocator"_a = nullptr)
        .def(nb::new_(
                 [](thread_pool &pool, std::size_t lower, std::size_t upper, std::size_t max_free, std::size_t initial,
                    std::size_t low_water, std::shared_ptr<memory_allocator> allocator) {
                     return std::make_shared<memory_pool>(pool, lower, upper, max_free, initial, low_water,
                                                          std::move(allocator));
                 }),
             "thread_pool"_a, "lower"_a, "upper"_a, "max_free"_a, "initial"_a, "low_water"_a, "allocator"_a = nullptr,
             nb::keep_alive<0, 1>())
        .def_prop_rw("warn_on_empty", &memory_pool::get_warn_on_empty, &memory_pool::set_warn_on_empty,
                     "Whether the first allocation from an empty pool logs a warning (default True)");

    nb::class_<inproc_queue>(m, "InprocQueue", "In-process packet queue between a send and a receive stream")
        .def(nb::new_([] { return std::make_shared<inproc_queue>(); }))
        .def(
            "add_packet",
            [](inproc_queue &q, nb::handle packet)
            {
                lightspead::python::buffer_view view(packet);
                const auto *first = static_cast<const std::uint8_t *>(view.data());
                if (!q.push(inproc_queue::packet(first, first + view.size())))
                    throw ringbuffer_stopped();
            },
            "packet"_a, "Append one packet (any buffer; copied). Raises Stopped once the queue is stopped.")
        .def("stop", &inproc_queue::stop,
             "Stop the queue: readers receive what is queued, then see the end; later adds raise Stopped");

    auto send = m.def_submodule("send", "Sending");
    lightspead::python::register_send(send);
    auto recv = m.def_submodule("recv", "Receiving");
    lightspead::python::register_recv(recv);
    lightspead::python::register_recv_chunk(recv);
}
