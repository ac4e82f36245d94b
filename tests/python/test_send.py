"""The Python send API: validation, encoding of values, item groups,
blocking and asyncio streams."""

import asyncio
import socket
import struct

import numpy as np
import pytest

import lightspead
import lightspead.send
import lightspead.send.asyncio


def packets(data):
    """Split back-to-back packets into (header fields, pointers, payload)."""
    out = []
    pos = 0
    while pos < len(data):
        n = struct.unpack(">H", data[pos + 6:pos + 8])[0]
        pointers = [struct.unpack(">Q", data[pos + 8 + 8 * k:pos + 16 + 8 * k])[0] for k in range(n)]
        specials = {(p >> 40) & 0x7FFFFF: p & ((1 << 40) - 1) for p in pointers if p >> 63}
        length = specials[4]
        start = pos + 8 + 8 * n
        out.append((specials, pointers, data[start:start + length]))
        pos = start + length
    return out


def test_flavour():
    f = lightspead.Flavour()
    assert (f.version, f.item_pointer_bits, f.heap_address_bits, f.bug_compat) == (4, 64, 40, 0)
    assert lightspead.Flavour(4, 64, 48, 2).heap_address_bits == 48
    assert lightspead.Flavour() == lightspead.Flavour(4, 64, 40, 0)
    for bad in [(3, 64, 40), (4, 32, 40), (4, 64, 44), (4, 64, 0)]:
        with pytest.raises(ValueError):
            lightspead.Flavour(*bad)
    with pytest.raises(ValueError):
        lightspead.Flavour(4, 64, 40, 8)


def test_constants():
    assert lightspead.HEAP_CNT_ID == 1
    assert lightspead.CTRL_STREAM_STOP == 2
    assert lightspead.BUG_COMPAT_PYSPEAD_0_5_2 == 7


def test_thread_pool():
    pool = lightspead.ThreadPool(2, [0])
    pool.stop()
    pool.stop()
    with pytest.raises(ValueError):
        lightspead.ThreadPool(0)
    with pytest.raises(ValueError):
        lightspead.ThreadPool.set_affinity(-1)


def test_stream_config():
    config = lightspead.send.StreamConfig(max_packet_size=9000, rate=1e9, max_heaps=2)
    assert config.max_packet_size == 9000
    assert config.rate == 1e9
    assert config.max_heaps == 2
    assert config.burst_size == lightspead.send.DEFAULT_BURST_SIZE
    config.max_heaps = 8
    assert config.max_heaps == 8
    for kwargs in [dict(max_packet_size=10), dict(rate=-1.0), dict(max_heaps=0),
                   dict(burst_rate_ratio=0.5), dict(burst_size=0)]:
        with pytest.raises(ValueError):
            lightspead.send.StreamConfig(**kwargs)
    with pytest.raises(TypeError):
        lightspead.send.StreamConfig(9000)      # keyword-only


@pytest.mark.parametrize("kwargs,message", [
    (dict(id=0x1000, name="x", description="", shape=(None, None), format=[("i", 8)]), "variable"),
    (dict(id=0x1000, name="x", description="", shape=(None,), dtype=np.int8), "variable"),
    (dict(id=0x1000, name="x", description="", shape=(), dtype=np.int8, format=[("u", 8)]), "exactly one"),
    (dict(id=0x1000, name="x", description="", shape=()), "exactly one"),
    (dict(id=0x1000, name="\u00e9", description="", shape=(), dtype=np.int8), "ASCII"),
    (dict(id=0x1000, name="x", description="", shape=(), format=[("q", 8)]), "unknown format"),
    (dict(id=0x1000, name="x", description="", shape=(), format=[("f", 16)]), "16 bits"),
    (dict(id=0x1000, name="x", description="", shape=(), dtype=np.int8, order="X"), "order"),
    (dict(id=0x1000, name="x", description="", shape=(), format=[("u", 8)], order="F"), "order"),
    (dict(id=0x1000, name="x", description="", shape=(-1,), dtype=np.int8), "non-negative"),
    (dict(id=0, name="x", description="", shape=(), dtype=np.int8), "positive"),
    (dict(id=0x1000, name="x", description="", shape=(), dtype=object), "objects"),
])
def test_descriptor_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        lightspead.Descriptor(**kwargs)


