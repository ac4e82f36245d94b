#!/usr/bin/env python3
"""Tutorial 11: a sender for small heaps that hands them to the stream in
batches, one completion per batch instead of one per heap. Two batches of
about 512 KiB each: one is on the wire while the other is refilled. The
Python interpreter runs per batch, not per heap: numpy fills a whole batch
in one step."""

import argparse
import asyncio
import time
from dataclasses import dataclass, field

import numpy as np

import lightspead
import lightspead.send
import lightspead.send.asyncio


@dataclass
class Batch:
    adc_samples: np.ndarray  # one row per heap
    timestamps: np.ndarray  # big-endian uint64, one per heap
    heaps: lightspead.send.HeapReferenceList
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
    n_batches = 2
    batch_heaps = max(2, 512 * 1024 // args.heap_size)
    heap_size = args.heap_size
    # The samples and timestamps of every batch in one region of huge pages,
    # faulted in now rather than while sending, which the stream registers
    # with the kernel once: packets from it skip the pinning of their pages.
    # (room for every batch's samples and timestamps, each array rounded up
    # to the allocator's alignment)
    allocator = lightspead.send.RegisteredAllocator(
        n_batches * (batch_heaps * (heap_size + 8) + 2 * lightspead.send.RegisteredAllocator.ALIGNMENT)
    )
    # Room for both batches at once
    config = lightspead.send.StreamConfig(rate=0.0, max_heaps=n_batches * batch_heaps, registered_allocator=allocator)
    # Small heaps too go to the kernel without copying: their memory is on
    # huge pages, where a packet's payload is one piece.
    config.zerocopy = lightspead.send.ZerocopyMode.ON
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

    def make_heaps(adc_samples: np.ndarray, timestamps: np.ndarray, first: bool) -> lightspead.send.HeapReferenceList:
        """A batch's heaps over the rows of the arrays; the very first heap
        of the stream also carries the descriptors."""
        heaps = []
        for j in range(batch_heaps):
            # timestamps[j, ...] is a 0-d view into timestamps (timestamps[j]
            # would be a copy), so the heap follows later writes
            item_group["timestamp"].value = timestamps[j, ...]
            item_group["adc_samples"].value = adc_samples[j, ...]
            descriptors = "all" if first and j == 0 else "none"
            heaps.append(lightspead.send.HeapReference(item_group.get_heap(descriptors=descriptors, data="all")))
        # One object holding every heap: sending it costs no per-heap Python work
        return lightspead.send.HeapReferenceList(heaps)

    samples = lightspead.empty((n_batches, batch_heaps, heap_size), np.int8, allocator=allocator)
    batches = []
    for b in range(n_batches):
        adc_samples = samples[b]
        timestamps = lightspead.empty(batch_heaps, ">u8", allocator=allocator)
        timestamps.fill(0)
        batches.append(Batch(adc_samples, timestamps, make_heaps(adc_samples, timestamps, False)))
    first_heaps = make_heaps(batches[0].adc_samples, batches[0].timestamps, True)

    n_heaps = args.heaps
    start = time.perf_counter()
    for i in range(0, n_heaps, batch_heaps):
        batch = batches[(i // batch_heaps) % len(batches)]
        await batch.future  # the batch last sent from this memory must be on the wire first
        end = min(i + batch_heaps, n_heaps)  # the last batch may be short
        n = end - i
        # Heap j of the batch is filled with its index wrapped to int8, as
        # the C++ version's cast does
        batch.adc_samples[:n] = np.arange(i, end).astype(np.int8)[:, np.newaxis]
        batch.timestamps[:n] = np.arange(i * heap_size, end * heap_size, heap_size)
        heaps = first_heaps if i == 0 else batch.heaps
        if n < batch_heaps:
            heaps = heaps[:n]
        # Each heap's packets in turn, as if sent one by one
        batch.future = stream.async_send_heaps(heaps, lightspead.send.GroupMode.SERIAL)
    for batch in batches:
        await batch.future
    elapsed = time.perf_counter() - start
    print(f"{heap_size * n_heaps / elapsed / 1e6:.2f} MB/s")

    # Tell the receiver that the stream has ended
    await stream.async_send_heap(item_group.get_end())


if __name__ == "__main__":
    asyncio.run(main())
