"""Find the highest rate at which a receiver gets every heap, with lightspead's
asyncio API: ``lightspead-bench.py agent PORT`` receives, ``lightspead-bench.py
master HOST PORT`` sends trials and bisects the rate (as spead2's
``spead2_bench.py``). It speaks the control protocol of the C++
``lightspead-bench``, so either can be the agent of the other.

Exit codes: 0 done; 1 runtime error; 2 bad command line."""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
import time
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

import lightspead
import lightspead.recv
import lightspead.recv.asyncio
import lightspead.send
import lightspead.send.asyncio

from ._parser import ToolParser, fail

PROG = "lightspead-bench.py"
SETTINGS = ("packet", "buffer", "concurrent_heaps", "ring_heaps", "mem_pool", "memcpy_nt", "pyspead")


def get_args(argv: Optional[List[str]] = None) -> Any:
    """Parse the command line (`argv`, or sys.argv); exit 2 with one line if it is bad."""
    parser = ToolParser(prog=PROG, description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True, parser_class=ToolParser)
    agent = sub.add_parser("agent", help="receive for masters until killed")
    agent.add_argument("port", type=int)
    agent.add_argument("--bind", default="", help="Address to listen on [all]")
    master = sub.add_parser("master", help="find the highest lossless rate to an agent")
    master.add_argument("host")
    master.add_argument("port", type=int)
    master.add_argument("--heap-size", type=int, default=4194304, help="Payload size for heap [%(default)s]")
    master.add_argument("--packet", type=int, default=9200, help="Largest packet [%(default)s]")
    master.add_argument("--recv-buffer", type=int, default=8 << 20, help="Receiver's socket buffer [%(default)s]")
    master.add_argument("--concurrent-heaps", type=int, default=4, help="Receiver's in-flight heaps [%(default)s]")
    master.add_argument("--ring-heaps", type=int, default=4, help="Receiver's ring capacity [%(default)s]")
    master.add_argument("--mem-pool", action="store_true", help="Receive into a memory pool")
    master.add_argument("--memcpy-nt", action="store_true", help="Streaming copies into heaps")
    master.add_argument("--pyspead", action="store_true", help="Be bug-compatible with PySPEAD")
    master.add_argument("--send-buffer", type=int, default=lightspead.send.asyncio.UdpStream.DEFAULT_BUFFER_SIZE,
                        help="Sender's socket buffer [%(default)s]")
    master.add_argument("--burst", type=int, default=lightspead.send.StreamConfig.DEFAULT_BURST_SIZE,
                        help="Burst size [%(default)s]")
    master.add_argument("--max-heaps", type=int, default=4, help="Heaps in flight at the sender [%(default)s]")
    master.add_argument("--trial-seconds", type=float, default=1.0, help="Length of a trial [%(default)s]")
    master.add_argument("--passes", type=int, default=3, help="Trials per rate [%(default)s]")
    master.add_argument("--precision", type=float, default=0.02, help="Relative width to stop at [%(default)s]")
    master.add_argument("--quiet", action="store_true", help="Print only the result (Gb/s)")
    parser.add_argument("--log", metavar="LEVEL", default="WARNING", help="Log level [%(default)s]")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error("the port must be from 0 to 65535")
    if args.mode == "master":
        for name in ("heap_size", "packet", "concurrent_heaps", "ring_heaps", "max_heaps", "passes", "burst"):
            if getattr(args, name) < 1:
                parser.error(f"--{name.replace('_', '-')} must be at least 1")
        if not 0.001 <= args.precision <= 0.5 or args.trial_seconds <= 0:
            parser.error("--precision must be from 0.001 to 0.5 and --trial-seconds positive")
    return args


# ---- agent -------------------------------------------------------------------------------------

def parse_settings(words: List[str]) -> Dict[str, int]:
    """The receiver settings of a start command (key=value words); ValueError if bad."""
    settings = {"packet": 9200, "buffer": 8 << 20, "concurrent_heaps": 4, "ring_heaps": 4}
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not value.isdigit():
            raise ValueError(f"bad word {word!r}")
        if key in SETTINGS or key in ("ring", "mem_lower", "mem_upper"):
            settings[key] = int(value)
        else:
            raise ValueError(f"unknown setting {key!r}")
    if not 64 <= settings["packet"] <= 65507 or settings["concurrent_heaps"] < 1 or settings["ring_heaps"] < 1:
        raise ValueError("setting out of range")
    return settings


