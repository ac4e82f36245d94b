"""What the benchmark scripts in bench/ share: a free loopback port, the
MB/s figure a tutorial sender prints, the spead2 version of a Python
tutorial program, a receiver run while a sender sends to it, the seed's
transfer from tutorial 8 to tutorial 9, and the search for the highest
rate at which nothing is lost.
"""

import re
import socket
import subprocess
import time


def free_port():
    """A UDP port on 127.0.0.1 that nothing is bound to now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mbps(cmd):
    """Run cmd and return the first "N MB/s" figure it prints."""
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=600).stdout
    match = re.search(r"([0-9.e+]+) MB/s", out)
    if not match:
        raise RuntimeError(f"no MB/s figure from {cmd}: {out!r}")
    return float(match.group(1))


def spead2_version(source):
    """A Python tutorial program's source with spead2 (PyPI) in place of
    lightspead: the imports swapped, and what spead2 lacks taken out (its
    samples from np.ones as in spead2's own tutorial, for spead2 has no
    lightspead.empty, and no zero-copy setting or registered allocator)."""
    source = re.sub(r"lightspead\.empty\(", "np.ones(", source)
    source = re.sub(r",\s*(registered_)?allocator=allocator", "", source)
    source = "".join(line for line in source.splitlines(keepends=True)
                     if "ZerocopyMode" not in line and "RegisteredAllocator(" not in line)
    return source.replace("lightspead", "spead2")


def receive_while_sending(receiver_cmd, sender_cmd, startup, wait):
    """Start the receiver, give it startup seconds (memory pools, compiling,
    binding), run the sender to its end, then give the receiver wait
    seconds to see the end of the stream (it is killed after that: its stop
    heap was lost). Returns (receiver output, sender's stdout)."""
    receiver = subprocess.Popen(receiver_cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(startup)
        sender = subprocess.run(sender_cmd, capture_output=True, text=True, timeout=300, check=True)
        try:
            out, _ = receiver.communicate(timeout=wait)
        except subprocess.TimeoutExpired:
            receiver.kill()
            out, _ = receiver.communicate()
    finally:
        if receiver.poll() is None:
            receiver.kill()
    return out, sender.stdout


def highest_lossless_rate(trial, start, tolerance=1.05, log=print):
    """The highest rate (MB/s) at which trial(rate) loses nothing, by search.

    trial(rate) runs one paced transfer and returns (lossless, sender MB/s).
    The rate grows by half from start while trials are lossless, then is
    bisected between the last lossless and the first lossy rate until they
    are within the tolerance ratio. A paced sender may fall somewhat short
    of its rate when it has to share the CPU with the receiver; one that
    falls far short (below 75%) is at its own limit, and a lossless trial
    there ends the search. Returns (rate, achieved, sender-limited): the
    highest lossless rate asked for, and the MB/s the sender reached in
    that trial, which is the figure to quote (on a busy machine a paced
    sender falls short of its rate)."""
    good, bad = None, None
    reached = {}

    def probe(rate):
        """One trial; records the rate as good or bad. Returns (lossless, achieved)."""
        nonlocal good, bad
        lossless, achieved = trial(rate)
        log(rate, lossless, achieved)
        if lossless:
            good = rate
            reached[rate] = achieved
        else:
            bad = rate
        return lossless, achieved

    rate = start
    while bad is None:
        lossless, achieved = probe(rate)
        if lossless and achieved < 0.75 * rate:
            return rate, achieved, True
        rate *= 1.5
    # Lossy from the start: search downwards
    rate = start
    while good is None:
        rate /= 2
        if rate < start / 64:
            raise RuntimeError(f"every trial lost data, down to {rate * 2:.0f} MB/s")
        probe(rate)
    while bad / good > tolerance:
        probe((good * bad) ** 0.5)
    return good, reached[good], False


class TutorialRun:
    """One transfer over loopback: a tutorial-9 receiver (lightspead's or
    spead2's, both print a line per heap and "Received N heaps") taking
    heaps of heap_size from lightspead's tutorial-8 sender, paced at rate
    MB/s (0: unpaced), 9000-byte packets."""

    def __init__(self, receiver, sender, heaps, heap_size, rate, quiet=False):
        port = str(free_port())
        self.receiver_cmd = [receiver, "-H", str(heap_size), port]
        self.sender_cmd = [sender, "-n", str(heaps), "-H", str(heap_size), "-p", "9000", "-r", f"{rate:.0f}",
                           "127.0.0.1", port]
        if not quiet:
            print("  $", " ".join(self.receiver_cmd), "&")
            print("  $", " ".join(self.sender_cmd), flush=True)
        # A second for the receiver to bind and pre-touch its memory pool
        out, sender_out = receive_while_sending(self.receiver_cmd, self.sender_cmd, startup=1.0, wait=10)
        self.sender_mbps = float(re.search(r"([0-9.e+]+) MB/s", sender_out).group(1))
        self.expected = heaps
        self.received = sum(line.startswith("Timestamp:") for line in out.splitlines())
        self.finished = re.search(r"Received \d+ heaps", out) is not None
        self.stats = {name: int(value) for name, value in re.findall(r"^(\w+): (\d+)$", out, re.MULTILINE)}

    @property
    def lossless(self):
        return self.received == self.expected and self.finished

    def report(self):
        print(f"  sender: {self.sender_mbps:.0f} MB/s")
        print(f"  receiver: {self.received} of {self.expected} heaps received"
              + ("" if self.finished else " (the end-of-stream heap was lost too: stopped after 10 s)"))
        print("  receiver statistics (non-zero): "
              + (", ".join(f"{name} {value}" for name, value in self.stats.items()) or "none"))
