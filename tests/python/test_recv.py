"""The Python receive API: streams over memory, in-process queues and UDP,
heaps and raw items, item groups updated from heaps, statistics."""

import socket

import numpy as np
import pytest

import lightspead
import lightspead.recv
import lightspead.send


def make_group(flavour=None):
    ig = lightspead.send.ItemGroup(flavour=flavour)
    ig.add_item(0x1600, "timestamp", "ts", shape=(), format=[("u", 40)])
    ig.add_item(0x3300, "adc", "samples", shape=(1000,), dtype=np.int8)
    ig.add_item(0x3301, "label", "a string", shape=(None,), format=[("c", 8)])
    ig.add_item(0x3302, "counts", "u16 format", shape=(2, 3), format=[("u", 16)])
    ig.add_item(0x3303, "grid", "Fortran float32", shape=(2, 3), dtype=np.float32, order="F")
    ig.add_item(0x3304, "big", "big-endian dtype", shape=(3,), dtype=">i4")
    ig.add_item(0x3305, "signed", "i24", shape=(2,), format=[("i", 24)])
    ig.add_item(0x3306, "var", "variable rows", shape=(None, 2), format=[("u", 16)])
    return ig


def values(i):
    rng = np.random.default_rng(i)
    return {
        "timestamp": i * 1000,
        "adc": rng.integers(-128, 128, 1000, dtype=np.int8),
        "label": f"heap {i}",
        "counts": np.arange(6).reshape(2, 3) + i,
        "grid": rng.standard_normal((2, 3)).astype(np.float32),
        "big": np.array([1, -2, 3 + i], ">i4"),
        "signed": [-i - 1, i],
        "var": np.arange(2 * (i + 1), dtype=np.uint16).reshape(i + 1, 2),
    }


def sent_bytes(n_heaps, flavour=None):
    ig = make_group(flavour)
    pool = lightspead.ThreadPool()
    stream = lightspead.send.BytesStream(pool)
    for i in range(n_heaps):
        for name, value in values(i).items():
            ig[name].value = value
        stream.send_heap(ig.get_heap())
    stream.send_heap(ig.get_end())
    return stream.getvalue()


def check_values(ig, i):
    expected = values(i)
    assert ig["timestamp"].value == expected["timestamp"]
    np.testing.assert_array_equal(ig["adc"].value, expected["adc"])
    assert ig["label"].value == expected["label"]
    np.testing.assert_array_equal(ig["counts"].value, expected["counts"])
    np.testing.assert_array_equal(ig["grid"].value, expected["grid"])
    assert ig["grid"].value.shape == (2, 3)
    np.testing.assert_array_equal(ig["big"].value, expected["big"])
    assert ig["big"].value.dtype.isnative       # new_order '=' converts
    np.testing.assert_array_equal(ig["signed"].value, expected["signed"])
    np.testing.assert_array_equal(ig["var"].value, expected["var"])


@pytest.mark.parametrize("bits", [40, 48])
def test_buffer_reader_round_trip(bits):
    flavour = lightspead.Flavour(4, 64, bits, 0)
    pool = lightspead.ThreadPool()
    stream = lightspead.recv.Stream(pool, lightspead.recv.StreamConfig(max_heaps=4))
    stream.add_buffer_reader(sent_bytes(5, flavour))
    ig = lightspead.ItemGroup()
    heaps = list(stream)
    assert len(heaps) == 5
    for i, heap in enumerate(heaps):
        assert heap.cnt == i + 1
        assert heap.flavour.heap_address_bits == bits
        updated = ig.update(heap)
        assert set(updated) == set(values(i))
        check_values(ig, i)
    assert ig["timestamp"].description == "ts"
    assert ig["adc"].dtype == np.int8
    stats = stream.stats
    assert stats["heaps"] == 5 and stream.discard_stats["packets_malformed"] == 0
    assert len(stats) == len(stats.keys())


def test_raw_items_and_buffer_protocol():
    pool = lightspead.ThreadPool()
    stream = lightspead.recv.Stream(pool)
    stream.add_buffer_reader(sent_bytes(1))
    heap = stream.get()
    items = {item.id: item for item in heap.get_items()}
    assert items[0x1600].is_immediate and items[0x1600].immediate_value == 0
    adc = items[0x3300]
    assert not adc.is_immediate and len(adc) == 1000
    assert bytes(memoryview(adc)) == values(0)["adc"].tobytes()
    del heap, items     # the view keeps the heap's memory alive
    view = np.frombuffer(adc, np.int8)
    np.testing.assert_array_equal(view, values(0)["adc"])
    with pytest.raises(lightspead.Stopped):
        stream.get()


