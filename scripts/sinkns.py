"""A drop sink for send benchmarks: an ifb interface in a private network
namespace, standing in for the `dummy` interface of the spead2 tutorial
(this kernel has no dummy driver).

Packets sent to SINK_TARGET inside the namespace are accepted by the
interface and discarded. The namespace is removed on exit, also on error.
"""

import contextlib
import os
import subprocess

SINK_ADDRESS = "192.168.31.1/24"
SINK_TARGET = "192.168.31.2"
SINK_MTU = 65536          # as in the tutorial: GSO super-packets pass whole


def _ip(*args, check=True):
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True)


@contextlib.contextmanager
def drop_sink(mtu=SINK_MTU):
    """Yield a command prefix that runs a program inside the sink namespace."""
    name = f"lightspead-sink-{os.getpid()}"
    _ip("netns", "add", name)
    try:
        prefix = ["ip", "netns", "exec", name]
        for cmd in (
            ["ip", "link", "set", "lo", "up"],
            ["ip", "link", "add", "sink0", "type", "ifb"],
            ["ip", "link", "set", "sink0", "mtu", str(mtu), "up"],
            ["ip", "addr", "add", SINK_ADDRESS, "dev", "sink0"],
        ):
            subprocess.run(prefix + cmd, check=True, capture_output=True, text=True)
        yield prefix
    finally:
        _ip("netns", "delete", name, check=False)


def sink_stats(prefix):
    """(packets, bytes) the sink has received (and dropped) so far."""
    out = subprocess.run(prefix + ["cat", "/sys/class/net/sink0/statistics/rx_packets",
                                   "/sys/class/net/sink0/statistics/rx_bytes"],
                         check=True, capture_output=True, text=True).stdout.split()
    return int(out[0]), int(out[1])


def namespaces_available():
    """True if this process may create network namespaces (root, no sandbox)."""
    try:
        with drop_sink():
            return True
    except (subprocess.CalledProcessError, FileNotFoundError, PermissionError):
        return False
