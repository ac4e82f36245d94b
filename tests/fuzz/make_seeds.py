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
        length = next(p & ((1 << bits) - 1) for p in pointers
                      if (p >> bits) & ((1 << (63 - bits)) - 1) == 4 and p >> 63)
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


def udp_frames(payload):
    """The same UDP datagram in every framing the pcap reader knows: (link byte, frame)."""
    udp = struct.pack(">HHHH", 7148, 7149, 8 + len(payload), 0) + payload
    v4 = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                     bytes([127, 0, 0, 1]), bytes([127, 0, 0, 2])) + udp
    v6 = struct.pack(">IHBB16s16s", 0x60000000, len(udp), 17, 64, bytes(15) + b"\1", bytes(15) + b"\2") + udp
    mac = bytes(range(12))
    return [
        (0, mac + struct.pack(">H", 0x0800) + v4),                          # Ethernet
        (0, mac + struct.pack(">HHH", 0x8100, 100, 0x86dd) + v6),           # VLAN, IPv6
        (0, mac + struct.pack(">HHHHH", 0x88a8, 1, 0x8100, 2, 0x0800) + v4),  # QinQ
        (1, v4), (1, v6),                                                   # raw IP
        (2, bytes(14) + struct.pack(">H", 0x0800) + v4),                    # Linux cooked
        (2, bytes(14) + struct.pack(">H", 0x86dd) + v6),
    ]


def pcap_file(link, frames, order="<", magic=0xA1B2C3D4, damage=None):
    """A capture of frames; damage "huge" gives the second record an
    impossible length, "cut" ends the file inside the last record."""
    link_type = {0: 1, 1: 101, 2: 113}[link]     # Ethernet, raw IP, Linux cooked
    out = struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, 65535, link_type)
    for k, frame in enumerate(frames):
        stated = 0x7FFFFFF0 if damage == "huge" and k == 1 else len(frame)
        if damage == "cut" and k == len(frames) - 1:
            frame = frame[:len(frame) // 2]
        out += struct.pack(order + "IIII", 1700000000 + k, 1000 * k, stated, stated if damage else len(frame)) + frame
    return out


def pcap_seeds(out):
    data = stream_bytes(48, 1472)
    for link in (0, 1, 2):
        frames = [next(f for lk, f in udp_frames(p) if lk == link) for p in packets(data)]
        with open(os.path.join(out, "pcap", f"link-{link}"), "wb") as f:
            f.write(pcap_file(link, frames))
        if link == 0:
            variants = {"big-endian": dict(order=">"), "nanoseconds": dict(magic=0xA1B23C4D),
                        "huge-record": dict(damage="huge"), "cut-short": dict(damage="cut")}
            for name, kwargs in variants.items():
                with open(os.path.join(out, "pcap", name), "wb") as f:
                    f.write(pcap_file(link, frames, **kwargs))


def main():
    out = sys.argv[1]
    os.makedirs(os.path.join(out, "pcap"), exist_ok=True)
    pcap_seeds(out)
    for name in ("packet", "descriptor", "stream", "chunk_stream", "framing", "captured_frame"):
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
            # chunk_stream: a settings byte (max_chunks, packet presence), a
            # byte shaping the place callback, then the same packets
            for shape in (0, 3, 0x85):
                settings = (n % 8) | ((shape % 4) << 4) | (8 if shape == 3 else 0)
                with open(os.path.join(out, "chunk_stream", f"{bits}-{size}-{shape}"), "wb") as f:
                    f.write(bytes([settings, shape]) + framed[1:])
            # framing: a limits/pieces byte, then the stream as TCP carries it,
            # whole, with junk in front, and cut short
            for k, (prefix, cut) in enumerate([(b"", 0), (b"\x53\x04junk\x53", 0), (b"", 17)]):
                body = prefix + (data[:-cut] if cut else data)
                with open(os.path.join(out, "framing", f"{bits}-{size}-{k}"), "wb") as f:
                    f.write(bytes([(n * 8 + k * 3) % 256]) + body)
            if size == 1472:
                for k, (link, frame) in enumerate(udp_frames(packets(data)[0])):
                    with open(os.path.join(out, "captured_frame", f"{bits}-{k}"), "wb") as f:
                        f.write(bytes([link]) + frame)
            n += 1
        # framing: junk of candidate headers with many item pointers, some of
        # them the special ones, in front of the stream at each offset
        # modulo 8 (the stream_framer's index of pointers)
        if bits == 48:
            data = stream_bytes(bits, 200)
            many = b"S\x04\x02\x06\x00\x00\x00\x40"
            special = [struct.pack(">Q", (1 << 63) | (i << 48) | v) for i, v in ((1, 7), (2, 4096), (3, 0), (4, 300))]
            junk_kinds = [many * 64, (many + b"".join(special)) * 24, (many + b"".join(special[:3])) * 32]
            for k, junk in enumerate(junk_kinds):
                for shift in (0, 3, 5):
                    with open(os.path.join(out, "framing", f"junk-{k}-{shift}"), "wb") as f:
                        f.write(bytes([(k * 8 + shift * 5) % 256]) + b"\x00" * shift + junk + data)
        # descriptor: the value of each descriptor item, behind a compat byte
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