def test_descriptors_from_heap():
    pool = lightspead.ThreadPool()
    stream = lightspead.recv.Stream(pool)
    stream.add_buffer_reader(sent_bytes(1))
    heap = stream.get()
    raw = {d[0]: d for d in heap.get_descriptors()}
    assert set(raw) == {0x1600, 0x3300, 0x3301, 0x3302, 0x3303, 0x3304, 0x3305, 0x3306}
    adc = lightspead.Descriptor.from_raw(raw[0x3300], heap.flavour)
    assert (adc.name, adc.shape, adc.dtype) == ("adc", (1000,), np.int8)
    var = lightspead.Descriptor.from_raw(raw[0x3306], heap.flavour)
    assert var.shape == (None, 2)


@pytest.mark.parametrize("header", [
    b"not python",
    b"{'descr': '<i4', 'fortran_order': False}",
    b"{'descr': '<i4', 'fortran_order': 'no', 'shape': (1,)}",
    b"{'descr': 'nonsense', 'fortran_order': False, 'shape': (1,)}",
    b"{'descr': '<i4', 'fortran_order': False, 'shape': (1,), 'extra': 1}",
    b"__import__('os')",
])
def test_bad_numpy_headers_are_rejected(header):
    with pytest.raises(ValueError):
        lightspead.Descriptor.from_raw((0x1000, b"x", b"", [], [1], header), lightspead.Flavour())


class _RawValue(bytes):
    """Stands in for a received RawItem."""
    is_immediate = False


def test_subarray_dtype_joins_the_shape():
    # '<8f' is a subarray dtype (8 float32s): numpy folds it into the shape
    d = lightspead.Descriptor.from_raw(
        (0x1000, b"x", b"", [], [], b"{'descr': '<8f', 'fortran_order': False, 'shape': (2,)}"),
        lightspead.Flavour())
    assert d.dtype == np.dtype("<f4") and d.shape == (2, 8)
    again = lightspead.Descriptor.from_raw([f.encode() if isinstance(f, str) else f for f in d.to_raw()],
                                           lightspead.Flavour())
    assert again.dtype == d.dtype and again.shape == d.shape
    with pytest.raises(ValueError, match="order 'C'"):
        lightspead.Descriptor(0x1000, "x", "", (2,), dtype=("<f4", (8,)), order="F")


def test_invalid_code_points_are_rejected():
    item = lightspead.Item(0x1000, "text", "", (), dtype=">U1")
    with pytest.raises(ValueError, match="unicode"):
        item.set_from_raw(_RawValue(b"\x7f\xff\xff\xff"))
    item.set_from_raw(_RawValue(b"\x00\x00\x00A"))
    assert item.value == "A"


def test_variable_size_immediate_takes_all_its_bytes():
    item = lightspead.Item(0x1000, "bytes", "", (None,), format=[("u", 8)])
    raw = _RawValue(bytes([0, 0, 1, 2, 3]))
    raw.is_immediate = True
    item.set_from_raw(raw)
    assert list(item.value) == [0, 0, 1, 2, 3]


def test_replacement_keeps_value_when_description_unchanged():
    ig = lightspead.ItemGroup()
    pool = lightspead.ThreadPool()
    stream = lightspead.recv.Stream(pool)
    stream.add_buffer_reader(sent_bytes(2))
    first = stream.get()
    ig.update(first)
    item = ig["adc"]
    ig.update(first)     # the same descriptors again
    assert ig["adc"] is item


def test_inproc_and_stop():
    pool = lightspead.ThreadPool()
    queue = lightspead.InprocQueue()
    recv_stream = lightspead.recv.Stream(pool)
    recv_stream.add_inproc_reader(queue)
    send_stream = lightspead.send.InprocStream(pool, [queue])
    ig = make_group()
    for name, value in values(3).items():
        ig[name].value = value
    send_stream.send_heap(ig.get_heap())
    received = lightspead.ItemGroup()
    received.update(recv_stream.get())
    check_values(received, 3)
    with pytest.raises(lightspead.Empty):
        recv_stream.get_nowait()
    recv_stream.stop()
    with pytest.raises(lightspead.Stopped):
        recv_stream.get()


def test_get_items_leaves_descriptors_out():
    # As spead2's: its docstring said so, but the descriptor item (ID 5)
    # was among them. A stream-control item stays, as in spead2.
    ig = lightspead.send.ItemGroup()
    ig.add_item(0x1000, "x", "", shape=(3,), dtype=np.uint8, value=np.arange(3, dtype=np.uint8))
    pool = lightspead.ThreadPool()
    out = lightspead.send.BytesStream(pool)
    out.send_heap(ig.get_heap(descriptors="all"))
    out.send_heap(ig.get_end())
    stream = lightspead.recv.Stream(pool, lightspead.recv.StreamConfig(stop_on_stop_item=False))
    stream.add_buffer_reader(out.getvalue())
    heaps = list(stream)
    assert [item.id for item in heaps[0].get_items()] == [0x1000]
    assert len(heaps[0].get_descriptors()) == 1
    assert [item.id for item in heaps[1].get_items()] == [lightspead.STREAM_CTRL_ID]


