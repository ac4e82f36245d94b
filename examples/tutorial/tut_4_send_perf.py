#!/usr/bin/env python3
"""Tutorial 4: measuring the sender. Sends heaps as fast as possible, one at
a time, and prints the rate."""

import argparse
import time

import numpy as np

import lightspead
import lightspead.send


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", "--heaps", type=int, default=1000)
    parser.add_argument("host", type=str)
    parser.add_argument("port", type=int)
    args = parser.parse_args()

    # The network thread on core 0, this thread on core 1
    thread_pool = lightspead.ThreadPool(1, [0])
    lightspead.ThreadPool.set_affinity(1)
    config = lightspead.send.StreamConfig(rate=0.0)
    stream = lightspead.send.UdpStream(thread_pool, [(args.host, args.port)], config)
    heap_size = 1024 * 1024
    item_group = lightspead.send.ItemGroup()
    item_group.add_item(0x1600, "timestamp", "Index of the first sample",
                        shape=(), format=[("u", lightspead.Flavour().heap_address_bits)])
    item_group.add_item(0x3300, "adc_samples", "ADC converter output",
                        shape=(heap_size,), dtype=np.int8)
    samples = np.empty(heap_size, np.int8)
    start = time.perf_counter()
    for i in range(args.heaps):
        samples.fill((i + 128) % 256 - 128)  # cheap, recognisable: every sample of heap i is i (as int8)
        item_group["timestamp"].value = i * heap_size
        item_group["adc_samples"].value = samples
        stream.send_heap(item_group.get_heap())
    elapsed = time.perf_counter() - start
    print(f"{heap_size * args.heaps / elapsed / 1e6:.2f} MB/s")
    stream.send_heap(item_group.get_end())


if __name__ == "__main__":
    main()
