// Zero-copy sending: the stream completes a heap only once the transport
// says the kernel has released its memory, keeps a bounded number of
// batches held, and a UDP stream falls back to copying as documented.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>  // before Boost 1.74's asio, which forgets it in C++20 mode
#include <vector>
#include <sys/mman.h>
#include <sys/socket.h>
#include <boost/asio.hpp>
#include <gtest/gtest.h>
#include <lightspead/lightspead.h>

using namespace lightspead;
using boost::asio::ip::udp;
using namespace std::chrono_literals;

namespace
{

// A transport that "sends" at once but, like the kernel with MSG_ZEROCOPY,
// keeps the memory of packets marked zerocopy until the test releases it.
class held_transport : public send::transport
{
private:
    boost::asio::io_context &io;
    std::mutex mutex;
    std::uint64_t issued = 0;    // tickets handed out
    std::uint64_t released = 0;  // tickets released by the test
    std::function<void()> resume;

public:
    std::atomic<std::size_t> transmits{0};
    std::atomic<std::size_t> zerocopy_packets{0};
    std::atomic<std::size_t> copied_packets{0};
    std::atomic<bool> cancelled{false};

    explicit held_transport(boost::asio::io_context &io) : io(io) {}

    std::size_t num_substreams() const override { return 1; }

    bool transmit(send::packet_batch &batch, const std::function<void()> &) override
    {
        transmits++;
        bool any = false;
        for (const auto &p : batch.packets)
        {
            (p.zerocopy ? zerocopy_packets : copied_packets)++;
            any = any || p.zerocopy;
        }
        if (any)
        {
            std::lock_guard<std::mutex> lock(mutex);
            batch.release_ticket = ++issued;
        }
        return true;
    }

    void cancel() override { cancelled = true; }

    bool is_released(std::uint64_t ticket) override
    {
        std::lock_guard<std::mutex> lock(mutex);
        return released >= ticket;
    }

    bool wait_release(const std::function<void()> &r) override
    {
        std::lock_guard<std::mutex> lock(mutex);
        if (released >= issued)
            return true;
        resume = r;
        return false;
    }

    // Release every ticket handed out so far; false if there was none.
    bool release_all()
    {
        std::function<void()> r;
        {
            std::lock_guard<std::mutex> lock(mutex);
            if (released == issued)
                return false;
            released = issued;
            r = std::move(resume);
            resume = nullptr;
        }
        if (r)
            boost::asio::post(io, r);
        return true;
    }

    std::uint64_t outstanding()
    {
        std::lock_guard<std::mutex> lock(mutex);
        return issued - released;
    }
};

class held_stream : public send::stream
{
public:
    held_transport *t;

    held_stream(thread_pool &pool, const send::stream_config &config, std::unique_ptr<held_transport> tr)
        : stream(pool, config, std::move(tr)), t(&static_cast<held_transport &>(get_transport()))
    {
    }
};

// Whether @a f completes within @a wait.
bool ready(std::future<item_pointer_t> &f, std::chrono::milliseconds wait = 100ms)
{
    return f.wait_for(wait) == std::future_status::ready;
}

}  // anonymous namespace

TEST(stream_config, zerocopy_settings)
{
    send::stream_config c;
    EXPECT_EQ(c.get_zerocopy(), send::zerocopy_mode::automatic);
    EXPECT_EQ(c.get_zerocopy_threshold(), 4u * 1024u * 1024u);
    c.set_zerocopy(send::zerocopy_mode::off).set_zerocopy_threshold(5);
    EXPECT_EQ(c.get_zerocopy(), send::zerocopy_mode::off);
    EXPECT_EQ(c.get_zerocopy_threshold(), 5u);
}

TEST(zerocopy, completion_waits_for_the_release)
{
    thread_pool pool;
    send::stream_config config;
    config.set_zerocopy(send::zerocopy_mode::on);
    auto s = std::make_unique<held_stream>(pool, config, std::make_unique<held_transport>(pool.get_io_context()));
    std::vector<std::uint8_t> data(10000, 7);
    send::heap h;
    h.add_item(0x1000, data.data(), data.size(), false);
    auto f = s->async_send_heap(h, boost::asio::use_future);
    EXPECT_FALSE(ready(f)) << "completed while the kernel still held the memory";
    EXPECT_GT(s->t->zerocopy_packets.load(), 0u);
    EXPECT_EQ(s->t->copied_packets.load(), 0u);
    ASSERT_TRUE(s->t->release_all());
    ASSERT_TRUE(ready(f, 5000ms));
    EXPECT_GT(f.get(), data.size());
}

