// Shared pieces of the binding glue: buffer holders and waiting on futures
// with the GIL released while still noticing Ctrl-C.
#ifndef LIGHTSPEAD_PYTHON_COMMON_H
#define LIGHTSPEAD_PYTHON_COMMON_H

#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
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

/**
 * A port number from Python: nanobind's 16-bit conversion wraps (70000
 * became 4464), so ports come in as wide integers and are checked here.
 * TypeError, as spead2's binding raises for a port out of range.
 */
inline std::uint16_t to_port(long long port)
{
    if (port < 0 || port > 65535)
        throw nb::type_error(("port " + std::to_string(port) + " is outside [0, 65535]").c_str());
    return std::uint16_t(port);
}

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
