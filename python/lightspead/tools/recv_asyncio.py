"""Receive SPEAD streams with lightspead's asyncio API and show what arrives,
as spead2's ``spead2_recv.py`` does (the same options and output).

Exit codes: 0 finished with no heap lost; 1 runtime error; 2 bad command
line; 3 incomplete heaps were discarded."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from typing import Any, List

import lightspead
import lightspead.recv
import lightspead.recv.asyncio

from . import cmdline
from ._parser import ToolParser, fail

PROG = "lightspead-recv.py"


def get_args(argv: List[str] | None = None) -> Any:
    """Parse the command line (`argv`, or sys.argv); exit 2 with one line if it is bad."""
    parser = ToolParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="+", help="Sources (filename, host:port or port)")
    group = parser.add_argument_group("Output options")
    group.add_argument("--values", action="store_true", help="Show heap values")
    group.add_argument("--descriptors", action="store_true", help="Show descriptors")
    group = parser.add_argument_group("Input options")
    group.add_argument("--max-heaps", type=int, help="Stop receiving after this many heaps")
    group.add_argument("--joint", action="store_true", help="Treat all sources as a single stream")
    cmdline.add_common(parser)
    cmdline.add_receiver(parser)
    args = parser.parse_args(argv)
    cmdline.check_positive(parser, concurrent_heaps=args.concurrent_heaps, substreams=args.substreams,
                           ring_heaps=args.ring_heaps, threads=args.threads, packet=args.packet)
    if args.max_heaps is not None and args.max_heaps < 0:
        parser.error("--max-heaps must not be negative")
    return args


async def run_stream(stream: Any, name: str, args: Any) -> int:
    """Show each heap of `stream`; return the number of incomplete heaps it discarded."""
    item_group = lightspead.ItemGroup()
    num_heaps = 0
    try:
        while args.max_heaps is None or num_heaps < args.max_heaps:
            try:
                heap = await stream.get()
            except (lightspead.Stopped, asyncio.CancelledError):
                break
            print(f"Received heap {heap.cnt} on stream {name}")
            num_heaps += 1
            try:
                if args.descriptors:
                    for raw in heap.get_descriptors():
                        d = lightspead.Descriptor.from_raw(raw, heap.flavour)
                        print(f"    Descriptor for {d.name} ({d.id:#x})\n"
                              f"      description: {d.description}\n"
                              f"      format:      {d.format}\n"
                              f"      dtype:       {d.dtype}\n"
                              f"      shape:       {d.shape}")
                for key, item in item_group.update(heap).items():
                    print(f"{key} = {item.value}" if args.values else key)
            except ValueError as exc:
                print(f"Error raised processing heap: {exc}")
    finally:
        stream.stop()
    print(f"Shutting down stream {name} after {num_heaps} heaps")
    stats = stream.stats
    for key, value in stats.items():
        print(f"{key}: {value}")
    return stats["incomplete_heaps_evicted"] + stats["incomplete_heaps_flushed"]


async def async_main(args: Any) -> int:
    """Receive every source until the streams end or a signal; the exit code."""
    thread_pool = cmdline.make_thread_pool(args)
    config, ring_config = cmdline.make_stream_configs(args)
    groups = [args.source] if args.joint else [[source] for source in args.source]
    streams = []
    try:
        for sources in groups:
            stream = lightspead.recv.asyncio.Stream(thread_pool, config, ring_config)
            streams.append(stream)
            cmdline.add_readers(stream, sources, args)
    except (OSError, ValueError, RuntimeError) as exc:
        for stream in streams:
            stream.stop()
        fail(PROG, str(exc))
    def stop_all() -> None:
        for stream in streams:
            stream.stop()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop_all)
    lost = await asyncio.gather(*(run_stream(stream, sources[0], args) for stream, sources in zip(streams, groups)))
    return 3 if sum(lost) else 0


def main(argv: List[str] | None = None) -> None:
    """The console script lightspead-recv.py."""
    args = get_args(argv)
    logging.basicConfig(level=getattr(logging, args.log.upper(), logging.INFO))
    sys.exit(asyncio.run(async_main(args)))


if __name__ == "__main__":
    main()
