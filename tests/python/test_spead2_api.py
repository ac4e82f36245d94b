"""spead2's API as lightspead now offers it (issue 10): statistics,
host names, sockets made by the caller, in-process streams, heap reference
lists. spead2's own suite (tests/interop/spead2_suite) checks the same
against spead2's expectations; these tests pin lightspead's side of it,
including where it deliberately differs."""

import asyncio
import socket
import time

import numpy as np
import pytest

import lightspead
import lightspead.recv
import lightspead.recv.asyncio
import lightspead.send
import lightspead.send.asyncio

recv = lightspead.recv
send = lightspead.send

SPEAD2_STATS = ["heaps", "incomplete_heaps_evicted", "incomplete_heaps_flushed", "packets", "batches", "max_batch",
                "single_packet_heaps", "search_dist", "worker_blocked"]


def item_group(n=100):
    ig = send.ItemGroup()
    ig.add_item(0x1000, "values", "some values", shape=(n,), dtype=np.uint32, value=np.arange(n, dtype=np.uint32))
    return ig


def receive_all(receiver):
    out = lightspead.ItemGroup()
    for heap in receiver:
        out.update(heap)
    return out


def send_and_receive(sender, receiver, ig):
    sender.send_heap(ig.get_heap())
    sender.send_heap(ig.get_end())
    return receive_all(receiver)


def test_stats_are_spead2s_and_discards_are_apart():
    """spead2's nine statistics, exactly; lightspead's discard counters in
    discard_stats, where they add up to the packets."""
    config = recv.StreamConfig()
    assert [s.name for s in config.stats] == SPEAD2_STATS
    assert config.stats[5] == recv.StreamStatConfig("max_batch", recv.StreamStatConfig.Mode.MAXIMUM)
    assert recv.stream_stat_indices.HEAPS == 0 and recv.stream_stat_indices.WORKER_BLOCKED == 8
    assert not hasattr(recv.stream_stat_indices, "PACKETS_MALFORMED")
    for index, stat in enumerate(config.stats):
        assert getattr(recv.stream_stat_indices, stat.name.upper()) == index
    ig = item_group()
    sender = send.BytesStream(lightspead.ThreadPool())
    sender.send_heap(ig.get_heap())
    stream = recv.Stream(lightspead.ThreadPool())
    stream.add_buffer_reader(b"\x53\x04\x02\x06" + bytes(60) + sender.getvalue())  # garbage, then a heap
    assert len(list(stream)) == 1
    discards = stream.discard_stats
    assert list(discards)[:2] == ["packets_malformed", "packets_size_mismatch"]
    assert "kernel_dropped" in discards and "heaps" not in discards
    assert discards["packets_malformed"] >= 1
    packet_discards = sum(v for k, v in discards.items() if k.startswith("packets_") and k != "packets_accepted")
    assert discards["packets_accepted"] + packet_discards == stream.stats["packets"]


def test_custom_stats_in_config():
    config = recv.StreamConfig(stream_id=7)
    assert config.stream_id == 7
    base = config.next_stat_index()
    assert config.add_stat("mine") == base
    assert config.add_stat("peak", recv.StreamStatConfig.Mode.MAXIMUM) == base + 1
    assert config.get_stat_index("peak") == base + 1
    with pytest.raises(IndexError):
        config.get_stat_index("nothing")
    with pytest.raises(ValueError):
        config.add_stat("heaps")
    assert repr(config.stats[-1]) == "StreamStatConfig('peak', StreamStatConfig.Mode.MAXIMUM)"
    assert config.stats[-1].combine(3, 5) == 5 and config.stats[-2].combine(3, 5) == 8
    assert recv.StreamConfig.DEFAULT_MAX_HEAPS == recv.StreamConfig().max_heaps


