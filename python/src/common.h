// Shared pieces of the binding glue: buffer holders and waiting on futures
// with the GIL released while still noticing Ctrl-C.
#ifndef LIGHTSPEAD_PYTHON_COMMON_H
#define LIGHTSPEAD_PYTHON_COMMON_H

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <nanobind/nanobind.h>

namespace lightspead::python
{

namespace nb = nanobind;

/// Holds a Python object's buffer (read-only view) for as long as it lives.
class buffer_view
{
private:
    Py_buffer view{};
    bool valid = false;

public:
    explicit buffer_view(nb::handle obj)
    {
        if (PyObject_GetBuffer(obj.ptr(), &view, PyBUF_SIMPLE) != 0)
            throw nb::python_error();
        valid = true;
    }
    ~buffer_view()
    {
        if (valid)
        {
            nb::gil_scoped_acquire gil;
            PyBuffer_Release(&view);
        }
    }
    buffer_view(const buffer_view &) = delete;
    buffer_view &operator=(const buffer_view &) = delete;

    const void *data() const noexcept { return view.buf; }
    std::size_t size() const noexcept { return std::size_t(view.len); }
};

/// The descriptor of a Python socket object (anything with fileno()).
inline int socket_fd(nb::handle sock)
{
    if (!nb::hasattr(sock, "fileno"))
        throw nb::type_error("expected a socket.socket");
    return nb::cast<int>(sock.attr("fileno")());
}

/**
 * Wait for @a f with the GIL released, checking for signals every 50 ms.
 * A signal does not abandon the wait (the operation still refers to
 * Python-owned memory); the exception is raised once it completes.
 */
template<typename T>
T wait_releasing_gil(std::future<T> &f)
{
    std::optional<nb::python_error> interrupted;
    for (;;)
    {
        std::future_status status;
        {
            nb::gil_scoped_release release;
            status = f.wait_for(std::chrono::milliseconds(50));
        }
        if (status == std::future_status::ready)
            break;
        if (!interrupted && PyErr_CheckSignals() != 0)
            interrupted.emplace();  // takes the pending exception; raised below
    }
    if (interrupted)
        throw *interrupted;
    return f.get();
}

}  // namespace lightspead::python

#endif