TEST(zerocopy, modes_choose_the_heaps)
{
    thread_pool pool;
    std::vector<std::uint8_t> small(500, 1), large(5000, 2);
    send::heap hs, hl;
    hs.add_item(0x1000, small.data(), small.size(), false);
    hl.add_item(0x1000, large.data(), large.size(), false);

    // automatic: by payload size against the threshold
    send::stream_config config;
    config.set_zerocopy(send::zerocopy_mode::automatic).set_zerocopy_threshold(4096);
    held_stream a(pool, config, std::make_unique<held_transport>(pool.get_io_context()));
    auto fs = a.async_send_heap(hs, boost::asio::use_future);
    ASSERT_TRUE(ready(fs, 5000ms)) << "a heap below the threshold is copied and completes at once";
    EXPECT_EQ(a.t->zerocopy_packets.load(), 0u);
    auto fl = a.async_send_heap(hl, boost::asio::use_future);
    EXPECT_FALSE(ready(fl));
    EXPECT_GT(a.t->zerocopy_packets.load(), 0u);
    a.t->release_all();
    ASSERT_TRUE(ready(fl, 5000ms));

    // off: never
    config.set_zerocopy(send::zerocopy_mode::off);
    held_stream o(pool, config, std::make_unique<held_transport>(pool.get_io_context()));
    auto fo = o.async_send_heap(hl, boost::asio::use_future);
    ASSERT_TRUE(ready(fo, 5000ms));
    EXPECT_EQ(o.t->zerocopy_packets.load(), 0u);

    // on: whatever the size
    config.set_zerocopy(send::zerocopy_mode::on);
    held_stream n(pool, config, std::make_unique<held_transport>(pool.get_io_context()));
    auto fn = n.async_send_heap(hs, boost::asio::use_future);
    EXPECT_FALSE(ready(fn));
    EXPECT_GT(n.t->zerocopy_packets.load(), 0u);
    n.t->release_all();
    ASSERT_TRUE(ready(fn, 5000ms));
}

TEST(zerocopy, a_bounded_number_of_batches_is_held)
{
    thread_pool pool;
    send::stream_config config;
    config.set_zerocopy(send::zerocopy_mode::on).set_max_packet_size(128);
    held_stream s(pool, config, std::make_unique<held_transport>(pool.get_io_context()));
    // About 13000 packets of 80 payload bytes: a dozen batches of 1024.
    std::vector<std::uint8_t> data(1 << 20);
    for (std::size_t i = 0; i < data.size(); i++)
        data[i] = std::uint8_t(i);
    send::heap h;
    h.add_item(0x1000, data.data(), data.size(), false);
    auto f = s.async_send_heap(h, boost::asio::use_future);
    std::this_thread::sleep_for(200ms);
    // The writer stops once every builder is held, until the kernel releases one.
    const std::size_t before = s.t->transmits.load();
    EXPECT_GE(before, 2u);
    EXPECT_LE(before, 9u);
    EXPECT_FALSE(ready(f, 0ms));
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!ready(f, 10ms) && std::chrono::steady_clock::now() < deadline)
        s.t->release_all();
    ASSERT_TRUE(ready(f, 0ms));
    EXPECT_GT(s.t->transmits.load(), before);
    EXPECT_GT(f.get(), data.size());
}

