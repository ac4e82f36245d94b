// Behaviour of send streams: queueing, heap counters, completion, errors,
// rate limiting and every transport.
#include <chrono>
#include <future>
#include <limits>
#include <list>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <utility>  // before Boost 1.74's asio, which forgets it in C++20 mode
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <boost/asio.hpp>
#include <gtest/gtest.h>
#include <lightspead/lightspead.h>

using namespace lightspead;
using boost::asio::ip::udp;

namespace
{

struct decoded_packet
{
    s_item_pointer_t cnt;
    s_item_pointer_t heap_length;
    s_item_pointer_t offset;
    std::vector<std::uint8_t> bytes;
};

// Split back-to-back packets (streambuf output) and decode each one.
std::vector<decoded_packet> split_packets(const std::string &data)
{
    std::vector<decoded_packet> out;
    auto *p = reinterpret_cast<const std::uint8_t *>(data.data());
    std::size_t left = data.size();
    while (left > 0)
    {
        auto r = decode_packet(p, left);
        EXPECT_TRUE(r) << to_string(r.status);
        if (!r)
            break;
        out.push_back({r.packet.heap_cnt, r.packet.heap_length, r.packet.payload_offset,
                       std::vector<std::uint8_t>(p, p + r.packet.size)});
        p += r.packet.size;
        left -= r.packet.size;
    }
    return out;
}

std::vector<s_item_pointer_t> heap_cnts(const std::string &data)
{
    std::vector<s_item_pointer_t> cnts;
    for (const auto &p : split_packets(data))
        if (p.offset == 0)
            cnts.push_back(p.cnt);
    return cnts;
}

boost::system::error_code error_of(std::future<item_pointer_t> &f)
{
    try
    {
        f.get();
        return {};
    }
    catch (boost::system::system_error &e)
    {
        return e.code();
    }
}

}  // anonymous namespace

TEST(stream_config, defaults)
{
    send::stream_config c;
    EXPECT_EQ(c.get_max_packet_size(), 1472u);
    EXPECT_EQ(c.get_rate(), 0.0);
    EXPECT_EQ(c.get_max_heaps(), 4u);
    EXPECT_EQ(c.get_burst_size(), 65536u);
    EXPECT_DOUBLE_EQ(c.get_burst_rate_ratio(), 1.05);
}