class Session:
    """One master's connection: a receiving stream per trial."""

    def __init__(self, thread_pool: lightspead.ThreadPool, local_host: str) -> None:
        self.thread_pool = thread_pool
        self.local_host = local_host
        self.stream: Any = None
        self.counter: Optional[asyncio.Task] = None
        self.heaps = 0
        self.bytes = 0
        self.last_stats: Dict[str, int] = {}

    async def count(self) -> None:
        """Count the heaps of the trial's stream and their payload bytes until it ends."""
        async for heap in self.stream:
            self.heaps += 1
            self.bytes += sum(memoryview(item).nbytes for item in heap.get_items() if not item.is_immediate)

    async def command(self, line: str) -> str:
        """Carry out one control line (start or stop) and return the reply line."""
        words = line.split()
        if not words:
            raise ValueError("empty command")
        if words[0] == "start":
            settings = parse_settings(words[1:])
            await self.finish()
            config = lightspead.recv.StreamConfig(
                max_heaps=settings["concurrent_heaps"],
                bug_compat=lightspead.BUG_COMPAT_PYSPEAD_0_5_2 if settings.get("pyspead") else 0)
            if settings.get("mem_pool"):
                config.memory_allocator = lightspead.MemoryPool(16384, 32 << 20, 12, 8)
            if settings.get("memcpy_nt"):
                config.memcpy = lightspead.MEMCPY_NONTEMPORAL
            self.stream = lightspead.recv.asyncio.Stream(
                self.thread_pool, config, lightspead.recv.RingStreamConfig(heaps=settings["ring_heaps"]))
            # A free port: bind a socket here and hand it to the stream.
            with socket.socket(socket.AF_INET6 if ":" in self.local_host else socket.AF_INET,
                               socket.SOCK_DGRAM) as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, settings["buffer"])
                sock.bind((self.local_host, 0))
                port = sock.getsockname()[1]
                self.stream.add_udp_reader(sock, max_size=settings["packet"])
            self.heaps = self.bytes = 0
            self.counter = asyncio.ensure_future(self.count())
            return f"ready port={port}"
        if words[0] == "stop":
            if self.stream is None or self.counter is None:
                raise ValueError("stop without start")
            try:
                await asyncio.wait_for(asyncio.shield(self.counter), 2.0)  # the end-of-stream heap
            except asyncio.TimeoutError:
                pass
            await self.finish()
            stats = " ".join(f"{k}={v}" for k, v in self.last_stats.items())
            return f"result heaps={self.heaps} bytes={self.bytes} {stats}".rstrip()
        raise ValueError(f"unknown command {words[0]!r}")

    async def finish(self) -> None:
        """Stop the trial's stream, wait for the counter, keep its statistics."""
        if self.stream is not None:
            self.stream.stop()
            if self.counter is not None:
                await self.counter
            self.last_stats = dict(self.stream.stats.items())
            self.stream = None

    async def close(self) -> None:
        """The master has gone: stop whatever runs."""
        await self.finish()


async def agent(args: Any) -> None:
    """Serve masters on args.port, one session per connection, until killed."""
    thread_pool = lightspead.ThreadPool()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = Session(thread_pool, writer.get_extra_info("sockname")[0])
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                try:
                    reply = await session.command(line.decode(errors="replace"))
                except Exception as exc:  # noqa: BLE001 (every failure is the master's to hear of)
                    reply = f"error {exc}"
                writer.write(reply.encode() + b"\n")
                await writer.drain()
        finally:
            await session.close()
            writer.close()

    try:
        server = await asyncio.start_server(serve, args.bind or None, args.port)
    except OSError as exc:
        fail(PROG, f"cannot listen on port {args.port}: {exc}")
    print(f"listening on port {args.port}", flush=True)
    async with server:
        await server.serve_forever()


# ---- master ------------------------------------------------------------------------------------