def test_stream_stats_container():
    config = recv.StreamConfig()
    config.add_stat("peak", recv.StreamStatConfig.Mode.MAXIMUM)
    a = recv.Stream(lightspead.ThreadPool(), config).stats
    b = recv.Stream(lightspead.ThreadPool(), config).stats
    a.heaps = 2
    a["peak"] = 9
    b[recv.stream_stat_indices.HEAPS] = 3
    b.peak = 4
    assert (a.heaps, a["heaps"], a[0]) == (2, 2, 2)
    total = a + b
    assert (total.heaps, total.peak) == (5, 9)
    a += b
    assert (a.heaps, a.peak) == (5, 9)
    assert list(a) == [s.name for s in a.config] == a.keys()
    assert a.values()[0] == 5 and a.items()[0] == ("heaps", 5)
    assert "peak" in a and "nothing" not in a
    with pytest.raises(KeyError):
        a["nothing"]
    with pytest.raises(AttributeError):
        _ = a.nothing
    with pytest.raises(AttributeError):
        a.nothing = 1
    with pytest.raises(IndexError):
        a[1000]
    plain = recv.Stream(lightspead.ThreadPool()).stats
    with pytest.raises(ValueError):
        plain + a
    with pytest.raises(ValueError):
        plain += a


def test_host_names_resolve():
    pool = lightspead.ThreadPool()
    receiver = recv.Stream(pool)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    receiver.add_udp_reader(port, bind_hostname="localhost")
    sender = send.UdpStream(pool, [("localhost", port)], send.StreamConfig(rate=1e7))
    ig = item_group()
    assert list(send_and_receive(sender, receiver, ig)["values"].value) == list(range(100))
    with pytest.raises(OSError):
        recv.Stream(pool).add_udp_reader(0, bind_hostname="no-such-host.invalid")
    with pytest.raises(OSError):
        send.UdpStream(pool, [("no-such-host.invalid", 1)])


def test_ports_out_of_range_rejected():
    receiver = recv.Stream(lightspead.ThreadPool())
    for bad in (65536, -1):
        with pytest.raises(TypeError):
            receiver.add_udp_reader(bad)
        with pytest.raises(TypeError):
            receiver.add_tcp_reader(bad)
        with pytest.raises(TypeError):
            send.UdpStream(lightspead.ThreadPool(), [("127.0.0.1", bad)])


def test_udp_sockets_from_caller():
    pool = lightspead.ThreadPool()
    receiver = recv.Stream(pool)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as recv_sock:
        recv_sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        recv_sock.bind(("127.0.0.1", 0))
        port = recv_sock.getsockname()[1]
        receiver.add_udp_reader(socket=recv_sock)
    # Our copy closed: the stream's duplicate still receives
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as send_sock:
        sender = send.UdpStream(pool, send_sock, [("127.0.0.1", port)], send.StreamConfig(rate=1e7))
    assert list(send_and_receive(sender, receiver, item_group())["values"].value) == list(range(100))
    with pytest.raises(TypeError):
        receiver.add_udp_reader(socket="not a socket")
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as v6:
        with pytest.raises(ValueError):
            send.UdpStream(pool, v6, [("127.0.0.1", port)])


def test_tcp_sockets_from_caller():
    pool = lightspead.ThreadPool()
    receiver = recv.Stream(pool)
    with socket.socket() as acceptor:
        acceptor.bind(("127.0.0.1", 0))
        acceptor.listen(1)
        port = acceptor.getsockname()[1]
        receiver.add_tcp_reader(acceptor)
    with socket.socket() as sock:
        sock.connect(("127.0.0.1", port))
        sender = send.TcpStream(pool, sock)
    assert list(send_and_receive(sender, receiver, item_group())["values"].value) == list(range(100))


