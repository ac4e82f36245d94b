"""Real sockets over a lossy, reordering network built from network
namespaces that this test creates and removes:

    sender ns --veth--> router ns ==fast veth==> receiver ns
                                  \\=slow veth=/ (token-bucket qdisc)

In the router, nftables sends a random eighth of the SPEAD packets down the
slow path, where a token bucket holds them back so that later packets
overtake them (reordering within and across heaps), and drops every 50th
large packet (a fixed fraction, deterministic in the order the packets
leave the sender). Several thousand heaps go through; the test checks that
every complete heap is exactly what was sent, that each heap with a
dropped packet comes out as an incomplete heap, that no heap comes out
twice, and that the counters of the network and of the stream together
explain every packet the sender sent.
"""

import contextlib
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import lightspead
import lightspead.send

PORT = 7148
N_HEAPS = 3000
HEAP_SIZE = 65536
PACKET_SIZE = 8000
DROP_EVERY = 50          # nftables drops every 50th large packet
SLOW_PATH_SHARE = 8      # one packet in 8 takes the slow path
RECEIVER_ADDR = "10.77.2.2"

# Heaps carry their index and a payload derived from it, so the receiver can
# check every byte without being told what was sent.
COMMON = """
import numpy as np
def payload(index, size):
    return ((np.arange(size, dtype=np.int64) * 7 + index * 13) % 251).astype(np.uint8)
"""

SENDER = COMMON + """
import sys, time
import lightspead, lightspead.send
addr, port, n_heaps, heap_size, packet_size = sys.argv[1], int(sys.argv[2]), *map(int, sys.argv[3:6])
pool = lightspead.ThreadPool()
config = lightspead.send.StreamConfig(max_packet_size=packet_size, rate=40e6, max_heaps=8)
stream = lightspead.send.UdpStream(pool, [(addr, port)], config)
ig = lightspead.send.ItemGroup()
ig.add_item(0x1000, "index", "", shape=(), format=[("u", 32)])
ig.add_item(0x1001, "data", "", shape=(heap_size,), dtype=np.uint8)
for i in range(n_heaps):
    ig["index"].value = i
    ig["data"].value = payload(i, heap_size)
    stream.send_heap(ig.get_heap(descriptors="all", data="all"))
# Let the slow path drain before the stop heap, which would otherwise
# overtake the last data packets and stop the receiver before they arrive.
time.sleep(1.0)
stream.send_heap(ig.get_end())
"""

RECEIVER = COMMON + """
import json, socket, struct, sys, threading
import lightspead, lightspead.recv

port, heap_size = int(sys.argv[1]), int(sys.argv[2])

# Sniff every SPEAD packet that reaches this namespace, in arrival order, to
# prove that the network really reordered them.
sniffer = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
sniffer.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)   # SO_RCVBUFFORCE
sniffed = []
def sniff():
    while True:
        frame = sniffer.recv(256)
        if len(frame) < 14 + 20 + 8 + 8 or frame[14 + 9] != 17:
            continue
        ihl = (frame[14] & 0xF) * 4
        udp = 14 + ihl
        if struct.unpack(">H", frame[udp + 2:udp + 4])[0] != port:
            continue
        spead = udp + 8
        n_items = struct.unpack(">H", frame[spead + 6:spead + 8])[0]
        cnt = offset = None
        for k in range(min(n_items, 8)):
            start = spead + 8 + 8 * k
            if start + 8 > len(frame):
                break
            word = struct.unpack(">Q", frame[start:start + 8])[0]
            item_id, value = (word >> 40) & 0x7FFFFF, word & ((1 << 40) - 1)
            if item_id == 1:
                cnt = value
            elif item_id == 3:
                offset = value
        if cnt is not None and offset is not None:
            sniffed.append((cnt, offset))
threading.Thread(target=sniff, daemon=True).start()

config = lightspead.recv.StreamConfig(max_heaps=16, allow_out_of_order=True)
ring = lightspead.recv.RingStreamConfig(heaps=64, contiguous_only=False)
stream = lightspead.recv.Stream(lightspead.ThreadPool(), config, ring)
stream.add_udp_reader(port, buffer_size=32 << 20)
print("ready", flush=True)

ig = lightspead.ItemGroup()
complete, incomplete, bad, cnt_minus_index = [], [], [], set()
for heap in stream:
    if isinstance(heap, lightspead.recv.IncompleteHeap):
        incomplete.append([heap.cnt, heap.heap_length, heap.received_length])
        continue
    updated = ig.update(heap)
    index = int(updated["index"].value)
    if not np.array_equal(updated["data"].value, payload(index, heap_size)):
        bad.append(heap.cnt)
    complete.append(heap.cnt)
    cnt_minus_index.add(heap.cnt - index)

stats = dict(stream.stats.items())
stats.update(stream.discard_stats.items())
inversions, highest = 0, (-1, -1)
for key in list(sniffed):
    if key < highest:
        inversions += 1
    highest = max(highest, key)
print(json.dumps({"complete": complete, "incomplete": incomplete, "bad": bad,
                  "cnt_minus_index": sorted(cnt_minus_index), "stats": stats,
                  "sniffed": len(sniffed), "inversions": inversions}), flush=True)
"""


