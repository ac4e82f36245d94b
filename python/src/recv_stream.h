// Binding glue shared by every receive stream class (ring streams, chunk
// streams): readers, statistics, stop and start.
#ifndef LIGHTSPEAD_PYTHON_RECV_STREAM_H
#define LIGHTSPEAD_PYTHON_RECV_STREAM_H

#include <cstdint>
#include <memory>
#include <string>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <nanobind/nanobind.h>
#include <nanobind/stl/shared_ptr.h>
#include <nanobind/stl/string.h>
#include <lightspead/common/inproc_queue.h>
#include <lightspead/common/resolve.h>
#include <lightspead/common/socket_options.h>
#include <lightspead/recv/inproc_reader.h>
#include <lightspead/recv/mem_reader.h>
#include <lightspead/recv/tcp_reader.h>
#include <lightspead/recv/udp_pcap_file_reader.h>
#include <lightspead/recv/udp_reader.h>
#include "common.h"

namespace lightspead::python
{

/// A host name or address, resolved with the GIL released (it may block).
inline boost::asio::ip::address resolve(const std::string &host)
{
    nb::gil_scoped_release release;
    return resolve_host(host);
}

/// The C++ stream of a binding wrapper that holds it in @c stream (a pointer).
template<typename W>
auto &stream_of(W &w)
{
    return *w.stream;
}

/**
 * The methods every receive stream class has. @ref stream_of gives the C++
 * stream of a @a W, and @a W keeps the Python buffers its memory readers
 * read from in @c buffers.
 */
template<typename W>
void def_stream_common(nb::class_<W> &cls)
{
    using namespace nb::literals;
    cls.def(
           "add_udp_reader",
           [](W &s, long long port, std::size_t max_size, std::size_t buffer_size, const std::string &bind_hostname)
           {
               stream_of(s).template emplace_reader<recv::udp_reader>(
                   boost::asio::ip::udp::endpoint(resolve(bind_hostname), to_port(port)), max_size, buffer_size);
           },
           "port"_a, "max_size"_a = recv::udp_reader::default_max_size,
           "buffer_size"_a = recv::udp_reader::default_buffer_size, "bind_hostname"_a = "")
        .def(
            "add_udp_reader",
            [](W &s, const std::string &multicast_group, long long port, std::size_t max_size, std::size_t buffer_size,
               const std::string &interface_address)
            {
                stream_of(s).template emplace_reader<recv::udp_reader>(
                    boost::asio::ip::udp::endpoint(resolve(multicast_group), to_port(port)), max_size, buffer_size,
                    resolve(interface_address));
            },
            "multicast_group"_a, "port"_a, "max_size"_a = recv::udp_reader::default_max_size,
            "buffer_size"_a = recv::udp_reader::default_buffer_size, "interface_address"_a = "")
        .def(
            "add_udp_reader",
            [](W &s, const std::string &multicast_group, long long port, std::size_t max_size, std::size_t buffer_size,
               unsigned int interface_index)
            {
                stream_of(s).template emplace_reader<recv::udp_reader>(
                    boost::asio::ip::udp::endpoint(resolve(multicast_group), to_port(port)), max_size, buffer_size,
                    interface_index);
            },
            "multicast_group"_a, "port"_a, "max_size"_a = recv::udp_reader::default_max_size,
            "buffer_size"_a = recv::udp_reader::default_buffer_size, nb::kw_only(), "interface_index"_a,
            "Join IPv6 multicast group on the interface with this index")
        .def(
            "add_udp_reader",
            [](W &s, nb::handle socket, std::size_t max_size)
            {
                auto sock = duplicate_socket<boost::asio::ip::udp::socket>(stream_of(s).get_io_context(),
                                                                           socket_fd(socket));
                stream_of(s).template emplace_reader<recv::udp_reader>(std::move(sock), max_size);
            },
            "socket"_a, "max_size"_a = recv::udp_reader::default_max_size,
            "Receive on a bound socket.socket (duplicated: the caller still closes its own)")
        .def(
            "add_tcp_reader",
            [](W &s, long long port, std::size_t max_size, std::size_t buffer_size, const std::string &bind_hostname)
            {
                stream_of(s).template emplace_reader<recv::tcp_reader>(
                    boost::asio::ip::tcp::endpoint(resolve(bind_hostname), to_port(port)), max_size, buffer_size);
            },
            "port"_a, "max_size"_a = recv::tcp_reader::default_max_size,
            "buffer_size"_a = recv::tcp_reader::default_buffer_size, "bind_hostname"_a = "")
        .def(
            "add_tcp_reader",
            [](W &s, nb::handle acceptor, std::size_t max_size)
            {
                auto sock = duplicate_socket<boost::asio::ip::tcp::acceptor>(stream_of(s).get_io_context(),
                                                                             socket_fd(acceptor));
                stream_of(s).template emplace_reader<recv::tcp_reader>(std::move(sock), max_size);
            },
            "acceptor"_a, "max_size"_a = recv::tcp_reader::default_max_size,
            "Accept one connection on a listening socket.socket (duplicated: the caller still closes its own)")
        .def(
            "add_buffer_reader",
            [](W &s, nb::handle buffer)
            {
                auto view = std::make_unique<buffer_view>(buffer);
                stream_of(s).template emplace_reader<recv::mem_reader>(static_cast<const std::uint8_t *>(view->data()),
                                                                       view->size());
                s.buffers.push_back(std::move(view));
            },
            "buffer"_a, "Read packets from a buffer of concatenated packets (kept alive with the stream), then stop")
        .def(
            "add_udp_pcap_file_reader",
            [](W &s, const std::string &filename, const std::string &filter)
            { stream_of(s).template emplace_reader<recv::udp_pcap_file_reader>(filename, filter); },
            "filename"_a, "filter"_a = "",
            "Read the UDP packets of a pcap capture (optionally BPF-filtered), then stop")
        .def(
            "add_inproc_reader",
            [](W &s, std::shared_ptr<inproc_queue> queue)
            { stream_of(s).template emplace_reader<recv::inproc_reader>(std::move(queue)); },
            "queue"_a, "Read packets from an InprocQueue until it is stopped")
        .def_prop_ro(
            "stats", [](const W &s) { return stream_of(s).get_stats(); },
            "A snapshot of the statistics (StreamStats), consistent across counters")
        .def_prop_ro(
            "discard_stats", [](const W &s) { return stream_of(s).get_discard_stats(); },
            "Why packets and heaps were thrown away, one counter per reason (packets_malformed, "
            "packets_out_of_order, ..., kernel_dropped, read_errors) and packets_accepted: lightspead's, not in spead2")
        .def_prop_ro(
            "config", [](const W &s) { return stream_of(s).get_config(); },
            "The StreamConfig the stream was built with")
        .def(
            "stop",
            [](W &s)
            {
                nb::gil_scoped_release release;
                stream_of(s).stop();
            },
            "Stop receiving: readers close, heaps under way are flushed (as incomplete) and the consumer sees "
            "the end after what is queued. Safe to call more than once")
        .def(
            "start", [](W &s) { stream_of(s).start(); },
            "With StreamConfig(explicit_start=True), start every reader added so far; no reader can be added "
            "after it (RuntimeError). Otherwise it does nothing.");
}

}  // namespace lightspead::python

#endif  // LIGHTSPEAD_PYTHON_RECV_STREAM_H
