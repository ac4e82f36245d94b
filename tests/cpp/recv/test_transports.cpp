// One test body, every transport: heaps sent by a lightspead send stream
// come out of a lightspead receive stream byte for byte.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <boost/asio.hpp>
#include <gtest/gtest.h>
#include <lightspead/lightspead.h>
#include "recv/receive_helpers.h"

using namespace lightspead;
using boost::asio::ip::make_address;

namespace
{

using bytes = std::vector<std::uint8_t>;
// Sends every heap and the end-of-stream heap through the given stream.
using send_all = std::function<void(send::stream &)>;

struct transport_case
{
    std::string name;
    // Connect a sender to `receiver`, then call `send` with it.
    std::function<void(thread_pool &, recv::ring_stream<> &receiver, const send_all &send)> run;
};

std::vector<transport_case> cases()
{
    std::vector<transport_case> out;
    out.push_back({"mem",
                   [](thread_pool &pool, recv::ring_stream<> &receiver, const send_all &send)
                   {
                       auto sb = std::make_shared<std::stringbuf>();
                       {
                           send::streambuf_stream s(pool, *sb);
                           send(s);
                       }
                       // The buffer must outlive the reader: keep it with a copy owned here.
                       static std::string data;
                       data = sb->str();
                       receiver.emplace_reader<recv::mem_reader>(reinterpret_cast<const std::uint8_t *>(data.data()),
                                                                 data.size());
                   }});
    out.push_back({"inproc",
                   [](thread_pool &pool, recv::ring_stream<> &receiver, const send_all &send)
                   {
                       auto queue = std::make_shared<inproc_queue>();
                       receiver.emplace_reader<recv::inproc_reader>(queue);
                       send::inproc_stream s(pool, {queue});
                       send(s);
                   }});
    out.push_back({"udp",
                   [](thread_pool &pool, recv::ring_stream<> &receiver, const send_all &send)
                   {
                       auto *r = receiver.emplace_reader<recv::udp_reader>(
                           boost::asio::ip::udp::endpoint(make_address("127.0.0.1"), 0));
                       ASSERT_TRUE(r);
                       send::stream_config config;
                       config.set_max_packet_size(9000).set_rate(200e6);
                       send::udp_stream s(pool, {r->get_local_endpoint()}, config);
                       send(s);
                   }});
    // Sockets made by the caller, handed over (as from Python's socket module)
    out.push_back({"udp_sockets",
                   [](thread_pool &pool, recv::ring_stream<> &receiver, const send_all &send)
                   {
                       boost::asio::io_context other;  // not the stream's: the reader must re-home it
                       boost::asio::ip::udp::socket rs(other, boost::asio::ip::udp::v4());
                       rs.bind(boost::asio::ip::udp::endpoint(make_address("127.0.0.1"), 0));
                       // The reader leaves a given socket's options alone: size its buffer here
                       set_socket_buffer(rs.native_handle(), socket_buffer::receive, 8 << 20);
                       const auto endpoint = rs.local_endpoint();
                       ASSERT_TRUE(receiver.emplace_reader<recv::udp_reader>(std::move(rs)));
                       boost::asio::ip::udp::socket ss(other, boost::asio::ip::udp::v4());
                       send::stream_config config;
                       config.set_max_packet_size(9000).set_rate(200e6);
                       send::udp_stream s(pool, std::move(ss), {endpoint}, config);
                       send(s);
                   }});
    out.push_back({"tcp_acceptor",
                   [](thread_pool &pool, recv::ring_stream<> &receiver, const send_all &send)
                   {
                       boost::asio::io_context other;
                       boost::asio::ip::tcp::acceptor acceptor(
                           other, boost::asio::ip::tcp::endpoint(make_address("127.0.0.1"), 0));
                       const auto endpoint = acceptor.local_endpoint();
                       ASSERT_TRUE(receiver.emplace_reader<recv::tcp_reader>(std::move(acceptor)));
                       send::stream_config config;
                       config.set_max_packet_size(9000);
                       send::tcp_stream s(pool, endpoint, config);
                       send(s);
                   }});
    // A host name, resolved as every API that takes a host does
    out.push_back({"udp_localhost",
                   [](thread_pool &pool, recv::ring_stream<> &receiver, const send_all &send)
                   {
                       auto *r = receiver.emplace_reader<recv::udp_reader>(
                           boost::asio::ip::udp::endpoint(resolve_host("localhost"), 0));
                       ASSERT_TRUE(r);
                       send::stream_config config;
                       config.set_max_packet_size(9000).set_rate(200e6);
                       send::udp_stream s(
                           pool,
                           {boost::asio::ip::udp::endpoint(resolve_host("localhost"), r->get_local_endpoint().port())},
                           config);
                       send(s);
                   }});
    out.push_back({"tcp",
                   [](thread_pool &pool, recv::ring_stream<> &receiver, const send_all &send)
                   {
                       auto *r = receiver.emplace_reader<recv::tcp_reader>(
                           boost::asio::ip::tcp::endpoint(make_address("127.0.0.1"), 0));
                       ASSERT_TRUE(r);
                       send::stream_config config;
                       config.set_max_packet_size(9000);
                       send::tcp_stream s(pool, r->get_local_endpoint(), config);
                       send(s);
                   }});
    // spead2's asynchronous connect; heaps are sent without waiting for it
    out.push_back({"tcp_async_connect",
                   [](thread_pool &pool, recv::ring_stream<> &receiver, const send_all &send)
                   {
                       auto *r = receiver.emplace_reader<recv::tcp_reader>(
                           boost::asio::ip::tcp::endpoint(make_address("127.0.0.1"), 0));
                       ASSERT_TRUE(r);
                       send::stream_config config;
                       config.set_max_packet_size(9000);
                       std::promise<boost::system::error_code> connected;
                       send::tcp_stream s(
                           pool, [&connected](const boost::system::error_code &ec) { connected.set_value(ec); },
                           {r->get_local_endpoint()}, config, 65536, make_address("127.0.0.1"));
                       send(s);
                       EXPECT_FALSE(connected.get_future().get());
                   }});
    return out;
}

class transports : public ::testing::TestWithParam<transport_case>
{
};

}  // anonymous namespace