def test_memory_allocator_none_means_the_default():
    # As its docstring says; it raised TypeError
    config = lightspead.recv.StreamConfig(memory_allocator=lightspead.MemoryPool(0, 65536, 8, 8))
    config.memory_allocator = None
    assert type(config.memory_allocator) is lightspead.MemoryAllocator
    assert type(lightspead.recv.StreamConfig(memory_allocator=None).memory_allocator) is lightspead.MemoryAllocator


def test_udp_reader_and_memory_pool():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    pool = lightspead.ThreadPool()
    config = lightspead.recv.StreamConfig(max_heaps=2,
                                          memory_allocator=lightspead.MemoryPool(0, 65536, 8, 8))
    stream = lightspead.recv.Stream(pool, config, lightspead.recv.RingStreamConfig(heaps=8))
    stream.add_udp_reader(port, bind_hostname="127.0.0.1")
    sender = lightspead.send.UdpStream(pool, [("127.0.0.1", port)],
                                       lightspead.send.StreamConfig(rate=50e6))
    ig = make_group()
    for i in range(4):
        for name, value in values(i).items():
            ig[name].value = value
        sender.send_heap(ig.get_heap())
    sender.send_heap(ig.get_end())
    received = lightspead.ItemGroup()
    for i, heap in enumerate(stream):
        received.update(heap)
        check_values(received, i)
    assert stream.stats["heaps"] == 4


def test_config_validation():
    with pytest.raises(ValueError):
        lightspead.recv.StreamConfig(max_heaps=0)
    with pytest.raises(ValueError):
        lightspead.recv.StreamConfig(bug_compat=8)
    with pytest.raises(ValueError):
        lightspead.recv.RingStreamConfig(heaps=0)
    with pytest.raises(ValueError):
        lightspead.MemoryPool(10, 5, 1, 0)
    config = lightspead.recv.StreamConfig(allow_out_of_order=True, max_heap_size=1 << 20)
    assert config.allow_out_of_order and config.max_heap_size == 1 << 20
    with pytest.raises(ValueError):
        lightspead.recv.StreamConfig(memcpy=7)


def test_config_memcpy_default_and_choice():
    # Unset reads as MEMCPY_STD (spead2's default); chunk streams then choose by chunk size.
    assert lightspead.recv.StreamConfig().memcpy == lightspead.MEMCPY_STD
    assert lightspead.recv.StreamConfig(memcpy=None).memcpy == lightspead.MEMCPY_STD
    config = lightspead.recv.StreamConfig(memcpy=lightspead.MEMCPY_NONTEMPORAL)
    assert config.memcpy == lightspead.MEMCPY_NONTEMPORAL
    config.memcpy = lightspead.MEMCPY_STD
    assert config.memcpy == lightspead.MEMCPY_STD


def test_asyncio_receive():
    import asyncio
    import lightspead.recv.asyncio

    async def main():
        pool = lightspead.ThreadPool()
        queue = lightspead.InprocQueue()
        stream = lightspead.recv.asyncio.Stream(pool)
        stream.add_inproc_reader(queue)
        sender = lightspead.send.InprocStream(pool, [queue])
        ig = make_group()

        async def produce():
            for i in range(6):
                await asyncio.sleep(0.01)       # the consumer is waiting by now
                for name, value in values(i).items():
                    ig[name].value = value
                sender.send_heap(ig.get_heap())
            sender.send_heap(ig.get_end())

        producer = asyncio.ensure_future(produce())
        received = lightspead.ItemGroup()
        n = 0
        async for heap in stream:
            received.update(heap)
            check_values(received, n)
            n += 1
        await producer
        return n

    assert asyncio.run(main()) == 6


def test_tcp_round_trip():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    pool = lightspead.ThreadPool()
    stream = lightspead.recv.Stream(pool)
    stream.add_tcp_reader(port, bind_hostname="127.0.0.1")
    sender = lightspead.send.TcpStream(pool, [("127.0.0.1", port)])
    ig = make_group()
    for i in range(3):
        for name, value in values(i).items():
            ig[name].value = value
        sender.send_heap(ig.get_heap())
    del sender          # closing the connection ends the stream
    received = lightspead.ItemGroup()
    n = 0
    for i, heap in enumerate(stream):
        received.update(heap)
        check_values(received, i)
        n += 1
    assert n == 3
    with pytest.raises(ConnectionRefusedError):
        lightspead.send.TcpStream(pool, [("127.0.0.1", port)])
    with pytest.raises(ValueError):
        lightspead.send.TcpStream(pool, [])