def test_item_buffers():
    item = lightspead.Item(0x1000, "a", "", shape=(2, 3), dtype=np.dtype(">u2"))
    item.value = np.arange(6).reshape(2, 3)
    assert bytes(item.to_buffer()) == np.arange(6, dtype=">u2").tobytes()
    fortran = lightspead.Item(0x1001, "f", "", shape=(2, 3), dtype=np.int8, order="F",
                              value=np.arange(6, dtype=np.int8).reshape(2, 3))
    assert bytes(fortran.to_buffer()) == bytes([0, 3, 1, 4, 2, 5])
    fmt = lightspead.Item(0x1002, "u40", "", shape=(), format=[("u", 40)], value=0x0102030405)
    assert bytes(fmt.to_buffer()) == bytes([1, 2, 3, 4, 5])
    signed = lightspead.Item(0x1003, "i24", "", shape=(2,), format=[("i", 24)], value=[-1, 5])
    assert bytes(signed.to_buffer()) == bytes([0xFF, 0xFF, 0xFF, 0, 0, 5])
    text = lightspead.Item(0x1004, "s", "", shape=(None,), format=[("c", 8)], value="hello")
    assert bytes(text.to_buffer()) == b"hello"
    be = lightspead.Item(0x1005, "u16", "", shape=(2,), format=[("u", 16)], value=[1, 258])
    assert bytes(be.to_buffer()) == bytes([0, 1, 1, 2])
    # Zero copy for arrays that already have the right layout
    samples = np.zeros(100, np.int8)
    zero_copy = lightspead.Item(0x1006, "z", "", shape=(100,), dtype=np.int8, value=samples)
    assert np.shares_memory(zero_copy.to_buffer(), samples)


def test_item_buffer_errors():
    item = lightspead.Item(0x1000, "a", "", shape=(2,), dtype=np.int8)
    with pytest.raises(ValueError, match="no value"):
        item.to_buffer()
    item.value = np.zeros(3, np.int8)
    with pytest.raises(ValueError, match="shape"):
        item.to_buffer()
    small = lightspead.Item(0x1001, "s", "", shape=(), format=[("u", 8)], value=256)
    with pytest.raises(ValueError, match="fit"):
        small.to_buffer()
    odd = lightspead.Item(0x1002, "o", "", shape=(), format=[("u", 5)], value=32)
    with pytest.raises(ValueError, match="fit"):
        odd.to_buffer()
    pair = lightspead.Item(0x1003, "p", "", shape=(1,), format=[("u", 4), ("i", 4)], value=[(1, 2, 3)])
    with pytest.raises(ValueError, match="2-field"):
        pair.to_buffer()


def test_bit_packed_formats():
    five = lightspead.Item(0x1000, "five", "", shape=(3,), format=[("u", 5)], value=[1, 2, 31])
    # 00001 00010 11111 + one padding bit = 0000 1000 1011 1110
    assert bytes(five.to_buffer()) == bytes([0b00001000, 0b10111110])
    mixed = lightspead.Item(0x1001, "mixed", "", shape=(2,), format=[("u", 4), ("i", 12), ("b", 8)],
                            value=[(3, -2, True), (15, 100, False)])
    assert bytes(mixed.to_buffer()) == bytes([0x3F, 0xFE, 0x01, 0xF0, 0x64, 0x00])
    floats = lightspead.Item(0x1002, "fl", "", shape=(), format=[("f", 32), ("c", 8)], value=(1.5, b"z"))
    assert bytes(floats.to_buffer()) == bytes([0x3F, 0xC0, 0, 0]) + b"z"


def test_item_group_ids_names_replacement():
    ig = lightspead.ItemGroup()
    a = ig.add_item(None, "a", "first", shape=(), format=[("u", 8)])
    b = ig.add_item(None, "b", "second", shape=(), format=[("u", 8)])
    assert (a.id, b.id) == (0x1000, 0x1001)
    assert ig["a"] is a and ig[0x1001] is b
    assert "a" in ig and 0x1000 in ig and "c" not in ig
    assert set(ig.keys()) == {"a", "b"} and set(ig.ids()) == {0x1000, 0x1001}
    c = ig.add_item(0x1000, "c", "replaces a", shape=(), format=[("u", 8)])
    assert ig[0x1000] is c and "a" not in ig and len(ig) == 2
    with pytest.raises(KeyError):
        ig["a"]