TEST_P(transports, heaps_arrive_intact)
{
    constexpr int n_heaps = 12;
    std::vector<bytes> payloads;
    for (int i = 0; i < n_heaps; i++)
    {
        bytes b(50000 + 1000 * i);
        for (std::size_t k = 0; k < b.size(); k++)
            b[k] = std::uint8_t(k * 13 + i);
        payloads.push_back(std::move(b));
    }
    descriptor d;
    d.id = 0x1001;
    d.name = "payload";
    d.description = "test bytes";
    d.format = {{'u', 8}};
    d.shape = {-1};

    thread_pool pool(2);
    recv::ring_stream receiver(pool);
    GetParam().run(pool, receiver,
                   [&](send::stream &s)
                   {
                       for (int i = 0; i < n_heaps; i++)
                       {
                           send::heap h;
                           if (i == 0)
                               h.add_descriptor(d);
                           h.add_item(0x1000, item_pointer_t(i));
                           h.add_item(0x1001, payloads[i].data(), payloads[i].size(), false);
                           ASSERT_NO_THROW(s.async_send_heap(h, boost::asio::use_future).get());
                       }
                       send::heap end;
                       end.add_end();
                       s.async_send_heap(end, boost::asio::use_future).get();
                   });
    int i = 0;
    for (const auto &heap : receiver)
    {
        ASSERT_LT(i, n_heaps);
        EXPECT_EQ(heap.get_cnt(), i + 1);
        bool saw_value = false, saw_payload = false;
        for (const auto &it : heap.get_items())
        {
            if (it.id == 0x1000)
            {
                saw_value = true;
                EXPECT_EQ(it.immediate_value, item_pointer_t(i));
            }
            else if (it.id == 0x1001)
            {
                saw_payload = true;
                EXPECT_EQ(bytes(it.ptr, it.ptr + it.length), payloads[i]);
            }
        }
        EXPECT_TRUE(saw_value && saw_payload);
        EXPECT_EQ(heap.get_descriptors().size(), i == 0 ? 1u : 0u);
        i++;
    }
    EXPECT_EQ(i, n_heaps);
    const auto stats = receiver.get_stats();
    EXPECT_EQ(stats["heaps"], std::uint64_t(n_heaps));
    EXPECT_EQ(receiver.get_discard_stats()["packets_malformed"], 0u);
}