TEST(zerocopy, stop_waits_for_sends_in_flight)
{
    thread_pool pool;
    send::stream_config config;
    config.set_zerocopy(send::zerocopy_mode::on).set_max_heaps(8).set_max_packet_size(128);
    held_stream s(pool, config, std::make_unique<held_transport>(pool.get_io_context()));
    std::vector<std::uint8_t> data(1 << 20, 3);
    send::heap h;
    h.add_item(0x1000, data.data(), data.size(), false);
    std::vector<std::future<item_pointer_t>> futures;
    for (int i = 0; i < 4; i++)
        futures.push_back(s.async_send_heap(h, boost::asio::use_future));
    std::this_thread::sleep_for(100ms);
    ASSERT_GT(s.t->outstanding(), 0u);
    auto stopping = std::async(std::launch::async, [&s] { s.stop(); });
    // stop() fails what is unsent, but a heap whose memory the kernel
    // holds does not complete, and stop() does not return, before the release.
    EXPECT_EQ(stopping.wait_for(200ms), std::future_status::timeout);
    EXPECT_TRUE(s.t->cancelled.load());
    for (auto &f : futures)
        EXPECT_FALSE(ready(f, 0ms));
    s.t->release_all();
    ASSERT_EQ(stopping.wait_for(5s), std::future_status::ready);
    for (auto &f : futures)
    {
        ASSERT_TRUE(ready(f, 0ms));
        try
        {
            f.get();
        }
        catch (boost::system::system_error &e)
        {
            EXPECT_EQ(e.code(), boost::asio::error::operation_aborted);
        }
    }
    EXPECT_EQ(s.t->outstanding(), 0u);
}

namespace
{

// Receives the heap a UDP stream sends to it, over loopback.
class loopback_sink
{
public:
    boost::asio::io_context io;
    udp::socket socket;

    explicit loopback_sink(const char *address) : socket(io, udp::endpoint(boost::asio::ip::make_address(address), 0))
    {
        int size = 64 << 20;  // as root, beyond rmem_max
        setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
        timeval tv{5, 0};
        setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    }

    // The payload of the next heap (packets in order, as loopback keeps them).
    std::vector<std::uint8_t> receive_heap()
    {
        std::vector<std::uint8_t> payload;
        std::vector<std::uint8_t> buf(65536);
        s_item_pointer_t length = -1;
        while (length < 0 || payload.size() < std::size_t(length))
        {
            const ssize_t n = ::recv(socket.native_handle(), buf.data(), buf.size(), 0);
            if (n < 0)
            {
                ADD_FAILURE() << "timed out waiting for packets";
                break;
            }
            auto r = decode_packet(buf.data(), n);
            if (!r)
            {
                ADD_FAILURE() << to_string(r.status);
                break;
            }
            length = r.packet.heap_length;
            payload.insert(payload.end(), r.packet.payload, r.packet.payload + r.packet.payload_length);
        }
        return payload;
    }
};

// Queues @a h 16 times, stops @a s once the first is out, and checks that
// every heap completed before stop() returned, sent or aborted.
void stop_with_sends_in_flight(send::udp_stream &s, const send::heap &h)
{
    std::vector<std::future<item_pointer_t>> futures;
    for (int i = 0; i < 16; i++)
        futures.push_back(s.async_send_heap(h, boost::asio::use_future));
    // Stop once some heaps are out and others are still going.
    ASSERT_TRUE(ready(futures[0], 5000ms));
    s.stop();
    for (auto &f : futures)
    {
        ASSERT_TRUE(ready(f, 0ms)) << "stop() returned before every heap completed";
        try
        {
            EXPECT_GT(f.get(), 0u);
        }
        catch (boost::system::system_error &e)
        {
            EXPECT_EQ(e.code(), boost::asio::error::operation_aborted);
        }
    }
}

// Sends one heap of @a size bytes at @a data and checks what arrives.
void send_and_compare(send::udp_stream &s, loopback_sink &sink, const std::uint8_t *data, std::size_t size, int round)
{
    send::heap h;
    h.add_item(0x1000, data, size, false);
    auto f = s.async_send_heap(h, boost::asio::use_future);
    const auto payload = sink.receive_heap();
    ASSERT_TRUE(ready(f, 5000ms));
    EXPECT_GT(f.get(), size);
    ASSERT_EQ(payload.size(), size);
    EXPECT_TRUE(std::equal(payload.begin(), payload.end(), data)) << "round " << round;
}

void zerocopy_round_trip(const char *address, send::zerocopy_mode mode, bool huge)
{
    loopback_sink sink(address);
    thread_pool pool;
    send::stream_config config;
    config.set_max_packet_size(9000).set_zerocopy(mode).set_zerocopy_threshold(100000);
    send::udp_stream s(pool, {sink.socket.local_endpoint()}, config);
    EXPECT_EQ(s.is_zerocopy_active(), mode != send::zerocopy_mode::off);
    const std::size_t size = 3 << 20;
    auto allocator = std::make_shared<mmap_allocator>(0, huge);
    auto data = allocator->allocate(size);
    for (int round = 0; round < 2; round++)
    {
        for (std::size_t i = 0; i < size; i++)
            data[i] = std::uint8_t(i * 13 + round);
        send_and_compare(s, sink, data.get(), size, round);
    }
    switch (mode)
    {
    case send::zerocopy_mode::off:
        EXPECT_EQ(s.get_zerocopy_copied(), 0u);
        break;
    case send::zerocopy_mode::on:
        // Loopback delivers by copying, and says so; "on" carries on regardless.
        EXPECT_GT(s.get_zerocopy_copied(), 0u);
        EXPECT_TRUE(s.is_zerocopy_active());
        break;
    case send::zerocopy_mode::automatic:
        // Loopback says at once that it copied: one send, then copying
        EXPECT_EQ(s.get_zerocopy_copied(), 1u);
        EXPECT_FALSE(s.is_zerocopy_active()) << "automatic mode must fall back to copying";
        break;
    }
}

}  // anonymous namespace