def test_heap_generator_sends_only_what_changed():
    ig = lightspead.send.ItemGroup()
    ig.add_item(0x1000, "x", "", shape=(), format=[("u", 40)], value=1)
    ig.add_item(0x1001, "y", "", shape=(4,), dtype=np.uint8, value=np.arange(4, dtype=np.uint8))
    pool = lightspead.ThreadPool()
    stream = lightspead.send.BytesStream(pool)
    stream.send_heap(ig.get_heap())             # descriptors + both values
    ig["x"].value = 2
    stream.send_heap(ig.get_heap())             # only x
    stream.send_heap(ig.get_heap(descriptors="all", data="none"))
    stream.send_heap(ig.get_end())
    heaps = packets(stream.getvalue())
    ids = [[(p >> 40) & 0x7FFFFF for p in pointers[4:]] for _, pointers, _ in heaps]
    assert ids[0] == [5, 0x1000, 5, 0x1001]
    assert ids[1] == [0x1000, 0]                 # an immediate, and the padding null
    assert ids[2] == [5, 5]                      # descriptors only
    assert ids[3] == [6, 0]
    assert heaps[1][1][4] == (1 << 63) | (0x1000 << 40) | 2
    assert [h[0][1] for h in heaps] == [1, 2, 3, 4]
    with pytest.raises(ValueError):
        ig.get_heap(descriptors="some")


def test_descriptor_frequency():
    ig = lightspead.send.ItemGroup(descriptor_frequency=2)
    ig.add_item(0x1000, "x", "", shape=(), format=[("u", 8)])
    with_descriptor = [any(((p >> 40) & 0x7FFFFF) == 5 for p in _pointers(ig.get_heap())) for _ in range(5)]
    assert with_descriptor == [True, False, True, False, True]


def _pointers(heap):
    pool = lightspead.ThreadPool()
    stream = lightspead.send.BytesStream(pool)
    stream.send_heap(heap)
    return packets(stream.getvalue())[0][1][4:]


def test_udp_send_and_errors():
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    port = receiver.getsockname()[1]
    pool = lightspead.ThreadPool()
    stream = lightspead.send.UdpStream(pool, [("localhost", port)], lightspead.send.StreamConfig())
    ig = lightspead.send.ItemGroup()
    ig.add_item(0x1000, "x", "", shape=(), format=[("u", 40)], value=42)
    n = stream.send_heap(ig.get_heap(descriptors="none"))
    data = receiver.recv(65536)
    assert len(data) == n
    assert packets(data)[0][1][4] == (1 << 63) | (0x1000 << 40) | 42
    with pytest.raises(OSError):
        stream.send_heap(ig.get_heap(), cnt=1 << 40)       # counter too large
    with pytest.raises(ValueError):
        lightspead.send.UdpStream(pool, [], lightspead.send.StreamConfig())


def test_asyncio_send():
    async def main():
        pool = lightspead.ThreadPool()
        stream = lightspead.send.asyncio.BytesStream(pool, lightspead.send.StreamConfig(max_heaps=4))
        ig = lightspead.send.ItemGroup()
        ig.add_item(0x1000, "x", "", shape=(1000,), dtype=np.uint8)
        futures = []
        for i in range(10):
            ig["x"].value = np.full(1000, i, np.uint8)
            futures.append(stream.async_send_heap(ig.get_heap()))
            if len(futures) >= 4:
                assert await futures.pop(0) > 1000
        for f in futures:
            assert await f > 1000
        # Big heaps, so the stream is still busy when the fifth is queued
        big = lightspead.send.ItemGroup()
        big.add_item(0x1000, "big", "", shape=(20_000_000,), dtype=np.uint8,
                     value=np.zeros(20_000_000, np.uint8))
        heap = big.get_heap(descriptors="none", data="all")
        over = [stream.async_send_heap(heap) for _ in range(8)]
        results = await asyncio.gather(*over, return_exceptions=True)
        # More heaps than max_heaps at once: the excess fail, nothing blocks
        assert any(isinstance(r, OSError) for r in results)
        assert any(isinstance(r, int) for r in results)
        return packets(stream.getvalue())

    heaps = asyncio.run(main())
    payloads = [payload for _, _, payload in heaps[:10]]
    assert all(payloads[i][-1] == i for i in range(1, 10))
    assert len(heaps) > 10


