#!/usr/bin/env python3
"""Write the seed corpus of the fuzz harnesses (run with the lightspead
Python package installed). Seeds are valid inputs: the fuzzers mutate them
to reach the deeper checks. Usage: make_seeds.py OUTPUT_DIR"""

import os
import struct
import sys

import numpy as np

import lightspead
import lightspead.send


def packets(data):
    out, pos = [], 0
    while pos < len(data):
        n = struct.unpack(">H", data[pos + 6:pos + 8])[0]
        pointers = [struct.unpack(">Q", data[pos + 8 + 8 * k:pos + 16 + 8 * k])[0] for k in range(n)]
        bits = data[pos + 3] * 8
        length = next(p & ((1 << bits) - 1) for p in pointers if (p >> bits) & ((1 << (63 - bits)) - 1) == 4 and p >> 63)
        out.append(data[pos:pos + 8 + 8 * n + length])
        pos += len(out[-1])
    return out


def stream_bytes(bits, max_packet_size, with_descriptors=True):
    ig = lightspead.send.ItemGroup(flavour=lightspead.Flavour(4, 64, bits, 0))
    ig.add_item(0x1600, "timestamp", "ts", shape=(), format=[("u", bits)], value=7)
    ig.add_item(0x3300, "adc", "samples", shape=(300,), dtype=np.int8, value=np.arange(300).astype(np.int8))
    ig.add_item(0x3301, "label", "text", shape=(None,), format=[("c", 8)], value="hello")
    ig.add_item(0x3302, "packed", "bits", shape=(3,), format=[("u", 5), ("i", 3)], value=[(1, -1), (2, 0), (3, 1)])
    pool = lightspead.ThreadPool()
    stream = lightspead.send.BytesStream(pool, lightspead.send.StreamConfig(max_packet_size=max_packet_size))
    stream.send_heap(ig.get_heap(descriptors="all" if with_descriptors else "none"))
    stream.send_heap(ig.get_end())
    return stream.getvalue()


def main():
    out = sys.argv[1]
    for name in ("packet", "descriptor", "stream"):
        os.makedirs(os.path.join(out, name), exist_ok=True)
    n = 0
    for bits in (40, 48):
        for size in (88, 200, 1472):
            data = stream_bytes(bits, size)
            for k, p in enumerate(packets(data)[:4]):
                with open(os.path.join(out, "packet", f"{bits}-{size}-{k}"), "wb") as f:
                    f.write(p)
            # stream: flags byte, then length-prefixed packets
            framed = bytes([n % 8]) + b"".join(struct.pack(">H", len(p)) + p for p in packets(data))
            with open(os.path.join(out, "stream", f"{bits}-{size}"), "wb") as f:
                f.write(framed)
            n += 1
        # descriptor: the value of each descriptor item, behind a compat byte
        ig = lightspead.send.ItemGroup(flavour=lightspead.Flavour(4, 64, bits, 0))
        for item in [lightspead.Item(0x1000, "a", "fmt", shape=(3, None), format=[("u", 8), ("f", 32)]),
                     lightspead.Item(0x1001, "b", "dtype", shape=(4,), dtype=">i4", order="C")]:
            raw = item.to_raw(lightspead.Flavour(4, 64, bits, 0))
            heap = lightspead.send.Heap(lightspead.Flavour(4, 64, bits, 0))
            heap.add_raw_descriptor(*raw)
            pool = lightspead.ThreadPool()
            stream = lightspead.send.BytesStream(pool)
            stream.send_heap(heap)
            packet = packets(stream.getvalue())[0]
            header_len = 8 + 8 * struct.unpack(">H", packet[6:8])[0]
            with open(os.path.join(out, "descriptor", f"{bits}-{item.name}"), "wb") as f:
                f.write(bytes([0]) + packet[header_len:])


if __name__ == "__main__":
    main()
