#!/usr/bin/env python3
"""Tutorial 10: a sender for small heaps. Each slot of the pipeline builds
its heap once and keeps it; every later heap only rewrites the slot's
samples and timestamp in place. The pipeline is about 1 MiB deep."""

import argparse
import asyncio
import time
from dataclasses import dataclass, field

import numpy as np

import lightspead
import lightspead.send
import lightspead.send.asyncio


@dataclass
class State:
    adc_samples: np.ndarray
    timestamp: np.ndarray  # 0-d big-endian uint64: the heap sends its low 5 bytes
    heap: lightspead.send.Heap
    future: asyncio.Future = field(default_factory=asyncio.Future)

    def __post_init__(self):
        # A future that is already done, so the first wait returns at once
        self.future.set_result(0)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", "--heaps", type=int, default=1000)
    parser.add_argument("-p", "--packet-size", type=int)
    parser.add_argument("-H", "--heap-size", type=int, default=1024 * 1024)
    parser.add_argument("host", type=str)
    parser.add_argument("port", type=int)
    args = parser.parse_args()

    # One network thread on core 0; this thread fills heaps on core 1
    thread_pool = lightspead.ThreadPool(1, [0])
    lightspead.ThreadPool.set_affinity(1)
    # About 1 MiB in flight, and never fewer than two heaps
    config = lightspead.send.StreamConfig(rate=0.0, max_heaps=max(2, 1024 * 1024 // args.heap_size))
    if args.packet_size is not None:
        config.max_packet_size = args.packet_size
    stream = lightspead.send.asyncio.UdpStream(thread_pool, [(args.host, args.port)], config)
    heap_size = args.heap_size
    item_group = lightspead.send.ItemGroup()
    item_group.add_item(
        0x1600,
        "timestamp",
        "Index of the first sample",
        shape=(),
        format=[("u", lightspead.Flavour().heap_address_bits)],
    )
    item_group.add_item(
        0x3300,
        "adc_samples",
        "ADC converter output",
        shape=(heap_size,),
        dtype=np.int8,
    )

    # Every heap is built once, here, and sent again and again. A heap
    # refers to its arrays rather than copying them (the 0-d ">u8"
    # timestamp too), so writing to the arrays changes what it sends.
    states = []
    for _ in range(config.max_heaps):
        adc_samples = np.ones(heap_size, np.int8)
        timestamp = np.array(0, ">u8")
        item_group["timestamp"].value = timestamp
        item_group["adc_samples"].value = adc_samples
        heap = item_group.get_heap(descriptors="none", data="all")
        states.append(State(adc_samples=adc_samples, timestamp=timestamp, heap=heap))
    # The first heap also carries the descriptors; it shares slot 0's memory
    item_group["timestamp"].value = states[0].timestamp
    item_group["adc_samples"].value = states[0].adc_samples
    first_heap = item_group.get_heap(descriptors="all", data="all")

    n_heaps = args.heaps
    start = time.perf_counter()
    for i in range(n_heaps):
        state = states[i % len(states)]
        await state.future  # the heap last sent from this slot must be on the wire first
        # i wrapped to int8, as the C++ version's cast does
        state.adc_samples.fill((i + 128) % 256 - 128)
        state.timestamp[()] = i * heap_size
        state.future = stream.async_send_heap(first_heap if i == 0 else state.heap)
    for state in states:
        await state.future
    elapsed = time.perf_counter() - start
    print(f"{heap_size * n_heaps / elapsed / 1e6:.2f} MB/s")

    # Tell the receiver that the stream has ended
    await stream.async_send_heap(item_group.get_end())


if __name__ == "__main__":
    asyncio.run(main())