def test_spead2_style_import():
    import lightspead as spead2
    assert spead2.send.asyncio.UdpStream is lightspead.send.asyncio.UdpStream


def test_cpp_log_messages_reach_python_logging(caplog):
    import logging
    import threading
    import time
    caplog.set_level(logging.WARNING, logger="lightspead")
    # The core logs a warning when a thread cannot be pinned to a core
    t = threading.Thread(target=lightspead.ThreadPool.set_affinity, args=(100000,))
    t.start()
    t.join()
    for _ in range(100):
        if any("100000" in r.getMessage() for r in caplog.records):
            break
        time.sleep(0.02)
    records = [r for r in caplog.records if r.name == "lightspead"]
    assert any("100000" in r.getMessage() and r.levelno == logging.WARNING for r in records)


def test_send_heaps_groups():
    pool = lightspead.ThreadPool()
    stream = lightspead.send.BytesStream(pool, lightspead.send.StreamConfig(max_heaps=4))
    heaps = []
    for i in range(3):
        heap = lightspead.send.Heap()
        heap.add_item(lightspead.Item(0x1000, "x", "", shape=(4000,), dtype=np.uint8,
                                      value=np.full(4000, i, np.uint8)))
        heaps.append(lightspead.send.HeapReference(heap, cnt=10 + i))
    n = stream.send_heaps(lightspead.send.HeapReferenceList(heaps), lightspead.send.GroupMode.ROUND_ROBIN)
    data = stream.getvalue()
    assert n == len(data)
    order = [specials[1] for specials, _, _ in packets(data)]
    assert order == [10, 11, 12] * 3
    with pytest.raises(TypeError):
        stream.send_heaps([heaps[0].heap], lightspead.send.GroupMode.SERIAL)
    with pytest.raises(OSError):
        stream.send_heaps(heaps * 2, lightspead.send.GroupMode.SERIAL)     # more than max_heaps

    async def main():
        s = lightspead.send.asyncio.BytesStream(pool, lightspead.send.StreamConfig(max_heaps=4))
        total = await s.async_send_heaps(heaps, lightspead.send.GroupMode.SERIAL)
        return total, s.getvalue()

    import asyncio
    total, data = asyncio.run(main())
    assert total == len(data)
    assert [specials[1] for specials, _, _ in packets(data)] == [10] * 3 + [11] * 3 + [12] * 3