TEST(stream_config, rejects_invalid_values)
{
    send::stream_config c;
    EXPECT_THROW(c.set_max_packet_size(55), std::invalid_argument);
    EXPECT_THROW(c.set_max_packet_size(0), std::invalid_argument);
    EXPECT_THROW(c.set_rate(-1.0), std::invalid_argument);
    EXPECT_THROW(c.set_rate(std::numeric_limits<double>::infinity()), std::invalid_argument);
    EXPECT_THROW(c.set_rate(std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
    EXPECT_THROW(c.set_burst_size(0), std::invalid_argument);
    EXPECT_THROW(c.set_burst_rate_ratio(0.99), std::invalid_argument);
    EXPECT_THROW(c.set_burst_rate_ratio(std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
    EXPECT_THROW(c.set_max_heaps(0), std::invalid_argument);
    EXPECT_THROW(c.set_max_heaps(std::size_t(1) << 62), std::invalid_argument);
    EXPECT_THROW(c.set_max_heaps(send::stream_config::max_max_heaps + 1), std::invalid_argument);
    // Failed setters leave the old value
    EXPECT_EQ(c.get_max_packet_size(), 1472u);
    EXPECT_EQ(c.get_max_heaps(), 4u);
    // Chaining
    c.set_max_packet_size(9000).set_rate(1e9).set_max_heaps(2).set_burst_size(1).set_burst_rate_ratio(1.0);
    EXPECT_EQ(c.get_max_packet_size(), 9000u);
    EXPECT_DOUBLE_EQ(c.get_burst_rate(), 1e9);
}

TEST(send_stream, heap_counters_follow_sequence)
{
    thread_pool pool;
    std::stringbuf sb;
    send::streambuf_stream s(pool, sb);
    send::heap h;
    for (int i = 0; i < 3; i++)
        s.async_send_heap(h, boost::asio::use_future).get();
    s.set_cnt_sequence(10, 5);
    for (int i = 0; i < 2; i++)
        s.async_send_heap(h, boost::asio::use_future).get();
    s.async_send_heap(h, boost::asio::use_future, 1234).get();  // explicit
    s.async_send_heap(h, boost::asio::use_future).get();        // sequence resumes
    EXPECT_EQ(heap_cnts(sb.str()), (std::vector<s_item_pointer_t>{1, 2, 3, 10, 15, 1234, 20}));
    EXPECT_THROW(s.set_cnt_sequence(1, 0), std::invalid_argument);
}

TEST(send_stream, heap_counters_masked_to_address_bits)
{
    thread_pool pool;
    std::stringbuf sb;
    send::streambuf_stream s(pool, sb);
    send::heap h{flavour(8)};
    s.set_cnt_sequence(255, 1);
    s.async_send_heap(h, boost::asio::use_future).get();
    s.async_send_heap(h, boost::asio::use_future).get();
    EXPECT_EQ(heap_cnts(sb.str()), (std::vector<s_item_pointer_t>{255, 0}));
}

TEST(send_stream, explicit_counter_too_large_is_refused)
{
    thread_pool pool;
    std::stringbuf sb;
    send::streambuf_stream s(pool, sb);
    send::heap h{flavour(48)};
    auto f = s.async_send_heap(h, boost::asio::use_future, s_item_pointer_t(1) << 48);
    EXPECT_EQ(error_of(f), boost::system::errc::invalid_argument);
    EXPECT_TRUE(sb.str().empty());
    auto g = s.async_send_heap(h, boost::asio::use_future, (s_item_pointer_t(1) << 48) - 1);
    EXPECT_FALSE(error_of(g));
}

TEST(send_stream, full_queue_fails_without_blocking)
{
    boost::asio::io_context io;  // not running yet: nothing drains the queue
    std::stringbuf sb;
    send::stream_config config;
    config.set_max_heaps(2);
    send::streambuf_stream s(io, sb, config);
    send::heap h;
    std::vector<boost::system::error_code> results(3);
    std::vector<bool> called(3, false);
    for (int i = 0; i < 3; i++)
        s.async_send_heap(h,
                          [&, i](const boost::system::error_code &ec, item_pointer_t)
                          {
                              results[i] = ec;
                              called[i] = true;
                          });
    // Handlers never run inside async_send_heap
    EXPECT_FALSE(called[2]);
    io.run();
    EXPECT_TRUE(called[0] && called[1] && called[2]);
    EXPECT_FALSE(results[0]);
    EXPECT_FALSE(results[1]);
    EXPECT_EQ(results[2], boost::asio::error::would_block);
    EXPECT_EQ(heap_cnts(sb.str()).size(), 2u);
}

TEST(send_stream, callback_gets_bytes_on_the_wire)
{
    thread_pool pool;
    std::stringbuf sb;
    send::streambuf_stream s(pool, sb);
    std::vector<std::uint8_t> data(10000, 7);
    send::heap h;
    h.add_item(0x1000, data.data(), data.size(), false);
    std::promise<std::pair<boost::system::error_code, item_pointer_t>> done;
    s.async_send_heap(h,
                      [&done](const boost::system::error_code &ec, item_pointer_t bytes) {
                          done.set_value({ec, bytes});
                      });
    auto [ec, bytes] = done.get_future().get();
    EXPECT_FALSE(ec);
    EXPECT_EQ(bytes, sb.str().size());
    EXPECT_GT(bytes, data.size());
}

TEST(send_stream, unsendable_heap_fails_alone)
{
    thread_pool pool;
    std::stringbuf sb;
    send::stream_config config;
    config.set_max_packet_size(88);
    send::streambuf_stream s(pool, sb, config);
    send::heap bad{flavour(48)};
    for (int i = 0; i < 10; i++)
        bad.add_item(0x1000 + i, item_pointer_t(i));
    bad.set_repeat_pointers(true);
    send::heap good;
    auto f1 = s.async_send_heap(bad, boost::asio::use_future);
    auto f2 = s.async_send_heap(good, boost::asio::use_future);
    EXPECT_EQ(error_of(f1), boost::system::errc::invalid_argument);
    EXPECT_FALSE(error_of(f2));
    EXPECT_EQ(heap_cnts(sb.str()), (std::vector<s_item_pointer_t>{2}));
}

TEST(send_stream, flush_and_destructor_wait_for_queued_heaps)
{
    thread_pool pool;
    std::stringbuf sb;
    std::vector<std::uint8_t> data(1 << 20, 1);
    send::heap h;
    h.add_item(0x1000, data.data(), data.size(), false);
    int completed = 0;
    {
        send::stream_config config;
        config.set_max_heaps(8);
        send::streambuf_stream s(pool, sb, config);
        for (int i = 0; i < 4; i++)
            s.async_send_heap(h, [&](const boost::system::error_code &, item_pointer_t) { completed++; });
        s.flush();
        EXPECT_EQ(completed, 4);
        for (int i = 0; i < 4; i++)
            s.async_send_heap(h, [&](const boost::system::error_code &, item_pointer_t) { completed++; });
    }
    EXPECT_EQ(completed, 8);
    EXPECT_EQ(heap_cnts(sb.str()).size(), 8u);
}

TEST(send_stream, short_streambuf_write_is_an_error)
{
    // A streambuf that accepts only 100 bytes
    struct tiny_buf : std::streambuf
    {
        char space[100];
        tiny_buf() { setp(space, space + sizeof(space)); }
        int_type overflow(int_type) override { return traits_type::eof(); }
    } sb;
    thread_pool pool;
    send::streambuf_stream s(pool, sb);
    std::vector<std::uint8_t> data(1000, 1);
    send::heap h;
    h.add_item(0x1000, data.data(), data.size(), false);
    auto f = s.async_send_heap(h, boost::asio::use_future);
    EXPECT_EQ(error_of(f), boost::asio::error::eof);
}

TEST(send_stream, rate_limit_slows_sending)
{
    thread_pool pool;
    std::stringbuf sb;
    send::stream_config config;
    config.set_rate(20e6).set_burst_size(9000).set_max_packet_size(9000);
    send::streambuf_stream s(pool, sb, config);
    std::vector<std::uint8_t> data(2'000'000, 1);
    send::heap h;
    h.add_item(0x1000, data.data(), data.size(), false);
    auto start = std::chrono::steady_clock::now();
    s.async_send_heap(h, boost::asio::use_future).get();
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    // 2 MB at 20 MB/s is 0.1 s; bursts may run 5% fast, but no faster.
    // (Only a lower bound: a busy machine can always be slower.)
    EXPECT_GE(elapsed.count(), 2e6 / (20e6 * 1.05) * 0.95);
}

TEST(inproc_stream, substreams_go_to_their_queues)
{
    thread_pool pool;
    auto q0 = std::make_shared<inproc_queue>();
    auto q1 = std::make_shared<inproc_queue>();
    send::inproc_stream s(pool, {q0, q1});
    EXPECT_EQ(s.get_num_substreams(), 2u);
    std::vector<std::uint8_t> data(5000, 3);
    send::heap h;
    h.add_item(0x1000, data.data(), data.size(), false);
    s.async_send_heap(h, boost::asio::use_future, 100, 0).get();
    s.async_send_heap(h, boost::asio::use_future, 101, 1).get();
    auto f = s.async_send_heap(h, boost::asio::use_future, 102, 2);
    EXPECT_EQ(error_of(f), boost::system::errc::invalid_argument);
    for (auto [q, cnt] : {std::pair{q0, 100}, std::pair{q1, 101}})
    {
        EXPECT_EQ(q->size(), 4u);  // 5000 bytes in 1472-byte packets
        std::size_t total = 0;
        while (auto p = q->try_pop())
        {
            auto r = decode_packet(p->data(), p->size());
            ASSERT_TRUE(r);
            EXPECT_EQ(r.packet.heap_cnt, cnt);
            EXPECT_EQ(r.packet.size, p->size());
            total += r.packet.payload_length;
        }
        EXPECT_EQ(total, data.size());
    }
}

TEST(inproc_stream, stopped_queue_fails_heap)
{
    thread_pool pool;
    auto q = std::make_shared<inproc_queue>();
    send::inproc_stream s(pool, {q});
    q->stop();
    send::heap h;
    auto f = s.async_send_heap(h, boost::asio::use_future);
    EXPECT_EQ(error_of(f), boost::asio::error::broken_pipe);
    EXPECT_FALSE(q->pop());
}

TEST(inproc_stream, rejects_bad_queues)
{
    thread_pool pool;
    EXPECT_THROW(send::inproc_stream(pool, {}), std::invalid_argument);
    EXPECT_THROW(send::inproc_stream(pool, {nullptr}), std::invalid_argument);
}

namespace
{

// A plain receiving socket on loopback, so the test depends only on the kernel.
class udp_sink
{
public:
    boost::asio::io_context io;
    udp::socket socket;

    explicit udp_sink(const udp::endpoint &bind_to) : socket(io, bind_to)
    {
        socket.set_option(udp::socket::receive_buffer_size(8 << 20));
        int size = 16 << 20;  // as root, beyond rmem_max
        setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
        timeval tv{5, 0};
        setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    }

    udp::endpoint endpoint() const { return socket.local_endpoint(); }

    // Receive datagrams of one heap; each must be exactly one packet.
    std::vector<std::uint8_t> receive_heap(s_item_pointer_t &cnt)
    {
        std::vector<std::uint8_t> payload;
        std::vector<std::uint8_t> buf(65536);
        s_item_pointer_t length = -1;
        while (length < 0 || payload.size() < std::size_t(length))
        {
            ssize_t n = ::recv(socket.native_handle(), buf.data(), buf.size(), 0);
            if (n < 0)
            {
                ADD_FAILURE() << "timed out waiting for packets";
                break;
            }
            auto r = decode_packet(buf.data(), n);
            EXPECT_TRUE(r) << to_string(r.status);
            EXPECT_EQ(r.packet.size, std::size_t(n));
            if (!r)
                break;
            cnt = r.packet.heap_cnt;
            length = r.packet.heap_length;
            EXPECT_EQ(std::size_t(r.packet.payload_offset), payload.size());
            payload.insert(payload.end(), r.packet.payload, r.packet.payload + r.packet.payload_length);
        }
        return payload;
    }
};

void udp_round_trip(const udp::endpoint &bind_to, std::size_t packet_size)
{
    udp_sink sink0(bind_to), sink1(bind_to);
    thread_pool pool;
    send::stream_config config;
    config.set_max_packet_size(packet_size).set_max_heaps(2);
    send::udp_stream s(pool, {sink0.endpoint(), sink1.endpoint()}, config);
    EXPECT_EQ(s.get_num_substreams(), 2u);
    std::vector<std::uint8_t> data(300000);
    for (std::size_t i = 0; i < data.size(); i++)
        data[i] = std::uint8_t(i * 7 + 3);
    send::heap h;
    h.add_item(0x1000, data.data(), data.size(), false);
    auto f0 = s.async_send_heap(h, boost::asio::use_future, 5, 0);
    auto f1 = s.async_send_heap(h, boost::asio::use_future, 6, 1);
    EXPECT_GT(f0.get(), data.size());
    EXPECT_GT(f1.get(), data.size());
    s_item_pointer_t cnt0 = -1, cnt1 = -1;
    EXPECT_EQ(sink0.receive_heap(cnt0), data);
    EXPECT_EQ(sink1.receive_heap(cnt1), data);
    EXPECT_EQ(cnt0, 5);
    EXPECT_EQ(cnt1, 6);
    // Loopback accepts GSO; the stream must still be using it.
    EXPECT_TRUE(s.is_gso_active());
}

}  // anonymous namespace

TEST(udp_stream, ipv4_round_trip)
{
    udp_round_trip(udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0), 1472);
    udp_round_trip(udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0), 9000);
}

TEST(udp_stream, ipv6_round_trip)
{
    try
    {
        udp_sink probe(udp::endpoint(boost::asio::ip::make_address("::1"), 0));
    }
    catch (boost::system::system_error &)
    {
        GTEST_SKIP() << "no IPv6 loopback on this machine";
    }
    udp_round_trip(udp::endpoint(boost::asio::ip::make_address("::1"), 0), 8192);
}

TEST(udp_stream, rejects_bad_arguments)
{
    thread_pool pool;
    const udp::endpoint v4(boost::asio::ip::make_address("127.0.0.1"), 8888);
    const udp::endpoint v6(boost::asio::ip::make_address("::1"), 8888);
    const udp::endpoint mc(boost::asio::ip::make_address("239.1.2.3"), 8888);
    send::stream_config config;
    EXPECT_THROW(send::udp_stream(pool, {}, config), std::invalid_argument);
    EXPECT_THROW(send::udp_stream(pool, {v4, v6}, config), std::invalid_argument);
    EXPECT_THROW(send::udp_stream(pool, {v4}, config, 0, 1), std::invalid_argument);  // not multicast
    EXPECT_THROW(send::udp_stream(pool, {mc}, config, 0, 256), std::invalid_argument);
    EXPECT_THROW(send::udp_stream(pool, {mc}, config, 0, -1), std::invalid_argument);
    EXPECT_THROW(send::udp_stream(pool, {mc}, config, 0, 1, 1u), std::invalid_argument);  // index is IPv6 only
    EXPECT_NO_THROW(send::udp_stream(pool, {mc}, config, 0, 1, boost::asio::ip::make_address("127.0.0.1")));
}

TEST(udp_stream, packets_beyond_a_datagram_fail_with_emsgsize)
{
    // Accepted (as spead2 does), but a heap with a packet larger than a UDP
    // datagram fails when sent; smaller heaps still go.
    udp_sink sink(udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    thread_pool pool;
    send::stream_config big;
    big.set_max_packet_size(100000);
    send::udp_stream s(pool, {sink.endpoint()}, big);
    std::vector<std::uint8_t> data(80000, 1);
    send::heap h;
    h.add_item(0x1000, data.data(), data.size(), false);
    auto f = s.async_send_heap(h, boost::asio::use_future);
    EXPECT_EQ(error_of(f), boost::asio::error::message_size);
    send::heap small;
    small.add_item(0x1000, std::uint64_t(5));
    EXPECT_NO_THROW(s.async_send_heap(small, boost::asio::use_future).get());
}

TEST(udp_stream, multicast_on_loopback)
{
    const auto group = boost::asio::ip::make_address("239.255.7.7");
    udp_sink sink(udp::endpoint(group, 0));
    const auto lo = boost::asio::ip::make_address_v4("127.0.0.1");
    try
    {
        sink.socket.set_option(boost::asio::ip::multicast::join_group(group.to_v4(), lo));
    }
    catch (boost::system::system_error &e)
    {
        GTEST_SKIP() << "cannot join multicast on lo: " << e.what();
    }
    thread_pool pool;
    send::udp_stream s(pool, {udp::endpoint(group, sink.endpoint().port())}, send::stream_config(), 0, 1, lo);
    std::vector<std::uint8_t> data(20000, 9);
    send::heap h;
    h.add_item(0x1000, data.data(), data.size(), false);
    s.async_send_heap(h, boost::asio::use_future).get();
    s_item_pointer_t cnt = -1;
    EXPECT_EQ(sink.receive_heap(cnt), data);
}

TEST(udp_stream, nobody_listening_is_not_an_error)
{
    // Find a free port, then close it: the kernel answers with ICMP port
    // unreachable, which a connected socket would report on the next send.
    udp::endpoint target;
    {
        boost::asio::io_context io;
        udp::socket probe(io, udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
        target = probe.local_endpoint();
    }
    thread_pool pool;
    send::udp_stream s(pool, {target});
    std::vector<std::uint8_t> data(50000, 1);
    send::heap h;
    h.add_item(0x1000, data.data(), data.size(), false);
    for (int i = 0; i < 5; i++)
    {
        auto f = s.async_send_heap(h, boost::asio::use_future);
        auto ec = error_of(f);
        EXPECT_FALSE(ec) << ec.message();
        std::this_thread::sleep_for(std::chrono::milliseconds(10));  // let ICMP arrive
    }
}

TEST(send_stream, groups_round_robin_and_serial)
{
    for (auto mode : {send::group_mode::round_robin, send::group_mode::serial})
    {
        thread_pool pool;
        std::stringbuf sb;
        send::stream_config config;
        config.set_max_heaps(4);
        send::streambuf_stream s(pool, sb, config);
        std::vector<std::uint8_t> data(5000, 1);
        std::vector<send::heap> heaps(3);
        std::vector<send::heap_reference> refs;
        for (int i = 0; i < 3; i++)
        {
            heaps[i].add_item(0x1000, data.data(), data.size(), false);
            refs.emplace_back(heaps[i], 100 + i);
        }
        std::promise<std::pair<boost::system::error_code, item_pointer_t>> done;
        int calls = 0;
        s.async_send_heaps(
            refs,
            [&](const boost::system::error_code &ec, item_pointer_t bytes)
            {
                calls++;
                done.set_value({ec, bytes});
            },
            mode);
        auto [ec, bytes] = done.get_future().get();
        s.flush();
        EXPECT_FALSE(ec);
        EXPECT_EQ(calls, 1);
        EXPECT_EQ(bytes, sb.str().size());
        std::vector<s_item_pointer_t> order;
        for (const auto &p : split_packets(sb.str()))
            order.push_back(p.cnt);
        ASSERT_EQ(order.size(), 12u);  // 4 packets per heap
        if (mode == send::group_mode::round_robin)
        {
            EXPECT_EQ(order,
                      (std::vector<s_item_pointer_t>{100, 101, 102, 100, 101, 102, 100, 101, 102, 100, 101, 102}));
        }
        else
        {
            EXPECT_EQ(order,
                      (std::vector<s_item_pointer_t>{100, 100, 100, 100, 101, 101, 101, 101, 102, 102, 102, 102}));
        }
    }
}

TEST(send_stream, group_errors)
{
    boost::asio::io_context io;
    std::stringbuf sb;
    send::stream_config config;
    config.set_max_heaps(2);
    send::streambuf_stream s(io, sb, config);
    send::heap h;
    std::vector<send::heap_reference> three{{h}, {h}, {h}};
    std::vector<send::heap_reference> none;
    std::vector<send::heap_reference> bad_cnt{{h, s_item_pointer_t(1) << 40}};
    std::vector<boost::system::error_code> results;
    auto record = [&](const boost::system::error_code &ec, item_pointer_t) { results.push_back(ec); };
    s.async_send_heaps(three, record);  // more than max_heaps
    s.async_send_heaps(none, record);
    s.async_send_heaps(bad_cnt, record);
    io.run();
    ASSERT_EQ(results.size(), 3u);
    EXPECT_EQ(results[0], boost::asio::error::would_block);
    EXPECT_EQ(results[1], boost::system::errc::invalid_argument);
    EXPECT_EQ(results[2], boost::system::errc::invalid_argument);
    EXPECT_TRUE(sb.str().empty());
}

TEST(send_stream, heap_rate_overrides_the_stream_rate)
{
    thread_pool pool;
    std::stringbuf sb;
    send::stream_config config;
    config.set_burst_size(9000).set_max_packet_size(9000);  // the stream itself is unlimited
    send::streambuf_stream s(pool, sb, config);
    std::vector<std::uint8_t> data(2'000'000, 1);
    send::heap h;
    h.add_item(0x1000, data.data(), data.size(), false);
    auto start = std::chrono::steady_clock::now();
    s.async_send_heap(h, boost::asio::use_future, -1, 0, 20e6).get();
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    // As rate_limit_slows_sending, but the rate is the heap's own
    EXPECT_GE(elapsed.count(), 2e6 / (20e6 * 1.05) * 0.95);
    // A group: the heap reference carries the rate
    std::vector<send::heap_reference> refs{{h, -1, 0, 20e6}};
    start = std::chrono::steady_clock::now();
    s.async_send_heaps(refs, boost::asio::use_future).get();
    elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_GE(elapsed.count(), 2e6 / (20e6 * 1.05) * 0.95);
}

TEST(send_stream, heap_rate_zero_is_unlimited_and_nan_refused)
{
    boost::asio::io_context io;
    std::stringbuf sb;
    send::stream_config config;
    config.set_rate(1.0).set_max_packet_size(9000);  // one byte per second: nothing paced would finish
    send::streambuf_stream s(io, sb, config);
    std::vector<std::uint8_t> data(100'000, 1);
    send::heap h;
    h.add_item(0x1000, data.data(), data.size(), false);
    std::optional<boost::system::error_code> unpaced, nan;
    s.async_send_heap(
        h, [&](const boost::system::error_code &ec, item_pointer_t) { unpaced = ec; }, -1, 0, 0.0);
    EXPECT_FALSE(s.async_send_heap(
        h, [&](const boost::system::error_code &ec, item_pointer_t) { nan = ec; }, -1, 0,
        std::numeric_limits<double>::quiet_NaN()));
    // run_for: were the first heap paced at the stream's rate, this would not finish
    io.run_for(std::chrono::seconds(20));
    ASSERT_TRUE(unpaced && nan);
    EXPECT_FALSE(*unpaced);
    EXPECT_EQ(*nan, boost::system::errc::invalid_argument);
    EXPECT_GT(sb.str().size(), data.size());
}

TEST(send_stream, callbacks_learn_whether_the_heap_was_queued)
{
    boost::asio::io_context io;
    std::stringbuf sb;
    send::stream_config config;
    config.set_max_heaps(1);
    send::streambuf_stream s(io, sb, config);
    send::heap h;
    h.add_item(0x1000, std::uint64_t(1));
    int calls = 0;
    auto count = [&](const boost::system::error_code &, item_pointer_t) { calls++; };
    // spead2's completion_handler is a std::function; so may ours be
    const std::function<void(const boost::system::error_code &, item_pointer_t)> handler = count;
    EXPECT_TRUE(s.async_send_heap(h, count));
    EXPECT_FALSE(s.async_send_heap(h, handler));  // the queue holds one heap
    std::vector<send::heap_reference> refs{{h}};
    EXPECT_FALSE(s.async_send_heaps(refs, count));
    io.run();
    EXPECT_EQ(calls, 3);  // refused heaps still complete, with their error
}

TEST(send_stream, groups_from_iterators_over_heaps_or_references)
{
    thread_pool pool;
    std::stringbuf sb;
    send::stream_config config;
    config.set_max_heaps(8);
    send::streambuf_stream s(pool, sb, config);
    std::vector<send::heap> heaps(3);
    for (auto &h : heaps)
        h.add_item(0x1000, std::uint64_t(7));
    s.set_cnt_sequence(100, 1);
    s.async_send_heaps(heaps.begin(), heaps.end(), boost::asio::use_future, send::group_mode::SERIAL).get();
    std::list<send::heap_reference> refs{{heaps[0], 200}, {heaps[1], 201, 0, 0.0}};
    s.async_send_heaps(refs.begin(), refs.end(), boost::asio::use_future, send::group_mode::ROUND_ROBIN).get();
    std::vector<s_item_pointer_t> order;
    for (const auto &p : split_packets(sb.str()))
        order.push_back(p.cnt);
    EXPECT_EQ(order, (std::vector<s_item_pointer_t>{100, 101, 102, 200, 201}));
    EXPECT_EQ(send::group_mode::SERIAL, send::group_mode::serial);
    EXPECT_EQ(send::group_mode::ROUND_ROBIN, send::group_mode::round_robin);
}

namespace
{

// Records the queue positions of the heaps in each batch it is given.
class recording_transport : public send::transport
{
public:
    std::vector<std::vector<std::size_t>> batches;

    std::size_t num_substreams() const override { return 1; }

    bool transmit(send::packet_batch &batch, const std::function<void()> &) override
    {
        std::vector<std::size_t> positions;
        for (const auto &p : batch.packets)
            positions.push_back(p.heap);
        batches.push_back(std::move(positions));
        return true;
    }
};

class recording_stream : public send::stream
{
public:
    recording_transport *t;

    recording_stream(boost::asio::io_context &io, const send::stream_config &config)
        : stream(io, config, std::make_unique<recording_transport>()),
          t(&static_cast<recording_transport &>(get_transport()))
    {
    }
};

}  // anonymous namespace

TEST(send_stream, a_due_handler_ends_the_batch)
{
    // Two groups of 16 heaps of 32 KiB, queued before the writer starts,
    // would fit in one batch; the first group's handler must run before
    // any packet of the second goes to the transport, so that a sender
    // can refill the first group's memory while the second is sent.
    // Small groups (under 256 KiB) still share a batch.
    for (std::size_t heap_size : {32768, 1024})
    {
        boost::asio::io_context io;
        send::stream_config config;
        config.set_max_heaps(64);
        recording_stream s(io, config);
        std::vector<std::uint8_t> data(heap_size, 1);
        std::vector<send::heap> heaps(32);
        for (auto &h : heaps)
            h.add_item(0x1000, data.data(), data.size(), false);
        std::vector<std::size_t> batches_at_first_handler;
        int calls = 0;
        for (int g = 0; g < 2; g++)
        {
            std::vector<send::heap_reference> refs;
            for (int i = 0; i < 16; i++)
                refs.emplace_back(heaps[g * 16 + i]);
            s.async_send_heaps(
                refs,
                [&, g](const boost::system::error_code &ec, item_pointer_t)
                {
                    EXPECT_FALSE(ec);
                    calls++;
                    if (g == 0)
                        batches_at_first_handler.push_back(s.t->batches.size());
                },
                send::group_mode::serial);
        }
        io.run();
        ASSERT_EQ(calls, 2);
        ASSERT_EQ(batches_at_first_handler.size(), 1u);
        std::size_t last_of_first = 0;  // the batch holding the first group's last packet
        for (std::size_t b = 0; b < s.t->batches.size(); b++)
            for (auto pos : s.t->batches[b])
                if (pos < 16)
                    last_of_first = b;
        if (heap_size == 32768)
        {
            EXPECT_EQ(batches_at_first_handler[0], last_of_first + 1);
            for (std::size_t b = 0; b < batches_at_first_handler[0]; b++)
                for (auto pos : s.t->batches[b])
                    EXPECT_LT(pos, 16u) << "batch " << b << " took the second group along";
        }
        else
            EXPECT_EQ(s.t->batches.size(), 1u);
    }
}