class Master:
    """The sending side: trials at a rate against an agent, over one control connection."""

    def __init__(self, args: Any) -> None:
        self.args = args
        self.thread_pool = lightspead.ThreadPool()
        self.flavour = lightspead.Flavour(4, 64, 40, lightspead.BUG_COMPAT_PYSPEAD_0_5_2 if args.pyspead else 0)
        self.payload = np.zeros(args.heap_size, np.uint8)

    async def connect(self) -> None:
        """Open the control connection (exit 1 if the agent cannot be reached)."""
        try:
            self.reader, self.writer = await asyncio.open_connection(self.args.host, self.args.port)
        except OSError as exc:
            fail(PROG, f"cannot reach the agent at {self.args.host}:{self.args.port}: {exc}")

    async def request(self, line: str) -> Dict[str, int]:
        """Send a control line; the reply's key=value words (exit 1 on an error reply)."""
        self.writer.write(line.encode() + b"\n")
        await self.writer.drain()
        reply = (await self.reader.readline()).decode()
        if not reply:
            fail(PROG, "the agent closed the connection")
        if reply.startswith("error "):
            fail(PROG, "the agent refused: " + reply[6:].strip())
        return {k: int(v) for k, _, v in (w.partition("=") for w in reply.split()[1:])}

    async def trial(self, rate: float) -> Tuple[bool, float, int, int]:
        """One trial at `rate` bytes/s (0: unlimited): (lossless, rate sent, heaps sent, heaps received)."""
        a = self.args
        ready = await self.request(
            f"start packet={a.packet} buffer={a.recv_buffer} concurrent_heaps={a.concurrent_heaps} "
            f"ring_heaps={a.ring_heaps} mem_pool={int(a.mem_pool)} memcpy_nt={int(a.memcpy_nt)} "
            f"pyspead={int(a.pyspead)}")
        budget = rate * a.trial_seconds if rate > 0 else 1e9
        n = max(8, int(budget / a.heap_size))
        config = lightspead.send.StreamConfig(max_packet_size=a.packet, rate=rate, burst_size=a.burst,
                                              max_heaps=a.max_heaps + 1)
        stream = lightspead.send.asyncio.UdpStream(self.thread_pool, [(a.host, ready["port"])], config,
                                                   a.send_buffer)
        ig = lightspead.send.ItemGroup(flavour=self.flavour)
        ig.add_item(0x1000, "payload", "bench payload", shape=self.payload.shape, dtype=self.payload.dtype,
                    value=self.payload)
        heap = ig.get_heap(descriptors="none", data="all")
        futures: List[asyncio.Future] = []
        sent = 0
        start = time.monotonic()
        for _ in range(n):
            if len(futures) >= a.max_heaps:
                sent += await futures.pop(0)
            futures.append(asyncio.ensure_future(stream.async_send_heap(heap)))
        for future in futures:
            sent += await future
        elapsed = time.monotonic() - start
        await stream.async_send_heap(ig.get_end())
        result = await self.request("stop")
        return result["heaps"] >= n, sent / elapsed, n, result["heaps"]

    async def measure(self, rate: float) -> Tuple[bool, float]:
        """args.passes trials: (all lossless, mean rate sent)."""
        good, total = True, 0.0
        for _ in range(self.args.passes):
            ok, actual, _, _ = await self.trial(rate)
            good &= ok
            total += actual
        return good, total / self.args.passes


async def master(args: Any) -> None:
    """Bisect for the highest lossless rate and print it."""
    m = Master(args)
    await m.connect()
    await m.trial(0.0)  # warm-up
    good, actual = await m.measure(0.0)
    best = actual if good else 0.0
    if good:
        if not args.quiet:
            print(f"Limited by send speed: {actual * 8e-9:.3f} Gb/s")
    else:
        if not args.quiet:
            print(f"Send rate: {actual * 8e-9:.3f} Gb/s")
        low, high = 0.0, actual
        while high - low > high * args.precision:
            rate = (low + high) / 2
            good, actual = await m.measure(rate)
            if not args.quiet:
                print(f"Rate: {rate * 8e-9:.3f} Gb/s ({actual * 8e-9:.3f} actual): {'GOOD' if good else 'BAD'}")
            if good:
                low, best = rate, actual
            else:
                high = rate
    print(f"{best * 8e-9:.6g}" if args.quiet else f"Sustainable rate: {best * 8e-9:.3f} Gb/s")


def main(argv: Optional[List[str]] = None) -> None:
    """The console script lightspead-bench.py."""
    args = get_args(argv)
    logging.basicConfig(level=getattr(logging, args.log.upper(), logging.WARNING))
    try:
        asyncio.run(agent(args) if args.mode == "agent" else master(args))
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