def test_seed_program_runs_with_only_the_import_changed(tmp_path):
    """The seed's sender, written for spead2, runs on lightspead when its
    import line becomes `import lightspead as spead2`."""
    import os
    import subprocess
    import sys
    tutorial = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "tutorial",
                            "tut_8_send_reuse_memory.py")
    with open(tutorial) as f:
        source = f.read()
    # Back to the spead2 spelling, then change only the import lines
    source = source.replace("import lightspead\nimport lightspead.send\nimport lightspead.send.asyncio\n",
                            "import lightspead as spead2\n").replace("lightspead.", "spead2.")
    assert "lightspead" in source.splitlines()[source.splitlines().index("import lightspead as spead2")]
    program = tmp_path / "seed.py"
    program.write_text(source)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = subprocess.run([sys.executable, str(program), "-n", "3", "-H", "100000", "127.0.0.1", str(port)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("MB/s\n")


def test_empty_allocates_on_the_given_memory():
    a = lightspead.empty((3, 4), np.float32)
    assert a.shape == (3, 4) and a.dtype == np.float32
    a[:] = 7
    assert a.sum() == 84
    # The array owns its buffer: a view keeps it alive after the array goes
    view = a[1]
    del a
    assert view.sum() == 28
    b = lightspead.empty(10, allocator=lightspead.MemoryAllocator())
    assert b.shape == (10,) and b.dtype == np.uint8
    assert lightspead.empty(0, np.int16).size == 0
    with pytest.raises(ValueError):
        lightspead.empty((2, -1))
    raw = lightspead.MmapAllocator(prefer_huge=True).allocate(4096)
    assert raw.dtype == np.uint8 and raw.shape == (4096,)


def send_and_check_payload(stream, receiver, data):
    """Send a heap of one item over ``data`` and check that its payload
    arrives at ``receiver`` unchanged."""
    ig = lightspead.send.ItemGroup()
    ig.add_item(0x1000, "x", "", shape=data.shape, dtype=data.dtype, value=data)
    stream.send_heap(ig.get_heap(descriptors="none"))
    payload = bytearray()
    while len(payload) < data.nbytes:
        for _specials, _pointers, body in packets(receiver.recv(65536)):
            payload += body
    assert bytes(payload) == data.tobytes()


def test_zerocopy_config_and_udp_round_trip():
    config = lightspead.send.StreamConfig()
    assert config.zerocopy == lightspead.send.ZerocopyMode.AUTO
    assert config.zerocopy_threshold == lightspead.send.StreamConfig.DEFAULT_ZEROCOPY_THRESHOLD == 4 << 20
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)  # SO_RCVBUFFORCE (root)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    port = receiver.getsockname()[1]
    pool = lightspead.ThreadPool()
    for mode, active_after in ((lightspead.send.ZerocopyMode.ON, True),
                               (lightspead.send.ZerocopyMode.AUTO, False),
                               (lightspead.send.ZerocopyMode.OFF, False)):
        config = lightspead.send.StreamConfig(max_packet_size=9000, zerocopy=mode, zerocopy_threshold=4096)
        stream = lightspead.send.UdpStream(pool, [("127.0.0.1", port)], config)
        assert stream.zerocopy_active == (mode != lightspead.send.ZerocopyMode.OFF)
        data = lightspead.empty(100000, np.uint8)
        data[:] = np.arange(100000) % 251
        send_and_check_payload(stream, receiver, data)
        # Loopback copies: AUTO falls back, ON carries on, OFF never asked
        assert stream.zerocopy_active == active_after
        assert (stream.zerocopy_copied > 0) == (mode != lightspead.send.ZerocopyMode.OFF)


def test_registered_allocator():
    allocator = lightspead.send.RegisteredAllocator(1000)
    assert allocator.size == 1024  # rounded up to ALIGNMENT
    assert allocator.free == 1024
    assert allocator.region_size >= 1024 + lightspead.send.RegisteredAllocator.HEADER_SPACE
    array = lightspead.empty((2, 100), np.int32, allocator=allocator)
    assert allocator.free == 1024 - 832  # 800 bytes, rounded up to 64
    array[:] = 7
    del array
    assert allocator.free == 1024
    with pytest.raises(MemoryError, match="no free range of 2000 bytes"):
        allocator.allocate(2000)
    with pytest.raises(ValueError, match="at least 1 byte"):
        lightspead.send.RegisteredAllocator(0)
    config = lightspead.send.StreamConfig(registered_allocator=allocator)
    assert config.registered_allocator is allocator
    config.registered_allocator = None
    assert config.registered_allocator is None
    assert lightspead.send.StreamConfig().registered_allocator is None


def test_registered_udp_round_trip():
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)  # SO_RCVBUFFORCE (root)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    port = receiver.getsockname()[1]
    pool = lightspead.ThreadPool()
    allocator = lightspead.send.RegisteredAllocator(1 << 20)
    config = lightspead.send.StreamConfig(max_packet_size=9000, zerocopy=lightspead.send.ZerocopyMode.ON,
                                          zerocopy_threshold=4096, registered_allocator=allocator)
    stream = lightspead.send.UdpStream(pool, [("127.0.0.1", port)], config)
    assert stream.registered_active
    assert stream.registered_sends == 0
    data = lightspead.empty(100000, np.uint8, allocator=allocator)
    for round_ in range(2):
        data[:] = (np.arange(100000) + round_) % 251
        send_and_check_payload(stream, receiver, data)
    assert stream.registered_sends > 0
    assert stream.registered_active  # ON carries on where loopback copies
    # Without the allocator in its config, a stream never uses it
    plain = lightspead.send.UdpStream(pool, [("127.0.0.1", port)], lightspead.send.StreamConfig())
    assert not plain.registered_active and plain.registered_sends == 0
