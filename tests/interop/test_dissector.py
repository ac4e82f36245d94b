"""The Wireshark dissector (tools/wireshark/spead.lua) under tshark, on pcap
files lightspead-capture writes of streams lightspead sends: every field
tshark shows is checked against the packets, decoded here independently;
malformed packets are flagged, never a Lua error."""

import json
import os
import shutil
import signal
import struct
import subprocess
import time

import numpy as np
import pytest

import lightspead
import lightspead.send
from test_tools import finish, free_port, wait_bound, write_pcap

HERE = os.path.dirname(os.path.abspath(__file__))
DISSECTOR = os.path.join(HERE, "..", "..", "tools", "wireshark", "spead.lua")

pytestmark = pytest.mark.skipif(shutil.which("tshark") is None,
                                reason="tshark is not installed (make test-interop installs it)")


def tshark(pcap, *args, port=None):
    prefs = ["-o", f"spead.ports:{port}"] if port else []
    result = subprocess.run(["tshark", "-X", f"lua_script:{DISSECTOR}", *prefs, "-r", str(pcap), *args],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Lua Error" not in result.stdout + result.stderr, result.stdout + result.stderr
    return result.stdout


def decode(datagram):
    """A SPEAD packet's header fields and item pointers (written from the protocol notes)."""
    id_width, addr_width, n = datagram[2], datagram[3], struct.unpack(">H", datagram[6:8])[0]
    bits = addr_width * 8
    items = []
    for i in range(n):
        raw = struct.unpack(">Q", datagram[8 + 8 * i:16 + 8 * i])[0]
        items.append((raw >> 63, (raw >> bits) & ((1 << (63 - bits)) - 1), raw & ((1 << bits) - 1)))
    specials = {item_id: value for immediate, item_id, value in items if immediate}
    return {"flavour": f"SPEAD-64-{bits}", "heap_cnt": specials[1], "heap_size": specials.get(2),
            "offset": specials[3], "length": specials[4], "items": items, "id_width": id_width}


def capture_stream(tools, tmp_path, send):
    """Run send(port) while lightspead-capture writes a pcap; return its path and the datagrams sent."""
    port = free_port()
    pcap = tmp_path / "stream.pcap"
    cap = subprocess.Popen([tools["capture"], "--json", "--interval", "0", str(pcap), f"127.0.0.1:{port}"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_bound(port)
    send(port)
    time.sleep(0.3)
    cap.send_signal(signal.SIGINT)
    rc, out, err = finish(cap)
    assert rc == 0, err
    return pcap, port, json.loads(out)["packets"]


def send_varied_stream(port, bits):
    """Start, two heaps with immediates, addressed items and descriptors (format and shape), stop."""
    flavour = lightspead.Flavour(4, 64, bits, 0)
    # Packets big enough for the descriptors to travel whole (the dissector
    # decodes a descriptor when all of it is in one packet), small enough
    # that the samples take several.
    config = lightspead.send.StreamConfig(max_packet_size=2048, rate=100e6)
    stream = lightspead.send.UdpStream(lightspead.ThreadPool(), [("127.0.0.1", port)], config)
    ig = lightspead.send.ItemGroup(flavour=flavour)
    # IDs below 128, so that SPEAD-64-56 (7-bit IDs) can carry them too
    ig.add_item(0x60, "timestamp", "Sample counter", shape=(), format=[("u", bits)])
    ig.add_item(0x61, "samples", "ADC samples", shape=(None,), format=[("i", 8)])
    ig.add_item(0x62, "gains", "Per-channel gains", shape=(4, 2), dtype=np.float32)
    stream.send_heap(ig.get_start())
    for i in range(2):
        ig["timestamp"].value = 1000 + i
        ig["samples"].value = np.arange(3000, dtype=np.int8)
        ig["gains"].value = np.full((4, 2), i, np.float32)
        stream.send_heap(ig.get_heap(descriptors="all", data="all"))
    stream.send_heap(ig.get_end())


@pytest.fixture(scope="module")
def tools(build_dir):
    return {"capture": os.path.join(build_dir, "tools", "lightspead-capture")}


@pytest.mark.parametrize("bits", [40, 48, 56, 16])
def test_every_field_matches_the_packets(tools, tmp_path, bits):
    pcap, port, n_packets = capture_stream(tools, tmp_path, lambda port: send_varied_stream(port, bits))
    # The datagrams as captured (read back with the reader lightspead's tests trust)
    datagrams = read_pcap_payloads(pcap)
    assert len(datagrams) == n_packets
    fields = ["spead.flavour", "spead.heap_cnt", "spead.heap_size", "spead.payload_offset", "spead.payload_length",
              "spead.item.id", "spead.item.immediate", "spead.item.value", "spead.item.address",
              "spead.stream_control", "spead.descriptor.name", "spead.descriptor.id", "_ws.expert"]
    out = tshark(pcap, "-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,",
                 *sum((["-e", f] for f in fields), []))
    rows = [dict(zip(fields, line.split("|"))) for line in out.splitlines()]
    assert len(rows) == n_packets
    names = set()
    controls = []
    for row, datagram in zip(rows, datagrams):
        p = decode(datagram)
        assert row["spead.flavour"].split(",")[0] == p["flavour"]
        # the outer packet's fields come first; descriptors carried in it add their own after
        assert int(row["spead.heap_cnt"].split(",")[0]) == p["heap_cnt"]
        assert int(row["spead.payload_offset"].split(",")[0]) == p["offset"]
        assert int(row["spead.payload_length"].split(",")[0]) == p["length"]
        assert int(row["spead.heap_size"].split(",")[0]) == p["heap_size"]
        ids = [int(x, 16) for x in row["spead.item.id"].split(",")]
        assert ids[:len(p["items"])] == [item_id for _, item_id, _ in p["items"]]
        immediates = row["spead.item.immediate"].split(",")[:len(p["items"])]
        assert immediates == ["1" if imm else "0" for imm, _, _ in p["items"]]
        values = [int(x) for x in row["spead.item.value"].split(",") if x]
        addresses = [int(x) for x in row["spead.item.address"].split(",") if x]
        assert values[:sum(imm for imm, _, _ in p["items"])] == [v for imm, _, v in p["items"] if imm]
        assert addresses[:sum(1 - imm for imm, _, _ in p["items"])] == [v for imm, _, v in p["items"] if not imm]
        if row["spead.stream_control"]:
            controls.append(int(row["spead.stream_control"]))
        names.update(n for n in row["spead.descriptor.name"].split(",") if n)
        assert row["_ws.expert"] == ""  # nothing flagged in a good stream
    assert controls == [0, 2]
    assert names == {"timestamp", "samples", "gains"}


def test_descriptors_decoded_in_the_tree(tools, tmp_path):
    pcap, port, _ = capture_stream(tools, tmp_path, lambda port: send_varied_stream(port, 48))
    out = tshark(pcap, "-V")
    assert "Flavour: SPEAD-64-48" in out
    assert "Descriptor: timestamp" in out and "Description: Sample counter" in out
    assert "Format: [(u, 48)]" in out and "Shape: ()" in out
    assert "Descriptor: samples" in out and "Format: [(i, 8)]" in out and "Shape: (?)" in out
    assert "Descriptor: gains" in out and "Numpy header: {'descr': '<f4', 'fortran_order': False, 'shape': (4, 2)}" \
        in out
    assert "Described item ID: 0x0000000000000062" in out
    assert "Stream control: 0 (stream start)" in out and "Stream control: 2 (stream stop)" in out


def packet(pointers, payload=b"", id_width=3, addr_width=5, n=None):
    head = bytes([0x53, 4, id_width, addr_width, 0, 0]) + struct.pack(">H", len(pointers) if n is None else n)
    bits = addr_width * 8
    body = b"".join(struct.pack(">Q", (imm << 63) | (item_id << bits) | value) for imm, item_id, value in pointers)
    return head + body + payload


SPECIALS = [(1, 1, 7), (1, 2, 4), (1, 3, 0), (1, 4, 4)]


@pytest.mark.parametrize("datagram,why", [
    (b"\x53\x04\x03\x05\x00", "shorter than a SPEAD header"),
    (packet(SPECIALS, b"abcd", id_width=4, addr_width=5), "do not make 64 bits"),
    (packet(SPECIALS, b"abcd", n=200), "do not fit"),
    (packet(SPECIALS[1:], b"abcd"), "missing"),
    (packet([(1, 1, 7), (1, 2, 4), (1, 3, 0), (1, 4, 40)], b"abcd"), "runs past"),
    (packet([(1, 1, 7), (1, 2, 4), (1, 3, 2), (1, 4, 4)], b"abcd"), "beyond the heap length"),
    (packet(SPECIALS, b"abcd") + b"extra", "holds a packet of"),
    (packet(SPECIALS + [(0, 5, 0)], b"\x53\x04\x03\x05"), "shorter than a SPEAD header"),  # bad descriptor
])
def test_malformed_packets_are_flagged(tmp_path, datagram, why):
    pcap = tmp_path / "bad.pcap"
    port = 7777
    write_pcap(pcap, [datagram], port)
    out = tshark(pcap, "-V", port=port)
    assert "Malformed SPEAD packet" in out or "[Expert Info (Error/Malformed)" in out, out
    assert why in out, out


def read_pcap_payloads(path):
    """UDP payloads of an Ethernet pcap file (either timestamp resolution)."""
    data = open(path, "rb").read()
    assert struct.unpack("<I", data[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D)
    assert struct.unpack("<I", data[20:24])[0] == 1
    off, out = 24, []
    while off < len(data):
        caplen = struct.unpack("<I", data[off + 8:off + 12])[0]
        frame = data[off + 16:off + 16 + caplen]
        ethertype = struct.unpack(">H", frame[12:14])[0]
        ip_len = 40 if ethertype == 0x86DD else (frame[14] & 0xF) * 4
        out.append(frame[14 + ip_len + 8:])
        off += 16 + caplen
    return out


def test_heuristic_finds_spead_on_any_port(tools, tmp_path):
    """No port preference: the heuristic picks the stream up; a UDP datagram that is not SPEAD is left alone."""
    pcap = tmp_path / "mixed.pcap"
    write_pcap(pcap, [packet(SPECIALS, b"abcd"), b"not spead at all"], 40404)
    out = tshark(pcap)
    lines = out.splitlines()
    assert "SPEAD-64-40 heap 7, offset 0, 4 bytes" in lines[0]
    assert "SPEAD" not in lines[1]
