"""spead2 sends, lightspead's Python API receives: item groups updated from
the same packets must hold the same values in spead2 and in lightspead."""

import numpy as np
import pytest
import spead2
import spead2.recv
import spead2.send

import lightspead
import lightspead.recv


def spead2_packets(bits):
    ig = spead2.send.ItemGroup(flavour=spead2.Flavour(4, 64, bits, 0))
    ig.add_item(0x1600, "timestamp", "ts", shape=(), format=[("u", bits)])
    ig.add_item(0x3300, "adc", "int8 samples", shape=(5000,), dtype=np.int8)
    ig.add_item(0x3301, "counts", "u16 format", shape=(3, 5), format=[("u", 16)])
    ig.add_item(0x3302, "label", "string", shape=(None,), format=[("c", 8)])
    ig.add_item(0x3303, "grid", "Fortran float64", shape=(2, 3), dtype=np.float64, order="F")
    ig.add_item(0x3304, "big", "big-endian", shape=(4,), dtype=">u4")
    ig.add_item(0x3305, "small", "immediate u16", shape=(), format=[("u", 16)])
    thread_pool = spead2.ThreadPool()
    stream = spead2.send.BytesStream(thread_pool, spead2.send.StreamConfig(max_packet_size=1472))
    rng = np.random.default_rng(bits)
    for i in range(5):
        ig["timestamp"].value = i * 12345
        ig["adc"].value = rng.integers(-128, 128, 5000, dtype=np.int8)
        ig["counts"].value = rng.integers(0, 65535, (3, 5))
        ig["label"].value = f"heap {i}"
        ig["grid"].value = rng.standard_normal((2, 3))
        ig["big"].value = rng.integers(0, 1 << 31, 4).astype(np.uint32)
        ig["small"].value = i * 7
        stream.send_heap(ig.get_heap())
    stream.send_heap(ig.get_end())
    return stream.getvalue()


def decode(module, data):
    pool = module.ThreadPool()
    stream = module.recv.Stream(pool)
    stream.add_buffer_reader(data)
    ig = module.ItemGroup()
    out = []
    for heap in stream:
        ig.update(heap)
        out.append({name: (item.value.copy() if isinstance(item.value, np.ndarray) else item.value)
                    for name, item in ig.items()})
    return out


@pytest.mark.parametrize("bits", [40, 48])
def test_same_values_as_spead2(bits):
    data = spead2_packets(bits)
    expected = decode(spead2, data)
    actual = decode(lightspead, data)
    assert len(actual) == len(expected) == 5
    for exp, act in zip(expected, actual):
        assert set(exp) == set(act)
        for name in exp:
            if isinstance(exp[name], np.ndarray):
                np.testing.assert_array_equal(act[name], exp[name], err_msg=name)
                assert act[name].shape == exp[name].shape, name
            else:
                assert act[name] == exp[name], name
