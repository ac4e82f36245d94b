// Binding glue for chunk streams: Python buffers become chunk memory,
// Python chunks travel through C++ ringbuffers, and place callbacks given
// as PyCapsules (scipy.LowLevelCallable) become C++ functions. The
// behaviour is recv::chunk_stream's.
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>
#include <lightspead/common/ringbuffer.h>
#include <lightspead/common/thread_pool.h>
#include <lightspead/recv/chunk_stream.h>
#include <lightspead/recv/chunk_stream_group.h>
#include "common.h"
#include "recv_stream.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace lightspead::python
{

namespace
{

/// A Python object's writable, contiguous buffer, held while it is chunk memory.
class writable_buffer
{
private:
    Py_buffer view{};

public:
    explicit writable_buffer(nb::handle obj)
    {
        if (PyObject_GetBuffer(obj.ptr(), &view, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) != 0)
            throw nb::python_error();
    }
    ~writable_buffer()
    {
        nb::gil_scoped_acquire gil;  // the last owner may be a C++ thread
        PyBuffer_Release(&view);
    }
    writable_buffer(const writable_buffer &) = delete;
    writable_buffer &operator=(const writable_buffer &) = delete;

    std::uint8_t *data() const noexcept { return static_cast<std::uint8_t *>(view.buf); }
    std::size_t size() const noexcept { return std::size_t(view.len); }
};

/// The Python Chunk: a C++ chunk plus the Python objects behind its memory.
struct py_chunk : recv::chunk
{
    nb::object present_obj = nb::none(), data_obj = nb::none(), extra_obj = nb::none();
};

/**
 * Point @a ptr at @a obj's buffer (or at nothing for None); returns the
 * buffer's size. The pointer keeps the buffer view; the caller keeps @a obj.
 */
std::size_t set_memory(memory_allocator::pointer &ptr, nb::handle obj)
{
    if (obj.is_none())
    {
        ptr = memory_allocator::pointer();  // drops the deleter (and the buffer it holds) too
        return 0;
    }
    auto buffer = std::make_shared<writable_buffer>(obj);
    const std::size_t size = buffer->size();
    ptr = memory_allocator::pointer(buffer->data(), [buffer](std::uint8_t *) {});
    return size;
}

void set_present(py_chunk &c, nb::handle v)
{
    c.present_size = set_memory(c.present, v);
    c.present_obj = nb::borrow(v);
}

void set_data(py_chunk &c, nb::handle v)
{
    c.data_size = set_memory(c.data, v);
    c.data_obj = nb::borrow(v);
}

void set_extra(py_chunk &c, nb::handle v)
{
    c.extra_size = set_memory(c.extra, v);
    c.extra_obj = nb::borrow(v);
}

/**
 * A Python chunk on its way through a C++ ringbuffer or stream: its C++
 * part moved here, with a reference to the Python object (which gets the
 * C++ part back on the way out, or when C++ drops it: a chunk left in a
 * ringbuffer or stream that goes away is usable again, as in spead2).
 */
struct chunk_in_flight : recv::chunk
{
    nb::object owner;

    ~chunk_in_flight() override
    {
        if (owner.is_valid())
        {
            nb::gil_scoped_acquire gil;  // may be freed by a C++ thread (a stream's stop)
            py_chunk &target = nb::cast<py_chunk &>(owner);
            // Unless Python gave the chunk new memory meanwhile, it gets its own back.
            if (!target.data && !target.present && !target.extra)
                static_cast<recv::chunk &>(target) = std::move(static_cast<recv::chunk &>(*this));
            owner.reset();
        }
    }
};

std::unique_ptr<recv::chunk> wrap_chunk(nb::handle obj)
{
    py_chunk &c = nb::cast<py_chunk &>(obj);
    if (!c.data)
        throw nb::value_error("the chunk's data is not set");
    if (!c.present)
        throw nb::value_error("the chunk's present is not set");
    auto out = std::make_unique<chunk_in_flight>();
    static_cast<recv::chunk &>(*out) = std::move(static_cast<recv::chunk &>(c));
    out->owner = nb::borrow(obj);
    return out;
}

/// A Python Chunk (typed as such in the stubs).
using chunk_object = nb::typed<nb::object, py_chunk>;

chunk_object unwrap_chunk(std::unique_ptr<recv::chunk> &&c)
{
    auto *flight = dynamic_cast<chunk_in_flight *>(c.get());
    if (!flight)
        throw std::logic_error("a chunk that did not come from Python reached Python");
    nb::object owner = std::move(flight->owner);
    py_chunk &target = nb::cast<py_chunk &>(owner);
    static_cast<recv::chunk &>(target) = std::move(static_cast<recv::chunk &>(*flight));
    return nb::steal<chunk_object>(owner.release());
}

/// Hand the chunk @a obj to @a push; if it refuses (throws), the chunk is left as it was.
template<typename F>
void push_chunk(nb::handle obj, F &&push)
{
    std::unique_ptr<recv::chunk> c = wrap_chunk(obj);
    try
    {
        push(c);
    }
    catch (...)
    {
        if (c)
            unwrap_chunk(std::move(c));
        throw;
    }
    if (c)
        unwrap_chunk(std::move(c));  // not taken (a stopped free ring): back to Python
}

using chunk_ring = ringbuffer<std::unique_ptr<recv::chunk>, semaphore_fd, semaphore_fd>;

/// The Python ChunkRingbuffer: shared with the streams that use it.
struct py_chunk_ringbuffer
{
    std::shared_ptr<chunk_ring> ring;
};

/// A Python object kept by C++ callbacks, released under the GIL from any thread.
struct python_reference
{
    nb::object obj;
    ~python_reference()
    {
        nb::gil_scoped_acquire gil;
        obj.reset();
    }
};

/// A place callback that came from Python: a C function pointer (with user data or not).
struct python_place
{
    std::shared_ptr<python_reference> source;
    void *function = nullptr;
    void *user_data = nullptr;
    bool with_user_data = false;

    void operator()(recv::chunk_place_data *data, std::size_t size) const
    {
        if (with_user_data)
            reinterpret_cast<void (*)(void *, std::size_t, void *)>(function)(data, size, user_data);
        else
            reinterpret_cast<void (*)(void *, std::size_t)>(function)(data, size);
    }
};

constexpr const char *place_signature = "void (void *, size_t)";
constexpr const char *place_signature_user_data = "void (void *, size_t, void *)";

/// Whether @a fn is a ctypes function pointer.
bool is_ctypes_function(nb::handle fn)
{
    return nb::isinstance(fn, nb::module_::import_("ctypes").attr("_CFuncPtr"));
}

/// A ctypes function pointer made from a Python callable runs Python (taking the GIL) when called.
void refuse_python_thunk(nb::handle fn)
{
    if (!is_ctypes_function(fn))
        return;
    nb::object objects = nb::getattr(fn, "_objects", nb::none());
    if (!objects.is_none() && PyDict_Check(objects.ptr()))
        for (auto [key, value] : nb::borrow<nb::dict>(objects))
            if (std::string(Py_TYPE(value.ptr())->tp_name).find("CThunkObject") != std::string::npos)
                throw nb::value_error("the place callback is Python code wrapped by ctypes: it would take the GIL "
                                      "on the network thread for every heap; compile it (a numba cfunc, C code)");
}

/**
 * A ctypes function pointer (to compiled code), void (void *, size_t), or
 * void (void *, size_t, void *) with @a user_data (an address, a ctypes
 * pointer or None).
 */
recv::chunk_place_function place_from_ctypes(nb::handle fn, nb::handle user_data, nb::handle source)
{
    refuse_python_thunk(fn);
    nb::module_ ctypes = nb::module_::import_("ctypes");
    nb::object argtypes = nb::getattr(fn, "argtypes", nb::none());
    if (argtypes.is_none() || !nb::getattr(fn, "restype", nb::none()).is_none())
        throw nb::value_error(
            "a ctypes place callback needs argtypes (c_void_p, c_size_t[, c_void_p]) and restype None");
    const std::size_t n = nb::len(argtypes);
    if ((n != 2 && n != 3) || nb::cast<std::size_t>(ctypes.attr("sizeof")(argtypes[1])) != sizeof(std::size_t))
        throw nb::value_error("a ctypes place callback takes (void *, size_t) or (void *, size_t, void *)");
    if (n == 2 && !user_data.is_none())
        throw nb::value_error("user data given for a ctypes place callback that takes none");
    python_place place;
    place.function = reinterpret_cast<void *>(
        nb::cast<std::uintptr_t>(ctypes.attr("cast")(fn, ctypes.attr("c_void_p")).attr("value")));
    if (n == 3)
    {
        place.with_user_data = true;
        if (!user_data.is_none())
        {
            nb::object address = nb::isinstance<nb::int_>(user_data)
                ? nb::borrow(user_data)
                : ctypes.attr("cast")(user_data, ctypes.attr("c_void_p")).attr("value");
            place.user_data = address.is_none() ? nullptr : reinterpret_cast<void *>(nb::cast<std::uintptr_t>(address));
        }
    }
    place.source = std::make_shared<python_reference>();
    place.source->obj = nb::borrow(source);
    return place;
}

/**
 * spead2's convention: None, or a tuple whose first item is a PyCapsule
 * named by its C signature (a scipy.LowLevelCallable). Also a ctypes
 * function pointer, or a (ctypes function pointer, user data) tuple.
 */
recv::chunk_place_function place_from_python(nb::handle obj)
{
    if (obj.is_none())
        return {};
    if (is_ctypes_function(obj))
        return place_from_ctypes(obj, nb::none(), obj);
    if (PyTuple_Check(obj.ptr()) && PyTuple_GET_SIZE(obj.ptr()) == 2
        && is_ctypes_function(PyTuple_GET_ITEM(obj.ptr(), 0)))
        return place_from_ctypes(PyTuple_GET_ITEM(obj.ptr(), 0), PyTuple_GET_ITEM(obj.ptr(), 1), obj);
    if (!PyTuple_Check(obj.ptr()))
        throw nb::type_error("place must be None or a tuple whose first item is a PyCapsule "
                             "(such as a scipy.LowLevelCallable)");
    if (PyTuple_GET_SIZE(obj.ptr()) == 0)
        throw nb::index_error("place is an empty tuple (expected a PyCapsule as its first item)");
    nb::handle capsule = PyTuple_GET_ITEM(obj.ptr(), 0);
    if (!PyCapsule_CheckExact(capsule.ptr()))
        throw nb::type_error("the first item of place must be a PyCapsule (such as a scipy.LowLevelCallable's)");
    // A scipy.LowLevelCallable keeps what it was made from second.
    if (PyTuple_GET_SIZE(obj.ptr()) > 1)
        refuse_python_thunk(PyTuple_GET_ITEM(obj.ptr(), 1));
    const char *name = PyCapsule_GetName(capsule.ptr());
    void *function = PyCapsule_GetPointer(capsule.ptr(), name);
    if (!function)
    {
        PyErr_Clear();
        return {};  // a null function pointer: no callback
    }
    if (!name)
        throw nb::value_error("the place capsule has no signature (its name)");
    python_place place;
    place.function = function;
    if (std::strcmp(name, place_signature) == 0)
        place.with_user_data = false;
    else if (std::strcmp(name, place_signature_user_data) == 0)
    {
        place.with_user_data = true;
        place.user_data = PyCapsule_GetContext(capsule.ptr());
        if (PyErr_Occurred())
            throw nb::python_error();
    }
    else
        throw nb::value_error((std::string("place callback has signature \"") + name + "\"; expected \""
                               + place_signature + "\" or \"" + place_signature_user_data + "\"")
                                  .c_str());
    place.source = std::make_shared<python_reference>();
    place.source->obj = nb::borrow(obj);
    return place;
}

nb::object place_to_python(const recv::chunk_place_function &f)
{
    if (!f)
        return nb::none();
    if (const auto *p = f.target<python_place>())
        return p->source->obj;
    throw nb::type_error("the place callback was not set from Python");
}

using chunk_ring_stream_t = recv::chunk_ring_stream<chunk_ring, chunk_ring>;

struct chunk_ring_stream_wrapper
{
    std::vector<std::unique_ptr<buffer_view>> buffers;
    std::unique_ptr<chunk_ring_stream_t> stream;
    nb::typed<nb::object, py_chunk_ringbuffer> data_ringbuffer, free_ringbuffer;

    ~chunk_ring_stream_wrapper()
    {
        nb::gil_scoped_release release;
        stream.reset();  // before the buffers it reads
    }
};

// As spead2's ChunkRingStream(thread_pool, config=StreamConfig(), chunk_stream_config, data_ringbuffer,
// free_ringbuffer): bound twice (all positional, or config left out with keywords), since a default
// before required parameters has no Python signature.
void init_chunk_ring_stream(chunk_ring_stream_wrapper *self, thread_pool &pool, const recv::stream_config &config,
                            const recv::chunk_stream_config &chunk_stream_config,
                            nb::handle_t<py_chunk_ringbuffer> data_ringbuffer,
                            nb::handle_t<py_chunk_ringbuffer> free_ringbuffer)
{
    auto &data = nb::cast<py_chunk_ringbuffer &>(data_ringbuffer);
    auto &free = nb::cast<py_chunk_ringbuffer &>(free_ringbuffer);
    auto stream = std::make_unique<chunk_ring_stream_t>(pool, config, chunk_stream_config, data.ring, free.ring);
    new (self) chunk_ring_stream_wrapper();
    self->stream = std::move(stream);
    self->data_ringbuffer = nb::borrow<nb::typed<nb::object, py_chunk_ringbuffer>>(data_ringbuffer);
    self->free_ringbuffer = nb::borrow<nb::typed<nb::object, py_chunk_ringbuffer>>(free_ringbuffer);
}

/// Wait for a chunk with the GIL released, noticing Ctrl-C every 50 ms.
chunk_object get_chunk(chunk_ring &ring)
{
    for (;;)
    {
        std::optional<std::unique_ptr<recv::chunk>> c;
        {
            nb::gil_scoped_release release;
            c = ring.pop_for(std::chrono::milliseconds(50));
        }
        if (c)
            return unwrap_chunk(std::move(*c));
        if (PyErr_CheckSignals() != 0)
            throw nb::python_error();
    }
}

/// A group member as Python sees it: it also keeps the buffers its memory readers read.
struct py_group_member : recv::chunk_stream_group_member
{
    std::vector<std::unique_ptr<buffer_view>> buffers;

    using recv::chunk_stream_group_member::chunk_stream_group_member;
    ~py_group_member() override
    {
        detach_from_pool();
        stop1();  // before the buffers go
    }
};

py_group_member &stream_of(py_group_member &m)
{
    return m;
}

const py_group_member &stream_of(const py_group_member &m)
{
    return m;
}

using ring_group_t = recv::chunk_stream_ring_group<chunk_ring, chunk_ring>;

struct ring_group_wrapper
{
    std::unique_ptr<ring_group_t> group;
    nb::typed<nb::object, py_chunk_ringbuffer> data_ringbuffer, free_ringbuffer;

    ~ring_group_wrapper()
    {
        nb::gil_scoped_release release;
        group.reset();
    }
};

// Bound twice, as ChunkRingStream's constructor: spead2's config=StreamConfig() comes before a required argument.
py_group_member &emplace_member(ring_group_wrapper &g, thread_pool &pool, const recv::stream_config &config,
                                const recv::chunk_stream_config &chunk_stream_config)
{
    return g.group->emplace_back<py_group_member>(pool, config, chunk_stream_config);
}

}  // anonymous namespace

void register_recv_chunk(nb::module_ &m)
{
    using recv::chunk_stream_config;
    nb::class_<chunk_stream_config>(m, "ChunkStreamConfig", "Settings of a chunk stream")
        .def(
            "__init__",
            [](chunk_stream_config *self, std::vector<item_pointer_t> items, std::size_t max_chunks, nb::handle place,
               std::size_t max_heap_extra)
            {
                chunk_stream_config c;
                c.set_items(items).set_max_chunks(max_chunks).set_place(place_from_python(place));
                c.set_max_heap_extra(max_heap_extra);
                new (self) chunk_stream_config(std::move(c));
            },
            nb::kw_only(), "items"_a = std::vector<item_pointer_t>(),
            "max_chunks"_a = chunk_stream_config::default_max_chunks, "place"_a.none() = nb::none(),
            "max_heap_extra"_a = 0)
        .def_prop_rw(
            "items", &chunk_stream_config::get_items,
            [](chunk_stream_config &c, const std::vector<item_pointer_t> &v) { c.set_items(v); },
            "IDs of the items whose immediate values the place callback gets (-1 where a packet lacks one)")
        .def_prop_rw(
            "max_chunks", &chunk_stream_config::get_max_chunks,
            [](chunk_stream_config &c, std::size_t v) { c.set_max_chunks(v); },
            "Chunks under construction at once (at least 1; ValueError otherwise)")
        .def_prop_rw(
            "place", [](const chunk_stream_config &c) { return place_to_python(c.get_place()); },
            [](chunk_stream_config &c, nb::handle v) { c.set_place(place_from_python(v)); }, nb::arg("place").none(),
            "The place callback: a scipy.LowLevelCallable (or a tuple whose first item is a PyCapsule) with C "
            "signature ``void (void *, size_t)`` or ``void (void *, size_t, void *)`` (user data), a ctypes function "
            "pointer with such argtypes, or a (ctypes function pointer, user data) tuple; or None. It must be "
            "compiled code (a numba cfunc, a C function): it runs on the network thread without the GIL, and "
            "Python code wrapped by ctypes is refused (ValueError)")
        .def_prop_rw(
            "max_heap_extra", &chunk_stream_config::get_max_heap_extra,
            [](chunk_stream_config &c, std::size_t v) { c.set_max_heap_extra(v); },
            "Most extra bytes the place callback may write per heap")
        .def_prop_ro("packet_presence_payload_size", &chunk_stream_config::get_packet_presence_payload_size,
                     "Payload bytes per presence flag with packet presence, else 0")
        .def(
            "enable_packet_presence",
            [](nb::handle_t<chunk_stream_config> self, std::size_t payload_size)
            {
                nb::cast<chunk_stream_config &>(self).enable_packet_presence(payload_size);
                return nb::borrow<nb::typed<nb::object, chunk_stream_config>>(self);
            },
            "payload_size"_a,
            "One presence flag per packet: a packet at payload offset o sets flag heap_index + o // payload_size. "
            "Returns this config")
        .def(
            "disable_packet_presence",
            [](nb::handle_t<chunk_stream_config> self)
            {
                nb::cast<chunk_stream_config &>(self).disable_packet_presence();
                return nb::borrow<nb::typed<nb::object, chunk_stream_config>>(self);
            },
            "Back to one presence flag per complete heap. Returns this config");
    m.attr("ChunkStreamConfig").attr("DEFAULT_MAX_CHUNKS") = chunk_stream_config::default_max_chunks;

    nb::class_<py_chunk>(m, "Chunk",
                         "A block of heaps: their payload (data), one flag per heap or packet (present) and "
                         "optional per-heap extra bytes (extra), each a writable contiguous buffer")
        .def(
            "__init__",
            [](py_chunk *self, std::int64_t chunk_id, std::uintptr_t stream_id, nb::handle present, nb::handle data,
               nb::handle extra)
            {
                py_chunk c;
                c.chunk_id = chunk_id;
                c.stream_id = stream_id;
                set_present(c, present);
                set_data(c, data);
                set_extra(c, extra);
                new (self) py_chunk(std::move(c));
            },
            nb::kw_only(), "chunk_id"_a = -1, "stream_id"_a = 0, "present"_a.none() = nb::none(),
            "data"_a.none() = nb::none(), "extra"_a.none() = nb::none())
        .def_rw("chunk_id", &py_chunk::chunk_id, "The chunk's ID (set by the stream; -1 before)")
        .def_rw("stream_id", &py_chunk::stream_id, "StreamConfig.stream_id of the stream that filled it")
        .def_prop_rw(
            "present", [](const py_chunk &c) { return c.present_obj; }, set_present, nb::arg("value").none(),
            "Presence flags (one byte each; non-zero: arrived)")
        .def_prop_rw(
            "data", [](const py_chunk &c) { return c.data_obj; }, set_data, nb::arg("value").none(),
            "The heaps' payload")
        .def_prop_rw(
            "extra", [](const py_chunk &c) { return c.extra_obj; }, set_extra, nb::arg("value").none(),
            "Extra bytes per heap, written by the place callback (or None)");

    nb::class_<py_chunk_ringbuffer>(m, "ChunkRingbuffer",
                                    "A bounded queue of chunks, shared by streams and the application")
        .def(
            "__init__",
            [](py_chunk_ringbuffer *self, std::size_t maxsize)
            { new (self) py_chunk_ringbuffer{std::make_shared<chunk_ring>(maxsize)}; },
            "maxsize"_a)
        .def(
            "qsize", [](const py_chunk_ringbuffer &r) { return r.ring->size(); }, "Chunks in it now")
        .def_prop_ro(
            "maxsize", [](const py_chunk_ringbuffer &r) { return r.ring->capacity(); }, "The most chunks it holds")
        .def_prop_ro(
            "data_fd", [](const py_chunk_ringbuffer &r) { return r.ring->get_data_sem().get_fd(); },
            "Readable while it holds a chunk or is stopped (for event loops)")
        .def_prop_ro(
            "space_fd", [](const py_chunk_ringbuffer &r) { return r.ring->get_space_sem().get_fd(); },
            "Readable while it has room or is stopped (for event loops)")
        .def(
            "get", [](py_chunk_ringbuffer &r) { return get_chunk(*r.ring); },
            "Wait for the next chunk; Stopped once it is stopped and empty")
        .def(
            "get_nowait", [](py_chunk_ringbuffer &r) { return unwrap_chunk(r.ring->try_pop()); },
            "The next chunk, or raise Empty (or Stopped)")
        .def(
            "put",
            [](py_chunk_ringbuffer &r, nb::handle_t<py_chunk> chunk)
            {
                push_chunk(chunk,
                           [&r](std::unique_ptr<recv::chunk> &c)
                           {
                               nb::gil_scoped_release release;
                               r.ring->push(std::move(c));
                           });
            },
            "chunk"_a,
            "Add a chunk, waiting for room; Stopped if it is stopped. ValueError if data or present is unset")
        .def(
            "put_nowait",
            [](py_chunk_ringbuffer &r, nb::handle_t<py_chunk> chunk)
            { push_chunk(chunk, [&r](std::unique_ptr<recv::chunk> &c) { r.ring->try_push(std::move(c)); }); },
            "chunk"_a, "Add a chunk or raise Full (or Stopped); a refused chunk is left as it was")
        .def(
            "empty", [](const py_chunk_ringbuffer &r) { return r.ring->size() == 0; }, "Whether it holds no chunk")
        .def(
            "full", [](const py_chunk_ringbuffer &r) { return r.ring->size() == r.ring->capacity(); },
            "Whether it has no room")
        .def(
            "stop", [](py_chunk_ringbuffer &r) { return r.ring->stop(); },
            "Refuse further chunks; gets drain what is left, then raise Stopped. True if this call stopped it")
        .def(
            "add_producer", [](py_chunk_ringbuffer &r) { r.ring->add_producer(); },
            "Count a producer: the ring stops when the last one calls remove_producer")
        .def(
            "remove_producer", [](py_chunk_ringbuffer &r) { return r.ring->remove_producer(); },
            "A producer is done; True if that stopped the ring")
        .def(
            "__iter__",
            [](nb::handle_t<py_chunk_ringbuffer> self)
            { return nb::borrow<nb::typed<nb::object, py_chunk_ringbuffer>>(self); },
            "The ringbuffer itself: iterating gives its chunks until it stops")
        .def(
            "__next__",
            [](py_chunk_ringbuffer &r)
            {
                try
                {
                    return get_chunk(*r.ring);
                }
                catch (ringbuffer_stopped &)
                {
                    throw nb::stop_iteration();
                }
            },
            "The next chunk, waiting for it; StopIteration once the ring has stopped and is empty");

    auto stream_class = nb::class_<chunk_ring_stream_wrapper>(
        m, "_ChunkRingStream", "A chunk stream fed by a free ringbuffer (see lightspead.recv.ChunkRingStream)");
    stream_class
        .def("__init__", init_chunk_ring_stream, "thread_pool"_a, "config"_a, "chunk_stream_config"_a,
             "data_ringbuffer"_a, "free_ringbuffer"_a, nb::keep_alive<1, 2>())
        .def("__init__", init_chunk_ring_stream, "thread_pool"_a, nb::kw_only(), "config"_a = recv::stream_config(),
             "chunk_stream_config"_a, "data_ringbuffer"_a, "free_ringbuffer"_a, nb::keep_alive<1, 2>())
        .def(
            "add_free_chunk",
            [](chunk_ring_stream_wrapper &s, nb::handle_t<py_chunk> chunk)
            { push_chunk(chunk, [&s](std::unique_ptr<recv::chunk> &c) { s.stream->add_free_chunk(std::move(c)); }); },
            "chunk"_a,
            "Give a chunk (back) to the free ringbuffer, its presence flags cleared. Full if there is no room; "
            "a stopped ring leaves the chunk as it was")
        .def_prop_ro(
            "data_ringbuffer", [](const chunk_ring_stream_wrapper &s) { return s.data_ringbuffer; },
            "Where finished chunks go")
        .def_prop_ro(
            "free_ringbuffer", [](const chunk_ring_stream_wrapper &s) { return s.free_ringbuffer; },
            "Where chunks to fill come from")
        .def_prop_ro(
            "chunk_stream_config", [](const chunk_ring_stream_wrapper &s) { return s.stream->get_chunk_config(); },
            "The ChunkStreamConfig in use");
    def_stream_common(stream_class);

    using recv::chunk_stream_group_config;
    using eviction_mode = chunk_stream_group_config::eviction_mode;
    nb::class_<chunk_stream_group_config> group_config_class(m, "ChunkStreamGroupConfig",
                                                             "Settings of a chunk stream group");
    nb::enum_<eviction_mode>(group_config_class, "EvictionMode", "What a group does when it needs a new chunk")
        .value("LOSSY", eviction_mode::LOSSY,
               "make every member give up the oldest chunks at once: a slow or silent member cannot stall the others")
        .value("LOSSLESS", eviction_mode::LOSSLESS,
               "wait until every member has moved past the oldest chunk: a silent member stalls the group until it "
               "stops");
    group_config_class
        .def(
            "__init__",
            [](chunk_stream_group_config *self, std::size_t max_chunks, eviction_mode mode)
            {
                chunk_stream_group_config c;
                c.set_max_chunks(max_chunks).set_eviction_mode(mode);
                new (self) chunk_stream_group_config(std::move(c));
            },
            nb::kw_only(), "max_chunks"_a = chunk_stream_group_config::default_max_chunks,
            "eviction_mode"_a = eviction_mode::LOSSY)
        .def_prop_rw(
            "max_chunks", &chunk_stream_group_config::get_max_chunks,
            [](chunk_stream_group_config &c, std::size_t v) { c.set_max_chunks(v); },
            "Chunks under construction at once (at least 1; ValueError otherwise)")
        .def_prop_rw(
            "eviction_mode", &chunk_stream_group_config::get_eviction_mode,
            [](chunk_stream_group_config &c, eviction_mode v) { c.set_eviction_mode(v); },
            "LOSSY (the default) or LOSSLESS");
    group_config_class.attr("DEFAULT_MAX_CHUNKS") = chunk_stream_group_config::default_max_chunks;

    auto member_class = nb::class_<py_group_member>(
        m, "ChunkStreamGroupMember",
        "One stream of a ChunkStreamRingGroup (made by its emplace_back); stop() stops the whole group");
    def_stream_common(member_class);

    nb::class_<ring_group_wrapper>(m, "_ChunkStreamRingGroup",
                                   "A chunk stream group fed by a free ringbuffer (see "
                                   "lightspead.recv.ChunkStreamRingGroup)")
        .def(
            "__init__",
            [](ring_group_wrapper *self, const chunk_stream_group_config &config,
               nb::handle_t<py_chunk_ringbuffer> data_ringbuffer, nb::handle_t<py_chunk_ringbuffer> free_ringbuffer)
            {
                auto &data = nb::cast<py_chunk_ringbuffer &>(data_ringbuffer);
                auto &free = nb::cast<py_chunk_ringbuffer &>(free_ringbuffer);
                auto group = std::make_unique<ring_group_t>(config, data.ring, free.ring);
                new (self) ring_group_wrapper();
                self->group = std::move(group);
                self->data_ringbuffer = nb::borrow<nb::typed<nb::object, py_chunk_ringbuffer>>(data_ringbuffer);
                self->free_ringbuffer = nb::borrow<nb::typed<nb::object, py_chunk_ringbuffer>>(free_ringbuffer);
            },
            "config"_a, "data_ringbuffer"_a, "free_ringbuffer"_a)
        .def_prop_ro(
            "config", [](const ring_group_wrapper &g) { return g.group->get_config(); },
            "The ChunkStreamGroupConfig in use")
        .def("emplace_back", emplace_member, "thread_pool"_a, "config"_a, "chunk_stream_config"_a,
             nb::rv_policy::reference_internal, nb::keep_alive<1, 2>(),
             "Add a member receiving on thread_pool (give each member its own); RuntimeError once the group has "
             "begun receiving")
        .def("emplace_back", emplace_member, "thread_pool"_a, nb::kw_only(), "config"_a = recv::stream_config(),
             "chunk_stream_config"_a, nb::rv_policy::reference_internal, nb::keep_alive<1, 2>())
        .def(
            "__len__", [](const ring_group_wrapper &g) { return g.group->size(); }, "The number of members")
        .def(
            "__getitem__",
            [](ring_group_wrapper &g, std::ptrdiff_t index) -> py_group_member &
            {
                const auto n = std::ptrdiff_t(g.group->size());
                if (index < 0)
                    index += n;
                if (index < 0 || index >= n)
                    throw nb::index_error("group member index out of range");
                return static_cast<py_group_member &>((*g.group)[std::size_t(index)]);
            },
            "index"_a, nb::rv_policy::reference_internal,
            "The member at index (negative counts from the end; IndexError outside), or a list for a slice")
        .def(
            "__getitem__",
            [](nb::handle self, nb::slice slice)
            {
                auto &g = nb::cast<ring_group_wrapper &>(self);
                const auto [start, stop, step, length] = slice.compute(g.group->size());
                nb::list out;
                for (std::size_t i = 0, at = start; i < length; i++, at += step)
                    out.append(nb::cast(static_cast<py_group_member &>((*g.group)[at]),
                                        nb::rv_policy::reference_internal, self));
                return nb::typed<nb::list, py_group_member>(out);
            },
            "index"_a)
        .def(
            "add_free_chunk",
            [](ring_group_wrapper &g, nb::handle_t<py_chunk> chunk)
            { push_chunk(chunk, [&g](std::unique_ptr<recv::chunk> &c) { g.group->add_free_chunk(std::move(c)); }); },
            "chunk"_a,
            "Give a chunk (back) to the free ringbuffer, its presence flags cleared. Full if there is no room; "
            "a stopped ring leaves the chunk as it was")
        .def_prop_ro(
            "data_ringbuffer", [](const ring_group_wrapper &g) { return g.data_ringbuffer; },
            "Where finished chunks go")
        .def_prop_ro(
            "free_ringbuffer", [](const ring_group_wrapper &g) { return g.free_ringbuffer; },
            "Where chunks to fill come from")
        .def(
            "stop",
            [](ring_group_wrapper &g)
            {
                nb::gil_scoped_release release;
                g.group->stop();
            },
            "Stop both ringbuffers and every member");
}

}  // namespace lightspead::python