INSTANTIATE_TEST_SUITE_P(every, transports, ::testing::ValuesIn(cases()),
                         [](const auto &info) { return info.param.name; });

TEST(tcp_reader, garbage_and_truncation)
{
    thread_pool pool;
    recv::ring_stream receiver(pool);
    auto *r = receiver.emplace_reader<recv::tcp_reader>(boost::asio::ip::tcp::endpoint(make_address("127.0.0.1"), 0),
                                                        1500);
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket sock(io);
    sock.connect(r->get_local_endpoint());
    // Garbage, then a heap, then a packet claiming a 100000-byte payload
    // with a valid packet inside it, arriving in pieces, then a heap, EOF
    bytes garbage{0x53, 0x04, 9, 9, 1, 2, 3};
    std::stringbuf sb;
    std::string packet, last, nested;
    {
        send::streambuf_stream s(pool, sb);
        send::heap h;
        h.add_item(0x1000, item_pointer_t(77));
        s.async_send_heap(h, boost::asio::use_future).get();
        packet = sb.str();
        send::heap h2;
        h2.add_item(0x1000, item_pointer_t(78));
        s.async_send_heap(h2, boost::asio::use_future).get();
        last = sb.str().substr(packet.size());
        send::heap h3;
        h3.add_item(0x1000, item_pointer_t(99));
        s.async_send_heap(h3, boost::asio::use_future).get();
        nested = sb.str().substr(packet.size() + last.size());
    }
    boost::asio::write(sock, boost::asio::buffer(garbage));
    boost::asio::write(sock, boost::asio::buffer(packet));
    bytes huge{0x53, 0x04, 3, 5, 0, 0, 0, 3};
    auto put = [&huge](item_pointer_t v)
    {
        for (int k = 7; k >= 0; k--)
            huge.push_back(std::uint8_t(v >> (8 * k)));
    };
    put((item_pointer_t(1) << 63) | (item_pointer_t(1) << 40) | 2);       // heap cnt 2
    put((item_pointer_t(1) << 63) | (item_pointer_t(3) << 40) | 0);       // offset 0
    put((item_pointer_t(1) << 63) | (item_pointer_t(4) << 40) | 100000);  // 100000 bytes
    boost::asio::write(sock, boost::asio::buffer(huge));
    bytes payload(100000, 0);
    std::copy(nested.begin(), nested.end(), payload.begin() + 5000);  // must not be found
    for (std::size_t pos = 0; pos < payload.size(); pos += 7000)
    {
        boost::asio::write(
            sock, boost::asio::buffer(payload.data() + pos, std::min<std::size_t>(7000, payload.size() - pos)));
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    boost::asio::write(sock, boost::asio::buffer(last));
    sock.close();
    std::vector<item_pointer_t> values;
    for (const auto &heap : receiver)
        values.push_back(heap.get_items().at(0).immediate_value);
    EXPECT_EQ(values, (std::vector<item_pointer_t>{77, 78}));
    const auto discards = receiver.get_discard_stats();
    EXPECT_EQ(discards["packets_truncated"], 1u);  // skipped whole, never searched
    EXPECT_GE(discards["packets_malformed"], 1u);  // the garbage
}

TEST(tcp_stream, async_connect_failure_reaches_handler_and_heaps)
{
    // The network thread is held up until a heap has been handed over, so
    // the heap waits for the connect; a send on the connecting socket would
    // have consumed the error, and the handler would have seen success.
    thread_pool pool(1);
    std::promise<void> release;
    boost::asio::post(pool.get_io_context(), [f = release.get_future().share()] { f.wait(); });
    // A port nothing listens on: bind one, then close it
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor closed(io, boost::asio::ip::tcp::endpoint(make_address("127.0.0.1"), 0));
    const auto endpoint = closed.local_endpoint();
    closed.close();
    std::promise<boost::system::error_code> connected;
    send::tcp_stream s(pool, [&connected](const boost::system::error_code &ec) { connected.set_value(ec); },
                       {endpoint});
    send::heap h;
    h.add_item(0x1000, item_pointer_t(1));
    auto sent = s.async_send_heap(h, boost::asio::use_future);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    release.set_value();
    EXPECT_EQ(connected.get_future().get(), boost::asio::error::connection_refused);
    try
    {
        sent.get();
        ADD_FAILURE() << "a heap sent on a refused connection succeeded";
    }
    catch (const boost::system::system_error &e)
    {
        EXPECT_EQ(e.code(), boost::asio::error::connection_refused);
    }
    EXPECT_THROW(send::tcp_stream(pool, [](const boost::system::error_code &) {}, {}), std::invalid_argument);
    EXPECT_THROW(send::tcp_stream(pool, [](const boost::system::error_code &) {}, {endpoint, endpoint}),
                 std::invalid_argument);
}

TEST(tcp_stream, heaps_sent_before_the_async_connect_completes_wait_for_it)
{
    // The sender's one network thread is held up while the connect is
    // started and a heap handed over, so the heap reaches the transport
    // before the connection is made.
    thread_pool receive_pool;
    recv::ring_stream<> receiver(receive_pool);
    auto *r = receiver.emplace_reader<recv::tcp_reader>(boost::asio::ip::tcp::endpoint(make_address("127.0.0.1"), 0));
    ASSERT_TRUE(r);
    thread_pool pool(1);
    std::promise<void> release;
    boost::asio::post(pool.get_io_context(), [f = release.get_future().share()] { f.wait(); });
    std::promise<boost::system::error_code> connected;
    send::tcp_stream s(pool, [&connected](const boost::system::error_code &ec) { connected.set_value(ec); },
                       {r->get_local_endpoint()});
    send::heap h;
    h.add_item(0x1000, item_pointer_t(42));
    auto sent = s.async_send_heap(h, boost::asio::use_future);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    release.set_value();
    EXPECT_FALSE(connected.get_future().get());
    EXPECT_GT(sent.get(), 0u);
    s.async_send_heap(send::heap(), boost::asio::use_future).get();  // flush order: then end
    send::heap end;
    end.add_end();
    s.async_send_heap(end, boost::asio::use_future).get();
    std::vector<item_pointer_t> values;
    for (const auto &heap : receiver)
        for (const auto &it : heap.get_items())
            if (it.id == 0x1000)
                values.push_back(it.immediate_value);
    EXPECT_EQ(values, std::vector<item_pointer_t>{42});
}

TEST(udp_reader, direct_placement_with_interleaved_senders)
{
    // Two senders interleave heaps on one reader: the reader's predictions
    // (next packet continues the heap in progress) are right for long runs
    // and wrong at every switch; either way every byte must land right.
    thread_pool pool(2);
    recv::stream_config config;
    config.set_max_heaps(8);
    recv::ring_stream receiver(pool, config, recv::ring_stream_config().set_heaps(32));
    auto *r = receiver.emplace_reader<recv::udp_reader>(boost::asio::ip::udp::endpoint(make_address("127.0.0.1"), 0),
                                                        recv::udp_reader::default_max_size, 64 << 20);
    ASSERT_TRUE(r);
    send::stream_config sconfig;
    sconfig.set_max_packet_size(9000).set_rate(300e6).set_max_heaps(2);
    send::udp_stream a(pool, {r->get_local_endpoint()}, sconfig);
    send::udp_stream b(pool, {r->get_local_endpoint()}, sconfig);
    b.set_cnt_sequence(1001, 1);
    constexpr int n_heaps = 8;
    std::vector<std::vector<std::uint8_t>> data;
    for (int i = 0; i < 2 * n_heaps; i++)
    {
        std::vector<std::uint8_t> d(2'000'000 + 4321 * i);
        for (std::size_t k = 0; k < d.size(); k++)
            d[k] = std::uint8_t(k * 7 + i * 3 + (k >> 12));
        data.push_back(std::move(d));
    }
    std::vector<send::heap> heaps(2 * n_heaps);
    std::vector<std::future<item_pointer_t>> futures;
    for (int i = 0; i < n_heaps; i++)
        for (int s = 0; s < 2; s++)
        {
            auto &h = heaps[2 * i + s];
            h.add_item(0x1000, item_pointer_t(2 * i + s));
            h.add_item(0x1001, data[2 * i + s].data(), data[2 * i + s].size(), false);
            futures.push_back((s ? b : a).async_send_heap(h, boost::asio::use_future));
            if (futures.size() >= 4)
            {
                futures.front().get();
                futures.erase(futures.begin());
            }
        }
    for (auto &f : futures)
        f.get();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    receiver.stop();
    int received = 0;
    try
    {
        for (;;)
        {
            auto heap = receiver.pop();
            int index = -1;
            for (const auto &it : heap.get_items())
                if (it.id == 0x1000)
                    index = int(it.immediate_value);
            ASSERT_GE(index, 0);
            for (const auto &it : heap.get_items())
            {
                if (it.id == 0x1001)
                {
                    EXPECT_EQ(bytes(it.ptr, it.ptr + it.length), data[index]) << "heap " << index;
                }
            }
            received++;
        }
    }
    catch (ringbuffer_stopped &)
    {
    }
    // Loopback at 2 x 300 MB/s with a 64 MiB buffer: nothing should be lost.
    EXPECT_EQ(received, 2 * n_heaps) << "kernel_dropped " << receiver.get_discard_stats()["kernel_dropped"];
}

namespace
{

// Send a few heaps to `to` and check they arrive through `receiver`.
void expect_heaps_arrive(thread_pool &pool, recv::ring_stream<> &receiver, send::udp_stream &sender)
{
    std::vector<std::uint8_t> data(30000, 5);
    for (int i = 0; i < 3; i++)
    {
        send::heap h;
        h.add_item(0x1001, data.data(), data.size(), false);
        sender.async_send_heap(h, boost::asio::use_future).get();
    }
    send::heap end;
    end.add_end();
    sender.async_send_heap(end, boost::asio::use_future).get();
    (void)pool;
    int n = 0;
    for (const auto &heap : receiver)
    {
        EXPECT_EQ(heap.get_items().at(0).length, data.size());
        n++;
    }
    EXPECT_EQ(n, 3);
}

}  // anonymous namespace

TEST(udp_reader, ipv6)
{
    thread_pool pool;
    recv::ring_stream receiver(pool);
    recv::udp_reader *r;
    try
    {
        r = receiver.emplace_reader<recv::udp_reader>(boost::asio::ip::udp::endpoint(make_address("::1"), 0));
    }
    catch (boost::system::system_error &)
    {
        GTEST_SKIP() << "no IPv6 loopback";
    }
    send::udp_stream sender(pool, {r->get_local_endpoint()});
    expect_heaps_arrive(pool, receiver, sender);
}

TEST(udp_reader, ipv4_multicast_on_loopback)
{
    thread_pool pool;
    recv::ring_stream receiver(pool);
    const auto group = make_address("239.255.9.9");
    const auto lo = make_address("127.0.0.1");
    recv::udp_reader *r;
    try
    {
        r = receiver.emplace_reader<recv::udp_reader>(boost::asio::ip::udp::endpoint(group, 0),
                                                      recv::udp_reader::default_max_size,
                                                      recv::udp_reader::default_buffer_size, lo);
    }
    catch (boost::system::system_error &e)
    {
        GTEST_SKIP() << "cannot join multicast on lo: " << e.what();
    }
    send::udp_stream sender(pool, {boost::asio::ip::udp::endpoint(group, r->get_local_endpoint().port())},
                            send::stream_config(), 0, 1, lo);
    expect_heaps_arrive(pool, receiver, sender);
}

TEST(udp_reader, rejects_bad_arguments)
{
    thread_pool pool;
    recv::ring_stream receiver(pool);
    const boost::asio::ip::udp::endpoint any(make_address("127.0.0.1"), 0);
    EXPECT_THROW(receiver.emplace_reader<recv::udp_reader>(any, 4), std::invalid_argument);
    EXPECT_THROW(receiver.emplace_reader<recv::udp_reader>(any, 70000), std::invalid_argument);
    EXPECT_THROW(receiver.emplace_reader<recv::udp_reader>(boost::asio::ip::udp::endpoint(make_address("239.1.1.1"), 0),
                                                           9200, 0, 1u),
                 std::invalid_argument);  // an interface index is for IPv6
    EXPECT_THROW(
        receiver.emplace_reader<recv::tcp_reader>(boost::asio::ip::tcp::endpoint(make_address("127.0.0.1"), 0), 4),
        std::invalid_argument);
    EXPECT_THROW(receiver.emplace_reader<recv::inproc_reader>(nullptr), std::invalid_argument);
}

namespace
{

void put16(std::vector<std::uint8_t> &out, unsigned v)
{
    out.push_back(v >> 8);
    out.push_back(v & 0xff);
}
void put32le(std::vector<std::uint8_t> &out, std::uint32_t v)
{
    for (int k = 0; k < 4; k++)
        out.push_back(std::uint8_t(v >> (8 * k)));
}

// An Ethernet/IPv4/UDP frame around `payload`, optionally VLAN-tagged or
// with another IP protocol.
std::vector<std::uint8_t> frame(const std::string &payload, bool vlan = false, int protocol = 17)
{
    std::vector<std::uint8_t> f(12, 0x02);  // MAC addresses
    if (vlan)
    {
        put16(f, 0x8100);
        put16(f, 5);
    }
    put16(f, 0x0800);
    const std::size_t ip_len = 20 + 8 + payload.size();
    f.insert(f.end(), {0x45, 0});
    put16(f, ip_len);
    f.insert(f.end(), {0, 0, 0x40, 0, 64, std::uint8_t(protocol), 0, 0, 127, 0, 0, 1, 127, 0, 0, 1});
    put16(f, 7148);
    put16(f, 7148);
    put16(f, 8 + payload.size());
    put16(f, 0);
    f.insert(f.end(), payload.begin(), payload.end());
    return f;
}

// Heaps 1..n (1000 + i bytes of i) as the packets of a stream each,
// their payloads in @a data.
std::vector<std::string> pcap_test_packets(int n, std::vector<std::vector<std::uint8_t>> &data)
{
    std::vector<std::string> packets;
    thread_pool pool;
    for (int i = 0; i < n; i++)
    {
        std::stringbuf one;
        send::streambuf_stream s(pool, one);
        data.emplace_back(1000 + i, std::uint8_t(i));
        send::heap h;
        h.add_item(0x1000, data.back().data(), data.back().size(), false);
        s.async_send_heap(h, boost::asio::use_future, i + 1).get();
        packets.push_back(one.str());
    }
    return packets;
}

// A little-endian pcap file of Ethernet frames, built record by record.
struct pcap_builder
{
    std::vector<std::uint8_t> file;

    pcap_builder()
    {
        put32le(file, 0xa1b2c3d4);
        file.insert(file.end(), {2, 0, 4, 0});
        put32le(file, 0);
        put32le(file, 0);
        put32le(file, 65535);
        put32le(file, 1);  // Ethernet
    }
    // A record of the first @a caplen bytes of @a f, its header saying
    // @a stated_caplen if given.
    void record(const std::vector<std::uint8_t> &f, std::size_t caplen, std::uint32_t stated_caplen = 0)
    {
        put32le(file, 0);
        put32le(file, 0);
        put32le(file, stated_caplen ? stated_caplen : caplen);
        put32le(file, f.size());
        file.insert(file.end(), f.begin(), f.begin() + caplen);
    }
    void record(const std::vector<std::uint8_t> &f) { record(f, f.size()); }
    std::string write(const std::string &name) const
    {
        const std::string path = ::testing::TempDir() + name;
        std::ofstream out(path, std::ios::binary);
        out.write(reinterpret_cast<const char *>(file.data()), file.size());
        return path;
    }
};

struct capture_received
{
    int heaps = 0;
    std::uint64_t packets = 0, read_errors = 0;
};

// Receive the capture at @a path; the heaps must come out in order (counters
// 1, 2, ...) with the payloads in @a data.
capture_received receive_capture(const std::string &path, const std::vector<std::vector<std::uint8_t>> &data)
{
    thread_pool pool;
    recv::ring_stream receiver(pool);
    receiver.emplace_reader<recv::udp_pcap_file_reader>(path);
    capture_received got;
    for (const auto &heap : receiver)
    {
        EXPECT_EQ(heap.get_cnt(), got.heaps + 1);
        const auto &item = heap.get_items().at(0);
        EXPECT_EQ(bytes(item.ptr, item.ptr + item.length), data.at(got.heaps));
        got.heaps++;
    }
    got.packets = receiver.get_stats()["packets"];
    got.read_errors = receiver.get_discard_stats()["read_errors"];
    return got;
}

}  // anonymous namespace

TEST(udp_pcap_file_reader, reads_udp_payloads_and_skips_the_rest)
{
    // Three heaps as packets, written into a capture with some noise
    std::vector<std::vector<std::uint8_t>> data;
    const auto packets = pcap_test_packets(3, data);
    pcap_builder file;
    auto record = [&](const std::vector<std::uint8_t> &f, std::size_t caplen) { file.record(f, caplen); };
    auto f0 = frame(packets[0]);
    record(f0, f0.size());
    auto tcp = frame(packets[1], false, 6);
    record(tcp, tcp.size());  // not UDP: skipped
    auto cut = frame(packets[1]);
    record(cut, cut.size() - 10);  // truncated capture: skipped
    auto f1 = frame(packets[1], true);
    record(f1, f1.size());  // VLAN-tagged
    auto f2 = frame(packets[2]);
    record(f2, f2.size());
    const std::string path = file.write("lightspead_test.pcap");
    const auto got = receive_capture(path, data);
    EXPECT_EQ(got.heaps, 3);
    EXPECT_EQ(got.packets, 3u);
    EXPECT_EQ(got.read_errors, 0u);
    // A filter that matches nothing, a missing file, a bad filter
    thread_pool pool;
    recv::ring_stream filtered(pool);
    filtered.emplace_reader<recv::udp_pcap_file_reader>(path, "udp port 9");
    EXPECT_THROW(filtered.pop(), ringbuffer_stopped);
    recv::ring_stream other(pool);
    EXPECT_THROW(other.emplace_reader<recv::udp_pcap_file_reader>(path + ".missing"), std::runtime_error);
    EXPECT_THROW(other.emplace_reader<recv::udp_pcap_file_reader>(path, "not a filter ("), std::runtime_error);
    std::remove(path.c_str());
}

TEST(udp_pcap_file_reader, unreadable_record_is_counted_logged_and_ends_the_stream)
{
    // Records are framed only by their lengths: after a record libpcap
    // cannot read, nothing can be trusted. The heaps before it arrive, the
    // error is counted and logged, and the stream stops (before the fix,
    // silently).
    std::vector<std::vector<std::uint8_t>> data;
    const auto packets = pcap_test_packets(3, data);
    const auto f0 = frame(packets[0]), f1 = frame(packets[1]), f2 = frame(packets[2]);
    pcap_builder huge, cut;
    huge.record(f0);
    huge.record(f1, f1.size(), 0x7ffffff0);  // a length beyond any snapshot length
    huge.record(f2);
    cut.record(f0);
    cut.record(f1);
    cut.record(f2, f2.size() / 2, f2.size());  // the file ends inside the record
    for (const auto &[file, expect_heaps] : {std::pair{&huge, 1}, std::pair{&cut, 2}})
    {
        recv_test::log_capture log;
        const std::string path = file->write("lightspead_bad.pcap");
        const auto got = receive_capture(path, data);
        EXPECT_EQ(got.heaps, expect_heaps);
        EXPECT_EQ(got.read_errors, 1u);
        const auto lines = log.stop();
        const auto it = std::find_if(lines.begin(), lines.end(),
                                     [](const std::string &line)
                                     { return line.find("unreadable record") != std::string::npos; });
        ASSERT_NE(it, lines.end());
        EXPECT_NE(it->find(path), std::string::npos) << *it;
        EXPECT_NE(it->find("after " + std::to_string(expect_heaps) + " good ones"), std::string::npos) << *it;
        std::remove(path.c_str());
    }
}