def test_inproc_queues_and_asyncio_stream():
    pool = lightspead.ThreadPool()
    queues = [lightspead.InprocQueue() for _ in range(2)]
    assert send.InprocStream(pool, queues).queues == queues
    receiver = recv.asyncio.Stream(pool)
    receiver.add_inproc_reader(queues[0])
    ig = item_group()

    async def run():
        sender = send.asyncio.InprocStream(pool, queues[:1])
        await sender.async_send_heap(ig.get_heap())
        await sender.async_send_heap(ig.get_end())

    asyncio.run(run())
    out = receive_all(receiver)      # blocking iteration works on the asyncio stream too, as with spead2
    assert list(out["values"].value) == list(range(100))


def test_heap_reference_list_len_and_slices():
    ig = item_group()
    refs = [send.HeapReference(ig.get_heap(descriptors="all", data="all"), substream_index=i) for i in range(3)]
    hrl = send.HeapReferenceList(refs)
    assert len(hrl) == 3
    assert hrl[1] is refs[1]
    tail = hrl[1:]
    assert isinstance(tail, send.HeapReferenceList) and tail.heaps == refs[1:]
    with pytest.raises(ValueError):
        hrl[1:2:0]


def test_stats_answer_while_consumer_lags():
    """The network thread blocks on a full ringbuffer; stats still answer
    and already count the wait (spead2's test_full_stop relies on it)."""
    pool = lightspead.ThreadPool(1)
    sender = send.BytesStream(pool)
    ig = item_group()
    for _ in range(10):
        sender.send_heap(ig.get_heap(data="all"))
    receiver = recv.Stream(pool, ring_config=recv.RingStreamConfig(heaps=4))
    receiver.add_buffer_reader(sender.getvalue())
    import time
    deadline = time.monotonic() + 10
    while receiver.stats.worker_blocked == 0:
        assert time.monotonic() < deadline, "worker_blocked never showed"
        time.sleep(0.001)
    receiver.stop()
    assert receiver.stats.heaps == 10 and receiver.stats.worker_blocked == 1


def test_send_config_rate_method_and_defaults():
    config = send.StreamConfig(rate=1e9, burst_rate_ratio=1.5, rate_method=send.RateMethod.SW)
    assert config.burst_rate == 1.5e9
    assert config.rate_method == send.RateMethod.SW
    config.rate_method = send.RateMethod.HW
    assert config.rate_method == send.RateMethod.HW
    default = send.StreamConfig()
    assert default.rate_method == send.StreamConfig.DEFAULT_RATE_METHOD == send.RateMethod.AUTO
    assert default.max_packet_size == send.StreamConfig.DEFAULT_MAX_PACKET_SIZE
    assert default.burst_size == send.StreamConfig.DEFAULT_BURST_SIZE
    assert default.max_heaps == send.StreamConfig.DEFAULT_MAX_HEAPS
    assert default.burst_rate_ratio == send.StreamConfig.DEFAULT_BURST_RATE_RATIO


def test_asyncio_tcp_connect():
    pool = lightspead.ThreadPool()
    receiver = recv.Stream(pool)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    receiver.add_tcp_reader(port, bind_hostname="127.0.0.1")
    ig = item_group()

    async def run():
        sender = await send.asyncio.TcpStream.connect(pool, [("localhost", port)], send.StreamConfig(),
                                                      buffer_size=1 << 20, interface_address="127.0.0.1")
        future = sender.async_send_heap(ig.get_heap())
        assert sender._active == 1
        await future
        await sender.async_send_heap(ig.get_end())
        assert sender._active == 0
        with pytest.raises(ValueError):
            await send.asyncio.TcpStream.connect(pool, [])
        with socket.socket() as unused:
            unused.bind(("127.0.0.1", 0))
            refused_port = unused.getsockname()[1]
        with pytest.raises(ConnectionRefusedError):
            await send.asyncio.TcpStream.connect(pool, [("127.0.0.1", refused_port)])

    asyncio.run(run())
    out = receive_all(receiver)
    assert list(out["values"].value) == list(range(100))


