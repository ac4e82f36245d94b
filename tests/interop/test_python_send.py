"""lightspead's Python send API produces the same bytes as spead2's for
the same item groups, heap after heap."""

import numpy as np
import pytest
import spead2
import spead2.send

import lightspead
import lightspead.send


def stream_bytes(module, bits, max_packet_size):
    ig = module.send.ItemGroup(flavour=module.Flavour(4, 64, bits, 0))
    ig.add_item(0x1600, "timestamp", "Index of the first sample", shape=(), format=[("u", bits)])
    ig.add_item(0x3300, "adc_samples", "ADC converter output", shape=(3000,), dtype=np.int8)
    ig.add_item(0x3301, "counts", "Format-based u16", shape=(3, 5), format=[("u", 16)])
    ig.add_item(0x3302, "label", "A string", shape=(None,), format=[("c", 8)])
    ig.add_item(0x3303, "spectrum", "Fortran-order float32", shape=(2, 3), dtype=np.float32, order="F")
    ig.add_item(0x3304, "big_endian", "Big-endian u32 by dtype", shape=(4,), dtype=">u4")
    ig.add_item(0x3305, "i24", "Signed 24-bit", shape=(2,), format=[("i", 24)])
    thread_pool = module.ThreadPool()
    stream = module.send.BytesStream(thread_pool, module.send.StreamConfig(max_packet_size=max_packet_size))
    stream.send_heap(ig.get_start())
    for i in range(4):
        ig["timestamp"].value = i * 1000
        ig["adc_samples"].value = ((np.arange(3000) + i) % 256).astype(np.uint8).view(np.int8)
        ig["counts"].value = np.arange(15).reshape(3, 5) + i
        ig["label"].value = f"heap {i}"
        ig["spectrum"].value = np.arange(6, dtype=np.float32).reshape(2, 3) * i
        if i % 2 == 0:
            ig["big_endian"].value = np.arange(4, dtype=np.uint32) * (i + 1)
        ig["i24"].value = [-i, i]
        stream.send_heap(ig.get_heap())
    stream.send_heap(ig.get_heap(descriptors="all", data="all"))
    stream.send_heap(ig.get_end())
    return stream.getvalue()


@pytest.mark.parametrize("bits", [40, 48])
@pytest.mark.parametrize("max_packet_size", [1472, 9000, 88])
def test_same_bytes_as_spead2(bits, max_packet_size):
    assert stream_bytes(lightspead, bits, max_packet_size) == stream_bytes(spead2, bits, max_packet_size)


def packed_bytes(module):
    ig = module.send.ItemGroup()
    ig.add_item(0x2000, "five", "5-bit unsigned", shape=(7,), format=[("u", 5)])
    ig.add_item(0x2001, "mixed", "u4 i12 b8", shape=(3,), format=[("u", 4), ("i", 12), ("b", 8)])
    ig.add_item(0x2002, "fc", "f32 and a char", shape=(), format=[("f", 32), ("c", 8)])
    ig.add_item(0x2003, "var", "variable 3-bit", shape=(None,), format=[("i", 3)])
    thread_pool = module.ThreadPool()
    stream = module.send.BytesStream(thread_pool, module.send.StreamConfig())
    for i in range(3):
        ig["five"].value = [(k * 5 + i) % 32 for k in range(7)]
        ig["mixed"].value = [(k + i, -100 * k + i, bool(k % 2)) for k in range(3)]
        ig["fc"].value = (1.25 * i, b"abc"[i:i + 1])
        ig["var"].value = [(-4 + (k + i) % 8) for k in range(i + 2)]
        stream.send_heap(ig.get_heap())
    stream.send_heap(ig.get_end())
    return stream.getvalue()


def decoded_values(module, data):
    """Every heap's item values (as lists) and their types, after
    module.ItemGroup.update."""
    pool = module.ThreadPool()
    stream = module.recv.Stream(pool)
    stream.add_buffer_reader(data)
    ig = module.ItemGroup()
    out = []
    for heap in stream:
        ig.update(heap)
        out.append({name: (item.value.tolist() if hasattr(item.value, "tolist") else item.value,
                           str(getattr(item.value, "dtype", type(item.value))))
                    for name, item in ig.items()})
    return out


def test_bit_packed_bytes_and_values_match_spead2():
    ours, theirs = packed_bytes(lightspead), packed_bytes(spead2)
    assert ours == theirs
    assert decoded_values(lightspead, theirs) == decoded_values(spead2, theirs)


def structured_bytes(module):
    dtype = np.dtype([("re", "<i2"), ("im", ">i2"), ("flag", "?")])
    ig = module.send.ItemGroup()
    ig.add_item(0x2100, "vis", "structured", shape=(4,), dtype=dtype)
    ig.add_item(0x2101, "be2d", "big-endian Fortran", shape=(2, 2), dtype=">f8", order="F")
    thread_pool = module.ThreadPool()
    stream = module.send.BytesStream(thread_pool, module.send.StreamConfig())
    for i in range(2):
        value = np.zeros(4, dtype)
        value["re"] = np.arange(4) + i
        value["im"] = -np.arange(4)
        value["flag"] = [True, False, True, i == 1]
        ig["vis"].value = value
        ig["be2d"].value = np.arange(4.0).reshape(2, 2) * (i + 1)
        stream.send_heap(ig.get_heap())
    stream.send_heap(ig.get_end())
    return stream.getvalue()


def test_structured_and_non_native_dtypes_match_spead2():
    ours, theirs = structured_bytes(lightspead), structured_bytes(spead2)
    assert ours == theirs
    assert decoded_values(lightspead, theirs) == decoded_values(spead2, theirs)


@pytest.mark.parametrize("mode", ["ROUND_ROBIN", "SERIAL"])
def test_heap_groups_same_bytes_as_spead2(mode):
    def group_bytes(module):
        pool = module.ThreadPool()
        stream = module.send.BytesStream(pool, module.send.StreamConfig(max_heaps=8))
        refs = []
        for i in range(3):
            heap = module.send.Heap()
            item = module.Item(0x1000 + i, f"x{i}", "", shape=(3000 + 1000 * i,), dtype=np.uint8)
            item.value = np.full(3000 + 1000 * i, i, np.uint8)
            heap.add_item(item)
            refs.append(module.send.HeapReference(heap, cnt=20 + i))
        stream.send_heaps(module.send.HeapReferenceList(refs), getattr(module.send.GroupMode, mode))
        return stream.getvalue()

    assert group_bytes(lightspead) == group_bytes(spead2)