def _run(*args, **kwargs):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kwargs)


def _usable():
    if os.geteuid() != 0 or not all(shutil.which(tool) for tool in ("ip", "nft", "tc", "ethtool")):
        return False
    probe = f"lsp-probe-{os.getpid()}"
    try:
        _run("ip", "netns", "add", probe)
    except (subprocess.CalledProcessError, OSError):
        return False
    _run("ip", "netns", "del", probe)
    return True


@contextlib.contextmanager
def lossy_network():
    """Builds the three namespaces; yields their names and removes them."""
    tag = os.getpid()
    sender, router, receiver = (f"lsp-{role}-{tag}" for role in ("snd", "rtr", "rcv"))
    names = []
    try:
        for ns in (sender, router, receiver):
            _run("ip", "netns", "add", ns)
            names.append(ns)

        def in_ns(ns, *args):
            return _run("ip", "netns", "exec", ns, *args)

        def link(a_ns, a, b_ns, b, a_addr, b_addr):
            in_ns(a_ns, "ip", "link", "add", a, "mtu", "9000", "type", "veth", "peer", "name", b,
                  "netns", b_ns, "mtu", "9000")
            in_ns(a_ns, "ip", "addr", "add", a_addr, "dev", a)
            in_ns(b_ns, "ip", "addr", "add", b_addr, "dev", b)
            in_ns(a_ns, "ip", "link", "set", a, "up")
            in_ns(b_ns, "ip", "link", "set", b, "up")

        link(sender, "s0", router, "r0", "10.77.1.1/24", "10.77.1.2/24")
        link(router, "fast", receiver, "fast", "10.77.2.1/24", "10.77.2.2/24")
        link(router, "slow", receiver, "slow", "10.77.3.1/24", "10.77.3.2/24")
        for ns in names:
            in_ns(ns, "ip", "link", "set", "lo", "up")
        # The sender's GSO super-packets are split on the way out, so the
        # router sees (and drops and reorders) single SPEAD packets.
        in_ns(sender, "ethtool", "-K", "s0", "tx-udp-segmentation", "off")
        in_ns(sender, "ip", "route", "add", "default", "via", "10.77.1.2")
        in_ns(receiver, "ip", "route", "add", "default", "via", "10.77.2.1")
        in_ns(router, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
        # Packets for the fast address arrive over the slow link too.
        for conf in ("all", "default", "fast", "slow"):
            in_ns(receiver, "sysctl", "-q", "-w", f"net.ipv4.conf.{conf}.rp_filter=0")
        in_ns(router, "ip", "rule", "add", "fwmark", "1", "table", "100")
        in_ns(router, "ip", "route", "add", RECEIVER_ADDR, "via", "10.77.3.2", "dev", "slow", "table", "100")
        # 100 Mbit/s carries the slow path's share (5 MB/s of 40) with room to
        # spare but holds each burst back by milliseconds.
        in_ns(router, "tc", "qdisc", "add", "dev", "slow", "root", "tbf", "rate", "100mbit",
              "burst", "16kb", "latency", "2s")
        subprocess.run(["ip", "netns", "exec", router, "nft", "-f", "-"], check=True, text=True, input=f"""
            table ip lossy {{
                chain route_mark {{
                    type filter hook prerouting priority mangle; policy accept;
                    udp dport {PORT} counter meta mark set numgen random mod {SLOW_PATH_SHARE}
                }}
                chain drop_some {{
                    type filter hook forward priority filter; policy accept;
                    udp dport {PORT} udp length > 1000 numgen inc mod {DROP_EVERY} 0 counter drop
                }}
            }}
        """)
        subprocess.run(["ip", "netns", "exec", receiver, "nft", "-f", "-"], check=True, text=True, input=f"""
            table ip arrivals {{
                chain count {{
                    type filter hook input priority filter; policy accept;
                    udp dport {PORT} counter
                }}
            }}
        """)
        yield sender, router, receiver
    finally:
        for ns in names:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def nft_counter(ns, table, chain):
    """Packets counted by the (single) counter in a chain."""
    out = json.loads(_run("ip", "netns", "exec", ns, "nft", "-j", "list", "chain", "ip", table, chain).stdout)
    for entry in out["nftables"]:
        for expr in entry.get("rule", {}).get("expr", []):
            if "counter" in expr:
                return expr["counter"]["packets"]
    raise AssertionError(f"no counter in {table}/{chain}")


def qdisc_drops(ns, dev):
    out = json.loads(_run("ip", "netns", "exec", ns, "tc", "-s", "-j", "qdisc", "show", "dev", dev).stdout)
    return sum(q.get("drops", 0) for q in out)


def packet_sizes(heap):
    """The sizes of the packets the sender makes of a heap: encode it into
    bytes and walk the packet headers."""
    stream = lightspead.send.BytesStream(lightspead.ThreadPool(),
                                         lightspead.send.StreamConfig(max_packet_size=PACKET_SIZE))
    stream.send_heap(heap)
    data = stream.getvalue()
    pos, sizes = 0, []
    while pos < len(data):
        assert data[pos] == 0x53
        n_items = int.from_bytes(data[pos + 6:pos + 8], "big")
        pointers = data[pos + 8:pos + 8 + 8 * n_items]
        length = next(int.from_bytes(pointers[k:k + 8], "big") & ((1 << 40) - 1)
                      for k in range(0, len(pointers), 8)
                      if (int.from_bytes(pointers[k:k + 8], "big") >> 40) & 0x7FFFFF == 4)
        sizes.append(8 + 8 * n_items + length)
        pos += sizes[-1]
    return sizes


@pytest.mark.skipif(not _usable(), reason="needs root, network namespaces, nft, tc and ethtool")
def test_lossy_reordering_network():
    ig = lightspead.send.ItemGroup()
    ig.add_item(0x1000, "index", "", shape=(), format=[("u", 32)], value=0)
    ig.add_item(0x1001, "data", "", shape=(HEAP_SIZE,), dtype=np.uint8, value=np.zeros(HEAP_SIZE, np.uint8))
    sizes = packet_sizes(ig.get_heap(descriptors="all", data="all"))
    packets_sent = N_HEAPS * len(sizes) + 1        # and one stop packet
    # The rule counts packets with a UDP length over 1000 from 0 and drops
    # those whose count is a multiple of DROP_EVERY.
    large = N_HEAPS * sum(1 for size in sizes if 8 + size > 1000)
    expected_drops = -(-large // DROP_EVERY)

    with lossy_network() as (sender_ns, router_ns, receiver_ns):
        receiver = subprocess.Popen(
            ["ip", "netns", "exec", receiver_ns, sys.executable, "-c", RECEIVER, str(PORT), str(HEAP_SIZE)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert receiver.stdout.readline().strip() == "ready", receiver.stderr.read()
            _run("ip", "netns", "exec", sender_ns, sys.executable, "-c", SENDER, RECEIVER_ADDR, str(PORT),
                 str(N_HEAPS), str(HEAP_SIZE), str(PACKET_SIZE), timeout=120)
            out, err = receiver.communicate(timeout=60)
        finally:
            receiver.kill()
        assert receiver.returncode == 0, err
        result = json.loads(out)
        seen_by_router = nft_counter(router_ns, "lossy", "route_mark")
        dropped_by_rule = nft_counter(router_ns, "lossy", "drop_some")
        dropped_by_qdisc = qdisc_drops(router_ns, "slow") + qdisc_drops(router_ns, "fast")
        arrived = nft_counter(receiver_ns, "arrivals", "count")

    stats = result["stats"]
    complete, incomplete = result["complete"], result["incomplete"]
    print(f"{packets_sent} packets sent, {dropped_by_rule} dropped by nftables, {dropped_by_qdisc} by qdiscs, "
          f"{stats['kernel_dropped']} by the receiver's socket; {len(complete)} complete and "
          f"{len(incomplete)} incomplete heaps; {result['inversions']} of {result['sniffed']} sniffed "
          f"packets arrived after a later one")

    # The network: every packet the sender made reached the router, and the
    # router either dropped it (counted) or delivered it.
    assert seen_by_router == packets_sent
    assert dropped_by_rule == expected_drops
    assert arrived == seen_by_router - dropped_by_rule - dropped_by_qdisc
    # The receiver: every packet that arrived was read or counted as lost by
    # the kernel, and every packet read was accepted or counted as discarded.
    assert stats["packets"] + stats["kernel_dropped"] == arrived
    discarded = sum(v for k, v in stats.items() if k.startswith("packets_") and k != "packets_accepted")
    assert stats["packets_accepted"] + discarded == stats["packets"]
    # Reordering was allowed, nothing was evicted too early: no discards.
    assert discarded == 0, stats
    assert result["inversions"] > 0, "the network did not reorder anything"

    # Heaps: every heap came out exactly once, complete and correct or
    # incomplete; a complete heap is never corrupt.
    assert result["bad"] == []
    assert len(result["cnt_minus_index"]) == 1
    cnts = complete + [h[0] for h in incomplete]
    assert len(cnts) == len(set(cnts)) == N_HEAPS
    for _cnt, heap_length, received_length in incomplete:
        assert 0 < received_length < heap_length
    lost = dropped_by_rule + dropped_by_qdisc + stats["kernel_dropped"]
    # Each drop hits one heap; the rule's drops are 50 packets apart, so
    # they never share a heap.
    assert dropped_by_rule <= len(incomplete) <= lost
    assert stats["heaps"] == len(complete)
    assert stats["incomplete_heaps_evicted"] + stats["incomplete_heaps_flushed"] == len(incomplete)