def round_trip(ig):
    pool = lightspead.ThreadPool()
    sender = send.BytesStream(pool)
    sender.send_heap(ig.get_heap())
    sender.send_heap(ig.get_end())
    receiver = recv.Stream(pool)
    receiver.add_buffer_reader(sender.getvalue())
    return receive_all(receiver)


def test_one_bit_booleans_and_byte_aligned_fields():
    ig = send.ItemGroup()
    ig.add_item(0x2345, "mixed", "bits of every kind", shape=(2,), format=[("b", 1), ("i", 7), ("c", 8), ("f", 32)],
                value=[(True, 17, b"y", 1.0), (False, -23, b"n", -1.0)])
    ig.add_item(0x2346, "fields", "byte-aligned fields", shape=(3,), format=[("f", 32), ("i", 8)],
                value=[(1.5, 1), (2.5, 2), (4.5, -4)])
    ig.add_item(0x2347, "wide_bool", "a 3-bit boolean", shape=(2,), format=[("b", 3)], value=[True, False])
    # 1 + 7 + 8 + 32 bits per element: bit-packed, most significant first
    assert bytes(ig["mixed"].to_buffer()) == b"\x91y\x3f\x80\x00\x00\x69n\xbf\x80\x00\x00"
    out = round_trip(ig)
    assert [tuple(v) for v in out["mixed"].value] == [(True, 17, b"y", 1.0), (False, -23, b"n", -1.0)]
    assert out["fields"].value.dtype == np.dtype("=f4,i1")      # a numpy structure when every field has one
    assert out["fields"].value.tolist() == [(1.5, 1), (2.5, 2), (4.5, -4)]
    assert list(out["wide_bool"].value) == [True, False]
    with pytest.raises(ValueError):
        send.ItemGroup().add_item(1, "x", "", shape=(), format=[("b", 0)])


def test_packet_generator_matches_stream_bytes():
    ig = item_group(1000)
    heap = ig.get_heap(descriptors="all", data="all")
    packets = list(send.PacketGenerator(heap, 0x1234, 1472))
    assert len(packets) > 1 and all(isinstance(p, bytes) and len(p) <= 1472 for p in packets)
    stream = send.BytesStream(lightspead.ThreadPool(), send.StreamConfig(max_packet_size=1472))
    stream.send_heap(heap, cnt=0x1234)
    assert b"".join(packets) == stream.getvalue()
    with pytest.raises(ValueError):
        send.PacketGenerator(heap, 1, 8)        # below the smallest packet
    with pytest.raises(TypeError):
        send.PacketGenerator("not a heap", 1, 1472)


def test_item_values_and_replacement():
    item = lightspead.Item(0x1000, "name", "description", (), np.int32, value=np.int32(1))
    with pytest.raises(ValueError):
        item.value = None
    with pytest.raises(UnicodeEncodeError, match="name must be ASCII"):
        lightspead.Item(0x1000, "\u0200", "description", (), np.int32)
    ig = lightspead.ItemGroup()
    first = ig.add_item(0x1000, "a", "a", (), np.int32, value=np.int32(4))
    version = first.version
    assert ig.add_item(0x1000, "a", "a", (), np.int32) is first        # same description, no value: kept
    assert first.value == 4 and first.version == version
    assert ig.add_item(0x1000, "a", "a", (), np.int32, value=np.int32(6)) is first
    assert first.value == 6 and first.version > version
    replaced = ig.add_item(0x1000, "a", "bigger", (3,), np.int32)
    assert replaced is not first and replaced.value is None and replaced.version > first.version