def test_stats_access():
    pool = lightspead.ThreadPool()
    stream = lightspead.recv.Stream(pool)
    stream.add_buffer_reader(sent_bytes(2))
    list(stream)
    stats = stream.stats
    assert stats["heaps"] == 2 and stats[0] == 2       # by name and by index
    assert "heaps" in stats and "nope" not in stats
    assert dict(stats.items())["heaps"] == 2
    assert len(stats.values()) == len(stats.keys()) == len(stats)
    with pytest.raises(KeyError):
        stats["nope"]
    with pytest.raises(IndexError):
        stats[len(stats)]


def test_parse_range_list():
    assert lightspead.parse_range_list("") == []
    assert lightspead.parse_range_list("0-3,6") == [0, 1, 2, 3, 6]
    assert lightspead.parse_range_list("5") == [5]
    for bad in ["a", "3-1", "1-", "1,,2"]:
        with pytest.raises(ValueError):
            lightspead.parse_range_list(bad)


def test_incomplete_heaps_when_asked_for():
    data = sent_bytes(2)
    # Drop the second packet: heap 1 cannot complete
    import struct
    sizes = []
    pos = 0
    while pos < len(data):
        n = struct.unpack(">H", data[pos + 6:pos + 8])[0]
        pointers = [struct.unpack(">Q", data[pos + 8 + 8 * k:pos + 16 + 8 * k])[0] for k in range(n)]
        length = next(p & ((1 << 40) - 1) for p in pointers if (p >> 40) & 0x7FFFFF == 4 and p >> 63)
        sizes.append(8 + 8 * n + length)
        pos += sizes[-1]
    damaged = data[:sizes[0]] + data[sizes[0] + sizes[1]:]
    pool = lightspead.ThreadPool()
    stream = lightspead.recv.Stream(pool, lightspead.recv.StreamConfig(),
                                    lightspead.recv.RingStreamConfig(contiguous_only=False,
                                                                     incomplete_keep_payload_ranges=True))
    stream.add_buffer_reader(damaged)
    heaps = list(stream)
    kinds = [type(h).__name__ for h in heaps]
    assert "IncompleteHeap" in kinds and "Heap" in kinds
    incomplete = next(h for h in heaps if isinstance(h, lightspead.recv.IncompleteHeap))
    assert incomplete.cnt == 1
    assert 0 < incomplete.received_length < incomplete.heap_length
    assert incomplete.payload_ranges[0][0] == 0  # (start, end) pairs
    assert incomplete.payload_ranges[-1][1] <= incomplete.heap_length
    assert sum(end - start for start, end in incomplete.payload_ranges) == incomplete.received_length
    assert {item.id for item in incomplete.get_items()} >= {0x1600}
    # With contiguous_only (the default) only complete heaps come out
    plain = lightspead.recv.Stream(pool)
    plain.add_buffer_reader(damaged)
    assert all(isinstance(h, lightspead.recv.Heap) for h in plain)


def test_udp_pcap_file_reader(tmp_path):
    import struct
    data = sent_bytes(2)
    # Split into packets, wrap each in Ethernet/IPv4/UDP, write a pcap file
    frames = []
    pos = 0
    while pos < len(data):
        n = struct.unpack(">H", data[pos + 6:pos + 8])[0]
        pointers = [struct.unpack(">Q", data[pos + 8 + 8 * k:pos + 16 + 8 * k])[0] for k in range(n)]
        length = next(p & ((1 << 40) - 1) for p in pointers if (p >> 40) & 0x7FFFFF == 4 and p >> 63)
        packet = data[pos:pos + 8 + 8 * n + length]
        pos += len(packet)
        udp = struct.pack(">HHHH", 7148, 7148, 8 + len(packet), 0) + packet
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                         bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
        frames.append(b"\x02" * 12 + b"\x08\x00" + ip + udp)
    path = tmp_path / "capture.pcap"
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for frame in frames:
            f.write(struct.pack("<IIII", 0, 0, len(frame), len(frame)) + frame)
    pool = lightspead.ThreadPool()
    stream = lightspead.recv.Stream(pool)
    stream.add_udp_pcap_file_reader(str(path))
    ig = lightspead.ItemGroup()
    for i, heap in enumerate(stream):
        ig.update(heap)
        check_values(ig, i)
    assert stream.stats["heaps"] == 2
    with pytest.raises(RuntimeError):
        lightspead.recv.Stream(pool).add_udp_pcap_file_reader(str(tmp_path / "missing.pcap"))
