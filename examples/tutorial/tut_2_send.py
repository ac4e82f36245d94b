#!/usr/bin/env python3
"""Tutorial 2: a first sender. Sends 100 heaps of random ADC samples with a
timestamp to 127.0.0.1:8888 at 100 MB/s, then an end-of-stream heap."""

import numpy as np

import lightspead
import lightspead.send


def main():
    thread_pool = lightspead.ThreadPool()
    stream = lightspead.send.UdpStream(
        thread_pool, [("127.0.0.1", 8888)], lightspead.send.StreamConfig(rate=100e6))
    heap_size = 1024 * 1024
    item_group = lightspead.send.ItemGroup()
    item_group.add_item(0x1600, "timestamp", "Index of the first sample",
                        shape=(), format=[("u", lightspead.Flavour().heap_address_bits)])
    item_group.add_item(0x3300, "adc_samples", "ADC converter output",
                        shape=(heap_size,), dtype=np.int8)
    rng = np.random.default_rng()
    for i in range(100):
        item_group["timestamp"].value = i * heap_size
        item_group["adc_samples"].value = rng.integers(-100, 100, size=heap_size, dtype=np.int8)
        stream.send_heap(item_group.get_heap())
    stream.send_heap(item_group.get_end())


if __name__ == "__main__":
    main()