TEST(udp_zerocopy, on_over_loopback)
{
    zerocopy_round_trip("127.0.0.1", send::zerocopy_mode::on, false);
    zerocopy_round_trip("127.0.0.1", send::zerocopy_mode::on, true);
}

TEST(udp_zerocopy, automatic_falls_back_when_the_kernel_copies)
{
    zerocopy_round_trip("127.0.0.1", send::zerocopy_mode::automatic, true);
}

TEST(udp_zerocopy, small_sends_are_copied)
{
    // Heaps of 16 KiB are one message of two packets (under 24 KiB): even
    // with zerocopy_mode::on they are copied, so the kernel never reports
    // a zero-copy send (over loopback it would report each as copied).
    loopback_sink sink("127.0.0.1");
    thread_pool pool;
    send::stream_config config;
    config.set_max_packet_size(9000).set_zerocopy(send::zerocopy_mode::on);
    send::udp_stream s(pool, {sink.socket.local_endpoint()}, config);
    const std::size_t size = 16 * 1024;
    auto data = std::make_shared<mmap_allocator>(MAP_POPULATE, true)->allocate(size);
    for (int round = 0; round < 3; round++)
    {
        std::fill(data.get(), data.get() + size, std::uint8_t(round + 1));
        send_and_compare(s, sink, data.get(), size, round);
    }
    s.flush();
    EXPECT_EQ(s.get_zerocopy_copied(), 0u);
    EXPECT_TRUE(s.is_zerocopy_active());
}

TEST(udp_zerocopy, off_never_asks)
{
    zerocopy_round_trip("127.0.0.1", send::zerocopy_mode::off, true);
}

TEST(udp_zerocopy, ipv6)
{
    try
    {
        loopback_sink probe("::1");
    }
    catch (boost::system::system_error &)
    {
        GTEST_SKIP() << "no IPv6 loopback on this machine";
    }
    zerocopy_round_trip("::1", send::zerocopy_mode::on, true);
}

TEST(udp_zerocopy, stop_with_sends_in_flight)
{
    // Nobody reads the sink: its buffer fills and the kernel drops the
    // rest, releasing the memory as it goes.
    loopback_sink sink("127.0.0.1");
    thread_pool pool;
    send::stream_config config;
    config.set_max_packet_size(9000).set_zerocopy(send::zerocopy_mode::on).set_max_heaps(16);
    auto allocator = std::make_shared<mmap_allocator>(0, true);
    auto data = allocator->allocate(4 << 20);
    std::fill(data.get(), data.get() + (4 << 20), 5);
    send::heap h;
    h.add_item(0x1000, data.get(), 4 << 20, false);
    auto s = std::make_unique<send::udp_stream>(pool, std::vector<udp::endpoint>{sink.socket.local_endpoint()}, config);
    stop_with_sends_in_flight(*s, h);
    s.reset();  // and the memory may go now
    data.reset();
}

namespace
{

// A UDP stream over loopback whose config carries @a allocator.
std::unique_ptr<send::udp_stream> registered_stream(thread_pool &pool, loopback_sink &sink,
                                                    std::shared_ptr<send::registered_allocator> allocator,
                                                    send::zerocopy_mode mode = send::zerocopy_mode::on)
{
    send::stream_config config;
    config.set_max_packet_size(9000)
        .set_zerocopy(mode)
        .set_zerocopy_threshold(100000)
        .set_max_heaps(16)
        .set_registered_allocator(std::move(allocator));
    return std::make_unique<send::udp_stream>(pool, std::vector<udp::endpoint>{sink.socket.local_endpoint()}, config);
}

}  // anonymous namespace