def test_per_heap_rate():
    """A heap's own rate paces it on an unlimited stream (and a rate of 0
    frees it on a limited one); only lower bounds are checked."""
    pool = lightspead.ThreadPool()
    data = np.ones(1_000_000, np.uint8)
    heap = send.Heap()
    heap.add_item(lightspead.Item(0x1000, "data", "", shape=data.shape, dtype=data.dtype, value=data))
    stream = send.BytesStream(pool, send.StreamConfig(max_packet_size=9000, burst_size=9000))
    start = time.monotonic()
    stream.send_heap(heap, rate=10e6)
    assert time.monotonic() - start >= 1e6 / (10e6 * 1.05) * 0.95
    start = time.monotonic()
    stream.send_heaps([send.HeapReference(heap, rate=10e6)], send.GroupMode.SERIAL)
    assert time.monotonic() - start >= 1e6 / (10e6 * 1.05) * 0.95
    slow = send.BytesStream(pool, send.StreamConfig(rate=1.0))
    slow.send_heap(heap, rate=0.0)  # at the stream's 1 B/s this would take days
    with pytest.raises(OSError):
        slow.send_heap(heap, rate=float("nan"))


def test_narrow_scalar_sent_by_reference():
    """A scalar of a narrow integer format held in a 0-d '>u8' array is
    sent by reference, as spead2 does: a heap built once sends what the
    array holds when it is sent (spead2's tutorial 11 relies on it)."""
    ig = send.ItemGroup()
    timestamps = np.zeros(2, ">u8")
    ig.add_item(0x1600, "timestamp", "", shape=(), format=[("u", 48)])
    ig["timestamp"].value = timestamps[1, ...]
    heap = ig.get_heap(descriptors="all", data="all")
    timestamps[1] = 123456789
    pool = lightspead.ThreadPool()
    sender = send.BytesStream(pool)
    sender.send_heap(heap)
    sender.send_heap(ig.get_end())
    receiver = recv.Stream(pool)
    receiver.add_buffer_reader(sender.getvalue())
    assert receive_all(receiver)["timestamp"].value == 123456789


def test_ring_config_defaults_and_payload_ranges_kept_on_request():
    config = recv.RingStreamConfig()
    assert config.heaps == recv.RingStreamConfig.DEFAULT_HEAPS
    assert config.incomplete_keep_payload_ranges is False
    config.incomplete_keep_payload_ranges = True
    assert config.incomplete_keep_payload_ranges is True
    # A heap of three packets whose middle one is lost
    pool = lightspead.ThreadPool()
    ig = item_group(1000)
    packets = list(send.PacketGenerator(ig.get_heap(descriptors="none", data="all"), 1, 1472))
    assert len(packets) == 3
    damaged = packets[0] + packets[2]
    for keep in (False, True):
        stream = recv.Stream(pool, recv.StreamConfig(allow_out_of_order=True),
                             recv.RingStreamConfig(contiguous_only=False, incomplete_keep_payload_ranges=keep))
        stream.add_buffer_reader(damaged)
        (heap,) = list(stream)
        assert isinstance(heap, recv.IncompleteHeap)
        if keep:
            first_payload = len(packets[0]) - 8 - 8 * int.from_bytes(packets[0][6:8], "big")
            assert heap.payload_ranges[0] == (0, first_payload)
            assert heap.payload_ranges[1][1] == 4000
            assert len(heap.payload_ranges) == 2
        else:
            assert heap.payload_ranges == []


def test_explicit_start_holds_readers_until_start():
    ig = item_group()
    pool = lightspead.ThreadPool()
    sender = send.BytesStream(pool)
    sender.send_heap(ig.get_heap())
    stream = recv.Stream(pool, recv.StreamConfig(explicit_start=True))
    stream.add_buffer_reader(sender.getvalue())
    with pytest.raises(lightspead.Empty):
        stream.get_nowait()  # not reading yet
    stream.start()
    heap = stream.get()
    assert heap.cnt == 1
    with pytest.raises(RuntimeError, match="after its explicit start"):
        stream.add_buffer_reader(sender.getvalue())


