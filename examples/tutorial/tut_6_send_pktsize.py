#!/usr/bin/env python3
"""Tutorial 6: packet size. As tutorial 5, with the packet size as an option
(-p): bigger packets mean fewer per-packet costs."""

import argparse
import asyncio
import time

import numpy as np

import lightspead
import lightspead.send
import lightspead.send.asyncio


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", "--heaps", type=int, default=1000)
    parser.add_argument("-p", "--packet-size", type=int)
    parser.add_argument("host", type=str)
    parser.add_argument("port", type=int)
    args = parser.parse_args()

    thread_pool = lightspead.ThreadPool(1, [0])
    lightspead.ThreadPool.set_affinity(1)
    config = lightspead.send.StreamConfig(rate=0.0, max_heaps=2)
    if args.packet_size is not None:
        config.max_packet_size = args.packet_size
    stream = lightspead.send.asyncio.UdpStream(thread_pool, [(args.host, args.port)], config)
    heap_size = 1024 * 1024
    item_group = lightspead.send.ItemGroup()
    item_group.add_item(0x1600, "timestamp", "Index of the first sample",
                        shape=(), format=[("u", lightspead.Flavour().heap_address_bits)])
    item_group.add_item(0x3300, "adc_samples", "ADC converter output",
                        shape=(heap_size,), dtype=np.int8)
    old_future = None
    start = time.perf_counter()
    for i in range(args.heaps):
        item_group["timestamp"].value = i * heap_size
        # a fresh array each time, of i wrapped to int8 as the C++ version casts it
        item_group["adc_samples"].value = np.full(heap_size, (i + 128) % 256 - 128, np.int8)
        future = stream.async_send_heap(item_group.get_heap())
        # Only now wait for the previous heap: it was sent while we filled this one
        if old_future is not None:
            await old_future
        old_future = future
    await old_future
    elapsed = time.perf_counter() - start
    print(f"{heap_size * args.heaps / elapsed / 1e6:.2f} MB/s")
    await stream.async_send_heap(item_group.get_end())


if __name__ == "__main__":
    asyncio.run(main())
