"""A send/receive round trip with the installed lightspead package: run
from a fresh virtual environment by tests/wheel/run, outside the source
tree, so that only the wheel's files are used."""

import socket
import sys
import threading

import numpy as np

import lightspead
import lightspead.recv
import lightspead.send


def main():
    assert "site-packages" in lightspead.__file__, f"not the installed package: {lightspead.__file__}"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Each stream on its own thread pool: the receiver's network thread waits
    # while its ringbuffer is full (nobody takes heaps until all are sent),
    # and a sender sharing that thread would wait with it.
    receiver = lightspead.recv.Stream(lightspead.ThreadPool(), lightspead.recv.StreamConfig(),
                                      lightspead.recv.RingStreamConfig(heaps=16))
    receiver.add_udp_reader(port, bind_hostname="127.0.0.1")
    watchdog = threading.Timer(60, receiver.stop)  # a lost stop heap fails the count below, never hangs
    watchdog.start()

    sender = lightspead.send.UdpStream(lightspead.ThreadPool(), [("127.0.0.1", port)],
                                       lightspead.send.StreamConfig(rate=1e8))
    items = lightspead.send.ItemGroup()
    items.add_item(0x1600, "timestamp", "Index of the first sample", shape=(), format=[("u", 40)])
    items.add_item(0x3300, "adc_samples", "ADC converter output", shape=(100000,), dtype=np.int8)
    for i in range(10):
        items["timestamp"].value = i * 100000
        items["adc_samples"].value = np.full(100000, i, np.int8)
        sender.send_heap(items.get_heap())
    sender.send_heap(items.get_end())

    received = lightspead.ItemGroup()
    count = 0
    for heap in receiver:
        received.update(heap)
        assert received["timestamp"].value == count * 100000
        assert np.all(received["adc_samples"].value == count)
        count += 1
    watchdog.cancel()
    assert count == 10, f"received {count} heaps of 10"
    print(f"lightspead {lightspead.__version__} from {lightspead.__file__}: 10 heaps sent and received")
    return 0


if __name__ == "__main__":
    sys.exit(main())