TEST(udp_registered, heaps_in_the_region_go_from_registered_buffers)
{
    loopback_sink sink("127.0.0.1");
    thread_pool pool;
    auto allocator = std::make_shared<send::registered_allocator>(8 << 20);
    auto s = registered_stream(pool, sink, allocator);
    ASSERT_TRUE(s->is_registered_active()) << "io_uring with registered buffers is expected on this kernel";
    const std::size_t size = 3 << 20;
    auto data = allocator->allocate(size);
    for (int round = 0; round < 3; round++)
    {
        for (std::size_t i = 0; i < size; i++)
            data[i] = std::uint8_t(i * 7 + round);
        send_and_compare(*s, sink, data.get(), size, round);
    }
    EXPECT_GT(s->get_registered_sends(), 0u);
    // Loopback delivers by copying and says so; "on" carries on regardless.
    EXPECT_GT(s->get_zerocopy_copied(), 0u);
    EXPECT_TRUE(s->is_registered_active());
}

TEST(udp_registered, many_heaps_arrive_in_order)
{
    loopback_sink sink("127.0.0.1");
    thread_pool pool;
    auto allocator = std::make_shared<send::registered_allocator>(4 << 20);
    auto s = registered_stream(pool, sink, allocator);
    // 16 heaps of 64 KiB in flight at once, each with its own content,
    // several rounds over the same memory: a heap's memory is written
    // again only after its completion.
    const std::size_t size = 64 * 1024;
    const int heaps = 16;
    auto data = allocator->allocate(size * heaps);
    for (int round = 0; round < 4; round++)
    {
        std::vector<std::future<item_pointer_t>> futures;
        std::vector<send::heap> hs(heaps);
        for (int j = 0; j < heaps; j++)
        {
            std::fill(data.get() + j * size, data.get() + (j + 1) * size, std::uint8_t(round * heaps + j));
            hs[j].add_item(0x1000, data.get() + j * size, size, false);
            futures.push_back(s->async_send_heap(hs[j], boost::asio::use_future));
        }
        for (int j = 0; j < heaps; j++)
        {
            const auto payload = sink.receive_heap();
            ASSERT_EQ(payload.size(), size);
            EXPECT_TRUE(std::all_of(payload.begin(), payload.end(),
                                    [&](std::uint8_t b) { return b == std::uint8_t(round * heaps + j); }))
                << "round " << round << " heap " << j;
        }
        for (auto &f : futures)
        {
            ASSERT_TRUE(ready(f, 5000ms));
            EXPECT_GT(f.get(), size);
        }
    }
    EXPECT_GE(s->get_registered_sends(), 4u * heaps);
}

TEST(udp_registered, automatic_falls_back_when_the_kernel_copies)
{
    loopback_sink sink("127.0.0.1");
    thread_pool pool;
    auto allocator = std::make_shared<send::registered_allocator>(8 << 20);
    auto s = registered_stream(pool, sink, allocator, send::zerocopy_mode::automatic);
    ASSERT_TRUE(s->is_registered_active());
    const std::size_t size = 3 << 20;
    auto data = allocator->allocate(size);
    for (int round = 0; round < 2; round++)
    {
        std::fill(data.get(), data.get() + size, std::uint8_t(round + 3));
        send_and_compare(*s, sink, data.get(), size, round);
    }
    s->flush();
    // Loopback says at once that it copied: one send, then copying
    EXPECT_EQ(s->get_registered_sends(), 1u);
    EXPECT_EQ(s->get_zerocopy_copied(), 1u);
    EXPECT_FALSE(s->is_zerocopy_active()) << "automatic mode must fall back to copying";
    EXPECT_FALSE(s->is_registered_active());
}

TEST(udp_registered, memory_outside_the_region_goes_with_msg_zerocopy)
{
    loopback_sink sink("127.0.0.1");
    thread_pool pool;
    auto allocator = std::make_shared<send::registered_allocator>(1 << 20);
    auto s = registered_stream(pool, sink, allocator);
    const std::size_t size = 3 << 20;
    auto outside = std::make_shared<mmap_allocator>(MAP_POPULATE, true)->allocate(size);
    for (std::size_t i = 0; i < size; i++)
        outside[i] = std::uint8_t(i * 11);
    send_and_compare(*s, sink, outside.get(), size, 0);
    s->flush();
    EXPECT_EQ(s->get_registered_sends(), 0u);
    EXPECT_GT(s->get_zerocopy_copied(), 0u) << "the heap should have gone with MSG_ZEROCOPY";
}