def test_ringbuffer_size_and_capacity_while_full():
    ig = item_group()
    pool = lightspead.ThreadPool()
    sender = send.BytesStream(pool)
    for _ in range(10):
        sender.send_heap(ig.get_heap(data="all"))
    stream = recv.Stream(pool, ring_config=recv.RingStreamConfig(heaps=4))
    assert stream.ringbuffer.capacity() == 4
    assert stream.ringbuffer.size() == 0
    stream.add_buffer_reader(sender.getvalue())
    for _ in range(2000):
        if stream.stats.worker_blocked:
            break
        time.sleep(0.005)
    assert stream.ringbuffer.size() == 4
    stream.stop()
    assert stream.ringbuffer.size() == 4  # what was queued can still be taken
    assert len(list(stream)) == 4
    assert stream.ringbuffer.size() == 0


def test_socket_errors_are_oserror_and_runtimeerror():
    """spead2 raises RuntimeError for a socket it cannot set up; lightspead
    raises the errno's OSError subclass, which is a RuntimeError too."""
    import errno
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        stream = recv.Stream(lightspead.ThreadPool())
        with pytest.raises(OSError) as info:
            stream.add_tcp_reader(port, bind_hostname="127.0.0.1")
    assert info.value.errno == errno.EADDRINUSE
    assert isinstance(info.value, RuntimeError)
    assert isinstance(info.value, OSError)
    assert type(info.value).__name__ == "OSError"  # EADDRINUSE has no subclass of its own
    with pytest.raises(RuntimeError):
        send.TcpStream(lightspead.ThreadPool(), [("127.0.0.1", port)])  # nothing listens now


def test_mmap_allocator_flags_and_pool_warning(caplog):
    import logging
    import mmap
    caplog.set_level(logging.WARNING, logger="lightspead")
    ig = item_group(1000)
    pool = lightspead.ThreadPool()
    sender = send.BytesStream(pool)
    sender.send_heap(ig.get_heap())
    for warn in (False, True):
        # An empty pool: the first heap is allocated on the network thread
        memory = lightspead.MemoryPool(0, 1 << 20, 1, 0, lightspead.MmapAllocator(mmap.MAP_POPULATE, prefer_huge=True))
        assert memory.warn_on_empty is True
        memory.warn_on_empty = warn
        assert memory.warn_on_empty is warn
        caplog.clear()
        stream = recv.Stream(pool, recv.StreamConfig(memory_allocator=memory))
        stream.add_buffer_reader(sender.getvalue())
        got = receive_all(stream)
        np.testing.assert_array_equal(got["values"].value, np.arange(1000, dtype=np.uint32))
        for _ in range(100):
            if any("pool is empty" in r.getMessage() for r in caplog.records):
                break
            time.sleep(0.01)
        assert any("pool is empty" in r.getMessage() for r in caplog.records) is warn
    # The flags reach mmap: MAP_HUGETLB (0x40000 on Linux) with a huge page
    # size of 2**31 cannot be mapped, so no heap can be allocated
    stream = recv.Stream(pool, recv.StreamConfig(memory_allocator=lightspead.MmapAllocator(0x40000 | (31 << 26))))
    stream.add_buffer_reader(sender.getvalue())
    assert list(stream) == []
    assert stream.stats.heaps == 0
    assert issubclass(lightspead.Full, Exception)
    assert lightspead.Full is not lightspead.Empty


def test_inproc_queue_add_packet():
    ig = item_group()
    queue = lightspead.InprocQueue()
    for packet in send.PacketGenerator(ig.get_heap(), 7, 1472):
        queue.add_packet(packet)
    queue.add_packet(bytearray(b"\x00" * 3))  # not a packet: counted, not fatal
    queue.stop()
    with pytest.raises(lightspead.Stopped):
        queue.add_packet(b"late")
    stream = recv.Stream(lightspead.ThreadPool())
    stream.add_inproc_reader(queue)
    heaps = list(stream)
    assert [h.cnt for h in heaps] == [7]
    got = lightspead.ItemGroup()
    got.update(heaps[0])
    np.testing.assert_array_equal(got["values"].value, np.arange(100, dtype=np.uint32))
    assert stream.stats.packets >= 2


