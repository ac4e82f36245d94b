"""spead2 4.5.1 sends, lightspead receives: every item value and descriptor
that spead2's ItemGroup puts on the wire must come out of lightspead's
receive stream, over UDP and from memory, in 64-40 and 64-48."""

import json
import os
import subprocess

import numpy as np
import pytest
import spead2
import spead2.send

ADC_SIZE = 1000


def checksum(data: bytes) -> int:
    b = np.frombuffer(data, np.uint8).astype(np.uint64)
    weights = (np.arange(len(b), dtype=np.uint64) % 251) + 1
    return int((b * weights).sum())


def make_item_group(bits, adc_size=ADC_SIZE):
    ig = spead2.send.ItemGroup(flavour=spead2.Flavour(4, 64, bits, 0))
    ig.add_item(0x1600, "timestamp", "Index of the first sample", shape=(), format=[("u", bits)])
    ig.add_item(0x3300, "adc_samples", "ADC converter output", shape=(adc_size,), dtype=np.int8)
    ig.add_item(0x3301, "counts", "Format-based unsigned 16-bit array", shape=(3, 5), format=[("u", 16)])
    ig.add_item(0x3302, "label", "A variable-length string", shape=(None,), format=[("c", 8)])
    ig.add_item(0x3303, "spectrum", "float32 array", shape=(4, 8), dtype=np.float32)
    return ig


def heap_values(i, adc_size=ADC_SIZE):
    rng = np.random.default_rng(i)
    return {
        "timestamp": i * 1000,
        "adc_samples": rng.integers(-128, 128, adc_size, dtype=np.int8),
        "counts": (i * 100 + np.arange(15, dtype=np.uint16)).reshape(3, 5),
        "label": f"heap {i} from spead2",
        "spectrum": rng.standard_normal((4, 8)).astype(np.float32),
    }


def expected_bytes(name, value):
    if name == "adc_samples":
        return value.view(np.uint8).tobytes()
    if name == "counts":
        return value.astype(">u2").tobytes()
    if name == "label":
        return value.encode()
    if name == "spectrum":
        return value.tobytes()
    raise KeyError(name)


def parse(output):
    heaps, stats = [], None
    for line in output.splitlines():
        obj = json.loads(line)
        if "stats" in obj:
            stats = obj["stats"]
        elif "cnt" in obj:
            heaps.append(obj)
    return heaps, stats


def check(heaps, stats, ig, bits, n_heaps, adc_size=ADC_SIZE):
    assert len(heaps) == n_heaps, stats
    flavour = spead2.Flavour(4, 64, bits, 0)
    for i, heap in enumerate(heaps):
        assert heap["heap_address_bits"] == bits
        assert heap["descriptor_errors"] == 0
        items = {item["id"]: item for item in heap["items"]}
        values = heap_values(i, adc_size)
        assert items[0x1600]["immediate"] == values["timestamp"]
        for name in ("adc_samples", "counts", "label", "spectrum"):
            item = items[ig[name].id]
            data = expected_bytes(name, values[name])
            assert item["length"] == len(data), name
            assert item["checksum"] == checksum(data), name
            assert item["head"] == data[:64].hex(), name
        if i == 0:
            descriptors = {d["id"]: d for d in heap["descriptors"]}
            assert set(descriptors) == {item.id for item in ig.values()}
            for item in ig.values():
                raw = item.to_raw(flavour) if hasattr(item, "to_raw") else None
                d = descriptors[item.id]
                assert d["name"] == item.name
                assert d["description"] == item.description
                if raw is not None:
                    assert d["numpy_header"] == raw.numpy_header.decode()
                    assert d["format"] == [list(f) for f in raw.format]
                    assert d["shape"] == [-1 if s is None else s for s in raw.shape]
        else:
            assert heap["descriptors"] == []
    assert stats["incomplete_heaps_evicted"] == 0
    assert stats["packets_malformed"] == 0


def send_heaps(stream, ig, n_heaps, adc_size=ADC_SIZE):
    for i in range(n_heaps):
        for name, value in heap_values(i, adc_size).items():
            ig[name].value = value
        stream.send_heap(ig.get_heap(descriptors="stale" if i else "all", data="all"))
    stream.send_heap(ig.get_end())


def run_udp(interop_recv, port, bits, n_heaps, adc_size=ADC_SIZE, rate=200e6):
    receiver = subprocess.Popen([interop_recv, "udp", str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert json.loads(receiver.stdout.readline()) == {"ready": True}
        ig = make_item_group(bits, adc_size)
        thread_pool = spead2.ThreadPool()
        config = spead2.send.StreamConfig(max_packet_size=8972, rate=rate)
        stream = spead2.send.UdpStream(thread_pool, [("127.0.0.1", port)], config)
        send_heaps(stream, ig, n_heaps, adc_size)
        out, _ = receiver.communicate(timeout=60)
    finally:
        if receiver.poll() is None:
            receiver.kill()
    assert receiver.returncode == 0
    return ig, *parse(out)


@pytest.fixture
def interop_recv(build_dir):
    return os.path.join(build_dir, "tests", "interop", "interop_recv")


@pytest.mark.parametrize("bits", [40, 48])
def test_udp_items_and_descriptors(bits, interop_recv, free_udp_port):
    ig, heaps, stats = run_udp(interop_recv, free_udp_port, bits, 20)
    check(heaps, stats, ig, bits, 20)


@pytest.mark.parametrize("bits", [40, 48])
def test_memory_items_and_descriptors(bits, interop_recv, tmp_path):
    ig = make_item_group(bits)
    thread_pool = spead2.ThreadPool()
    stream = spead2.send.BytesStream(thread_pool, spead2.send.StreamConfig(max_packet_size=1472))
    send_heaps(stream, ig, 10)
    path = tmp_path / "stream.bin"
    path.write_bytes(stream.getvalue())
    out = subprocess.run([interop_recv, "mem", str(path)], check=True, capture_output=True,
                         text=True, timeout=60).stdout
    heaps, stats = parse(out)
    check(heaps, stats, ig, bits, 10)


def test_udp_64mib_heap(interop_recv, free_udp_port):
    size = 64 * 1024 * 1024
    ig, heaps, stats = run_udp(interop_recv, free_udp_port, 48, 2, adc_size=size, rate=1e9)
    check(heaps, stats, ig, 48, 2, adc_size=size)