TEST(udp_registered, a_packet_partly_outside_the_region_arrives_whole)
{
    loopback_sink sink("127.0.0.1");
    thread_pool pool;
    auto allocator = std::make_shared<send::registered_allocator>(1 << 20);
    auto s = registered_stream(pool, sink, allocator);
    // Two items per packet: one in the region, one outside it.
    const std::size_t half = 4000;
    const int heaps = 16;  // a heap a packet: messages of several packets
    auto inside = allocator->allocate(half);
    auto outside = std::make_shared<mmap_allocator>(MAP_POPULATE, true)->allocate(half);
    std::fill(inside.get(), inside.get() + half, 1);
    std::fill(outside.get(), outside.get() + half, 2);
    std::vector<send::heap> hs(heaps);
    std::vector<std::future<item_pointer_t>> futures;
    for (auto &h : hs)
    {
        h.add_item(0x1000, inside.get(), half, false);
        h.add_item(0x1001, outside.get(), half, false);
        futures.push_back(s->async_send_heap(h, boost::asio::use_future));
    }
    for (int j = 0; j < heaps; j++)
    {
        const auto payload = sink.receive_heap();
        ASSERT_EQ(payload.size(), 2 * half);
        EXPECT_TRUE(std::all_of(payload.begin(), payload.begin() + half, [](std::uint8_t b) { return b == 1; }));
        EXPECT_TRUE(std::all_of(payload.begin() + half, payload.end(), [](std::uint8_t b) { return b == 2; }));
    }
    for (auto &f : futures)
        ASSERT_TRUE(ready(f, 5000ms));
    EXPECT_EQ(s->get_registered_sends(), 0u);
}

TEST(udp_registered, streams_without_header_space_still_send)
{
    loopback_sink sink("127.0.0.1");
    thread_pool pool;
    auto allocator = std::make_shared<send::registered_allocator>(8 << 20);
    // Another user has taken all of the header space.
    std::vector<memory_allocator::pointer> taken;
    while (auto h = allocator->allocate_headers(4096))
        taken.push_back(std::move(h));
    auto s = registered_stream(pool, sink, allocator);
    const std::size_t size = 3 << 20;
    auto data = allocator->allocate(size);
    for (std::size_t i = 0; i < size; i++)
        data[i] = std::uint8_t(i * 5);
    send_and_compare(*s, sink, data.get(), size, 0);
    s->flush();
    EXPECT_EQ(s->get_registered_sends(), 0u) << "headers outside the region cannot go from a registered buffer";
    EXPECT_GT(s->get_zerocopy_copied(), 0u);
}

TEST(udp_registered, off_never_registers)
{
    loopback_sink sink("127.0.0.1");
    thread_pool pool;
    auto allocator = std::make_shared<send::registered_allocator>(8 << 20);
    auto s = registered_stream(pool, sink, allocator, send::zerocopy_mode::off);
    EXPECT_FALSE(s->is_registered_active());
    const std::size_t size = 3 << 20;
    auto data = allocator->allocate(size);
    std::fill(data.get(), data.get() + size, 9);
    send_and_compare(*s, sink, data.get(), size, 0);
    EXPECT_EQ(s->get_registered_sends(), 0u);
    EXPECT_EQ(s->get_zerocopy_copied(), 0u);
}

TEST(udp_registered, stop_with_sends_in_flight)
{
    // Nobody reads the sink: its buffer fills and the kernel drops the
    // rest, releasing the memory as it goes.
    loopback_sink sink("127.0.0.1");
    thread_pool pool;
    auto allocator = std::make_shared<send::registered_allocator>(4 << 20);
    auto data = allocator->allocate(4 << 20);
    std::fill(data.get(), data.get() + (4 << 20), 5);
    send::heap h;
    h.add_item(0x1000, data.get(), 4 << 20, false);
    auto s = registered_stream(pool, sink, allocator);
    stop_with_sends_in_flight(*s, h);
    EXPECT_GT(s->get_registered_sends(), 0u);
    s.reset();
    data.reset();
}