def test_incomplete_heap_stream_control():
    pool = lightspead.ThreadPool()
    ig = item_group(1000)
    heap = ig.get_heap()
    heap.add_end()
    packets = list(send.PacketGenerator(heap, 1, 1472))
    stream = recv.Stream(pool, recv.StreamConfig(stop_on_stop_item=False),
                         recv.RingStreamConfig(contiguous_only=False))
    stream.add_buffer_reader(b"".join(packets[:-1]))  # the last packet is lost
    (got,) = list(stream)
    assert isinstance(got, recv.IncompleteHeap)
    assert got.is_end_of_stream() is True
    assert got.is_start_of_stream() is False


def test_stream_defaults_and_base_classes():
    assert recv.Stream.DEFAULT_UDP_MAX_SIZE == 9200
    assert recv.Stream.DEFAULT_UDP_BUFFER_SIZE == 32 * 1024 * 1024  # spead2: 8 MiB
    assert recv.Stream.DEFAULT_TCP_MAX_SIZE == 65536
    assert recv.Stream.DEFAULT_TCP_BUFFER_SIZE == 8 * 1024 * 1024
    assert isinstance(recv.Stream(lightspead.ThreadPool()).ringbuffer, recv.Stream.Ringbuffer)
    assert send.UdpStream.DEFAULT_BUFFER_SIZE == send.DEFAULT_BUFFER_SIZE
    assert send.TcpStream.DEFAULT_BUFFER_SIZE == 0  # the kernel's default
    pool = lightspead.ThreadPool()
    ring = recv.RingStreamConfig(heaps=7, contiguous_only=False)
    assert recv.Stream(pool, ring_config=ring).ring_config.heaps == 7
    for stream in (send.BytesStream(pool), send.UdpStream(pool, [("127.0.0.1", 9)]),
                   send.InprocStream(pool, [lightspead.InprocQueue()])):
        assert isinstance(stream, send.Stream)


def test_stats_get():
    stats = recv.Stream(lightspead.ThreadPool()).stats
    assert stats.get("heaps") == 0
    assert stats.get("not_a_stat") is None
    assert stats.get("not_a_stat", 42) == 42


def test_dynamic_shape():
    d = lightspead.Descriptor(1, "x", "", shape=(3, None), format=[("u", 8)])
    assert d.dynamic_shape(10) == (3, 3)
    assert d.dynamic_shape(2) == (3, 0)
    assert lightspead.Descriptor(2, "y", "", shape=(0, None), format=[("u", 8)]).dynamic_shape(10) == (0, 0)
    assert lightspead.Descriptor(3, "z", "", shape=(4,), dtype=np.uint8).dynamic_shape(1) == (4,)


def test_add_to_heap_and_item_group_argument_order():
    ig = send.ItemGroup(2, lightspead.Flavour(4, 64, 40, 0))  # spead2's order: descriptor_frequency, flavour
    ig.add_item(0x1000, "x", "", shape=(), format=[("u", 32)], value=5)
    heap = send.Heap(lightspead.Flavour(4, 64, 40, 0))
    assert ig.add_to_heap(heap) is heap
    with pytest.raises(ValueError):
        ig.add_to_heap(heap, descriptors="some")
    with pytest.raises(ValueError):
        ig.add_to_heap(heap, data="some")
    sender = send.BytesStream(lightspead.ThreadPool())
    sender.send_heap(heap)
    sender.send_heap(ig.get_heap())  # nothing changed, descriptor not yet due
    sender.send_heap(ig.get_heap())  # descriptor due again (every 2 heaps)
    stream = recv.Stream(lightspead.ThreadPool())
    stream.add_buffer_reader(sender.getvalue())
    heaps = list(stream)
    assert [len(h.get_descriptors()) for h in heaps] == [1, 0, 1]
    got = lightspead.ItemGroup()
    got.update(heaps[0])
    assert got["x"].value == 5
