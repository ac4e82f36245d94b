"""lightspead sends, spead2 4.5.1 receives: every item value and descriptor
must come through, and the packets must equal spead2's own byte for byte."""

import subprocess
import time

import numpy as np
import pytest
import spead2
import spead2.recv
import spead2.send

N_HEAPS = 20


def receive_all(stream, timeout=30.0):
    """Heaps until end of stream, with a deadline instead of a hang."""
    heaps = []
    deadline = time.monotonic() + timeout
    while True:
        try:
            heaps.append(stream.get_nowait())
        except spead2.Empty:
            if time.monotonic() > deadline:
                pytest.fail(f"timed out after {len(heaps)} heaps")
            time.sleep(0.01)
        except spead2.Stopped:
            return heaps


@pytest.mark.parametrize("bits", [40, 48])
def test_udp_items_and_descriptors(bits, interop_send, free_udp_port):
    thread_pool = spead2.ThreadPool()
    stream = spead2.recv.Stream(thread_pool, spead2.recv.StreamConfig(max_heaps=4))
    stream.add_udp_reader(free_udp_port, max_size=9200, buffer_size=8 * 1024 * 1024,
                          bind_hostname="127.0.0.1")
    subprocess.run([interop_send, "udp", "127.0.0.1", str(free_udp_port), str(bits), str(N_HEAPS)],
                   check=True, timeout=60)
    heaps = receive_all(stream)
    stream.stop()
    assert len(heaps) == N_HEAPS
    ig = spead2.ItemGroup()
    for i, heap in enumerate(heaps):
        assert heap.cnt == i + 1
        assert heap.flavour.heap_address_bits == bits
        assert heap.is_end_of_stream() is False
        updated = ig.update(heap)
        assert set(updated) == {"timestamp", "adc_samples", "counts", "label"}

        ts = ig["timestamp"]
        assert ts.id == 0x1600
        assert ts.description == "Index of the first sample"
        assert ts.format == [("u", bits)]
        assert ts.value == i * 1000

        adc = ig["adc_samples"]
        assert adc.id == 0x3300
        assert adc.description == "ADC converter output"
        assert adc.dtype == np.dtype("i1")
        assert adc.shape == (1000,)
        expected = ((i * 7 + np.arange(1000)) % 256).astype(np.uint8).view(np.int8)
        np.testing.assert_array_equal(adc.value, expected)

        counts = ig["counts"]
        assert counts.format == [("u", 16)]
        assert counts.shape == (3, 5)
        np.testing.assert_array_equal(counts.value, (i * 100 + np.arange(15)).reshape(3, 5))

        label = ig["label"]
        assert label.format == [("c", 8)]
        assert label.shape == (None,)
        assert label.value == f"heap {i} from lightspead"
    stats = stream.stats
    assert stats["incomplete_heaps_evicted"] == 0


def spead2_bytes(heap, max_packet_size=1472):
    thread_pool = spead2.ThreadPool()
    config = spead2.send.StreamConfig(max_packet_size=max_packet_size)
    stream = spead2.send.BytesStream(thread_pool, config)
    stream.send_heap(heap, cnt=1)
    return stream.getvalue()


def lightspead_bytes(interop_send, case, bits, *extra):
    return subprocess.run([interop_send, "bytes", case, str(bits), *extra],
                          check=True, capture_output=True, timeout=30).stdout


def u8_item(id, data, immediate_ok=True):
    shape = (len(data),)
    item = spead2.Item(id, f"item{id}", "", shape=shape, dtype=np.uint8)
    item.value = np.asarray(data, np.uint8)
    return item


DATA = np.arange(1, 201, dtype=np.uint8)


def reference_heap(case, bits):
    """The heap interop_send builds for `case`, built with spead2 instead."""
    compat = 0
    if case == "descriptor-compat":
        compat = spead2.BUG_COMPAT_DESCRIPTOR_WIDTHS | spead2.BUG_COMPAT_SHAPE_BIT_1
    heap = spead2.send.Heap(spead2.Flavour(4, 64, bits, compat))
    max_packet_size = 1472
    if case == "start":
        heap.add_start()
    elif case == "end":
        heap.add_end()
    elif case in ("item72", "item136"):
        max_packet_size = 88
        heap.add_item(u8_item(0x1000, DATA[: 72 if case == "item72" else 136]))
    elif case == "repeat":
        max_packet_size = 88
        heap.add_item(u8_item(0x1000, DATA[:100]))
        heap.add_item(u8_item(0x1001, DATA[:2]))
        heap.repeat_pointers = True
    elif case == "immediates":
        heap.add_item(u8_item(0x1000, DATA[:3]))
        value = 0x0102030405 & ((1 << bits) - 1)
        item = spead2.Item(0x1001, "imm", "", shape=(), format=[("u", bits)])
        item.value = value
        heap.add_item(item)
    elif case == "many-items":
        max_packet_size = 88
        for i in range(23):
            heap.add_item(u8_item(0x1000 + i, DATA[i : i + 1 + i % 9]))
    elif case in ("descriptor", "descriptor-compat"):
        heap.add_descriptor(spead2.Descriptor(0x1234, "vis", "Visibilities", shape=(3, None, 4),
                                              format=[("u", 8), ("f", 32)]))
    elif case != "empty":
        raise ValueError(case)
    return heap, max_packet_size


CASES = ["empty", "start", "end", "item72", "item136", "repeat", "immediates", "many-items",
         "descriptor", "descriptor-compat"]


@pytest.mark.parametrize("bits", [40, 48])
@pytest.mark.parametrize("case", CASES)
def test_bytes_equal_spead2(case, bits, interop_send):
    heap, max_packet_size = reference_heap(case, bits)
    expected = spead2_bytes(heap, max_packet_size)
    assert lightspead_bytes(interop_send, case, bits) == expected


@pytest.mark.parametrize("bits", [40, 48])
def test_numpy_descriptor_bytes_equal_spead2(bits, interop_send):
    flavour = spead2.Flavour(4, 64, bits, 0)
    descriptor = spead2.Descriptor(0x3300, "adc_samples", "ADC converter output",
                                   shape=(1000,), dtype=np.int8)
    header = descriptor.to_raw(flavour).numpy_header.decode()
    heap = spead2.send.Heap(flavour)
    heap.add_descriptor(descriptor)
    assert lightspead_bytes(interop_send, "numpy-descriptor", bits, header) == spead2_bytes(heap)
