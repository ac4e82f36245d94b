#!/usr/bin/env python3
"""Tutorial 9: receiving big heaps without page faults. Heap memory comes
from a pool of pre-touched buffers that are recycled once a heap has been
processed."""

import argparse

import numpy as np

import lightspead
import lightspead.recv


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--heap-size", type=int, default=1024 * 1024)
    parser.add_argument("port", type=int)
    args = parser.parse_args()

    thread_pool = lightspead.ThreadPool()
    config = lightspead.recv.StreamConfig(max_heaps=2)
    ring_config = lightspead.recv.RingStreamConfig(heaps=2)
    # Enough buffers for every heap that can exist at once: in assembly, in
    # the ringbuffer, and the one being processed here.
    pool_heaps = config.max_heaps + ring_config.heaps + 1
    config.memory_allocator = lightspead.MemoryPool(0, args.heap_size + 8192, pool_heaps, pool_heaps)
    stream = lightspead.recv.Stream(thread_pool, config, ring_config)
    stream.add_udp_reader(args.port)
    item_group = lightspead.ItemGroup()
    n_heaps = 0
    for heap in stream:
        item_group.update(heap)
        timestamp = item_group["timestamp"].value if "timestamp" in item_group else None
        adc_samples = item_group["adc_samples"].value if "adc_samples" in item_group else None
        if timestamp is not None and adc_samples is not None:
            power = np.mean(np.square(adc_samples, dtype=np.int64))
            n_heaps += 1
            print(f"Timestamp: {timestamp:<10} Power: {power}")
    print(f"Received {n_heaps} heaps")


if __name__ == "__main__":
    main()
