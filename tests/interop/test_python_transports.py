"""Python to Python across the two libraries over UDP and TCP: lightspead
sends and spead2 receives, and the other way round, with the same item
groups, every value and descriptor compared, in 64-40 and 64-48."""

import socket
import threading

import numpy as np
import pytest
import spead2
import spead2.recv
import spead2.send

import lightspead
import lightspead.recv
import lightspead.send

N_HEAPS = 6


def item_group(module, bits):
    ig = module.send.ItemGroup(flavour=module.Flavour(4, 64, bits, 0))
    ig.add_item(0x1600, "timestamp", "Index of the first sample", shape=(), format=[("u", bits)])
    ig.add_item(0x3300, "adc", "ADC samples", shape=(20000,), dtype=np.int8)
    ig.add_item(0x3301, "counts", "u16 format", shape=(3, 5), format=[("u", 16)])
    ig.add_item(0x3302, "label", "a string", shape=(None,), format=[("c", 8)])
    ig.add_item(0x3303, "grid", "Fortran float32", shape=(2, 3), dtype=np.float32, order="F")
    return ig


def values(i):
    rng = np.random.default_rng(i)
    return {
        "timestamp": i * 4096,
        "adc": rng.integers(-128, 128, 20000, dtype=np.int8),
        "counts": rng.integers(0, 65535, (3, 5)),
        "label": f"heap {i}",
        "grid": rng.standard_normal((2, 3)).astype(np.float32),
    }


def free_port(kind):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def send(module, transport, bits, port):
    ig = item_group(module, bits)
    pool = module.ThreadPool()
    config = module.send.StreamConfig(max_packet_size=8000, rate=100e6)
    if transport == "udp":
        stream = module.send.UdpStream(pool, [("127.0.0.1", port)], config)
    else:
        stream = module.send.TcpStream(pool, [("127.0.0.1", port)], config)
    for i in range(N_HEAPS):
        for name, value in values(i).items():
            ig[name].value = value
        stream.send_heap(ig.get_heap())
    stream.send_heap(ig.get_end())


def receive(module, transport, bits, port, ready):
    pool = module.ThreadPool()
    stream = module.recv.Stream(pool, module.recv.StreamConfig(max_heaps=4))
    if transport == "udp":
        stream.add_udp_reader(port, max_size=9000, buffer_size=16 << 20, bind_hostname="127.0.0.1")
    else:
        stream.add_tcp_reader(port, bind_hostname="127.0.0.1")
    ready.set()
    ig = module.ItemGroup()
    seen = []
    for heap in stream:
        assert heap.flavour.heap_address_bits == bits
        ig.update(heap)
        seen.append({name: item.value for name, item in ig.items()})
        descriptors = {item.name: (item.id, item.description, item.shape) for item in ig.values()}
    return seen, descriptors


@pytest.mark.parametrize("transport", ["udp", "tcp"])
@pytest.mark.parametrize("bits", [40, 48])
@pytest.mark.parametrize("sender,receiver", [(lightspead, spead2), (spead2, lightspead)],
                         ids=["lightspead-to-spead2", "spead2-to-lightspead"])
def test_python_streams_interoperate(sender, receiver, bits, transport):
    port = free_port(socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM)
    ready = threading.Event()
    result = {}

    def run_receiver():
        result["value"] = receive(receiver, transport, bits, port, ready)

    thread = threading.Thread(target=run_receiver)
    thread.start()
    assert ready.wait(10)
    send(sender, transport, bits, port)
    thread.join(60)
    assert not thread.is_alive()
    seen, descriptors = result["value"]
    assert len(seen) == N_HEAPS
    for i, got in enumerate(seen):
        expected = values(i)
        assert got["timestamp"] == expected["timestamp"]
        assert got["label"] == expected["label"]
        for name in ("adc", "counts", "grid"):
            np.testing.assert_array_equal(got[name], expected[name], err_msg=name)
    reference = item_group(sender, bits)
    assert descriptors == {item.name: (item.id, item.description, item.shape) for item in reference.values()}
