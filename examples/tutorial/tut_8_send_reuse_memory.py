#!/usr/bin/env python3
"""Tutorial 8: a sender that reuses two heaps' worth of memory
("double-buffering") instead of allocating a fresh array per heap."""

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
    future: asyncio.Future = field(default_factory=asyncio.Future)

    def __post_init__(self):
        # A future that is already done, so the first wait returns at once
        self.future.set_result(0)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", "--heaps", type=int, default=1000)
    parser.add_argument("-p", "--packet-size", type=int)
    parser.add_argument("-H", "--heap-size", type=int, default=1024 * 1024)
    # Not in spead2's chapter 8: paces the stream, in MB/s (0: unlimited)
    parser.add_argument("-r", "--rate", type=float, default=0.0)
    parser.add_argument("host", type=str)
    parser.add_argument("port", type=int)
    args = parser.parse_args()

    # One network thread on core 0; this thread fills heaps on core 1
    thread_pool = lightspead.ThreadPool(1, [0])
    lightspead.ThreadPool.set_affinity(1)
    # Paced, the stream sleeps between bursts: bursts of 1 MiB wake it less often
    heap_size = args.heap_size
    # Samples on huge pages, faulted in now rather than while sending, in a
    # region the stream registers with the kernel once: the stream hands
    # heaps of 4 MiB or more to the kernel without copying them, and
    # registered pages need no pinning per send.
    # (room for two heaps, each rounded up to the allocator's alignment)
    allocator = lightspead.send.RegisteredAllocator(2 * (heap_size + lightspead.send.RegisteredAllocator.ALIGNMENT))
    config = lightspead.send.StreamConfig(
        rate=args.rate * 1e6, burst_size=1024 * 1024, max_heaps=2, registered_allocator=allocator
    )
    if args.packet_size is not None:
        config.max_packet_size = args.packet_size
    stream = lightspead.send.asyncio.UdpStream(thread_pool, [(args.host, args.port)], config)
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

    n_heaps = args.heaps
    states = [State(adc_samples=lightspead.empty(heap_size, np.int8, allocator=allocator)) for _ in range(2)]
    start = time.perf_counter()
    for i in range(n_heaps):
        state = states[i % len(states)]
        await state.future  # the previous heap that used this memory must be sent first
        # i wrapped to int8, as the C++ version's cast does (numpy 2 refuses
        # fill(128) on int8; the seed's fill(i) stops at heap 128)
        state.adc_samples.fill((i + 128) % 256 - 128)
        item_group["timestamp"].value = i * heap_size
        item_group["adc_samples"].value = state.adc_samples
        heap = item_group.get_heap()
        state.future = stream.async_send_heap(heap)
    for state in states:
        await state.future
    elapsed = time.perf_counter() - start
    print(f"{heap_size * n_heaps / elapsed / 1e6:.2f} MB/s")

    # Tell the receiver that the stream has ended
    await stream.async_send_heap(item_group.get_end())


if __name__ == "__main__":
    asyncio.run(main())
