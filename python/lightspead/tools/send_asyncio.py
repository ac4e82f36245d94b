"""Send a stream of test heaps with lightspead's asyncio API, as spead2's
``spead2_send.py`` does (the same options and summary line).

Exit codes: 0 sent; 1 runtime error; 2 bad command line."""

from __future__ import annotations

import asyncio
import collections
import logging
import signal
import sys
import time
from typing import Any, List, Tuple

import numpy as np

import lightspead
import lightspead.send

from . import cmdline
from ._parser import ToolParser, fail

PROG = "lightspead-send.py"


def get_args(argv: List[str] | None = None) -> Any:
    """Parse the command line (`argv`, or sys.argv); exit 2 with one line if it is bad."""
    parser = ToolParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("destination", type=cmdline.endpoint_type, nargs="+", metavar="HOST:PORT")
    group = parser.add_argument_group("Data options")
    group.add_argument("--heap-size", metavar="BYTES", type=int, default=4194304,
                       help="Payload size for heap [%(default)s]")
    group.add_argument("--items", type=int, default=1, help="Number of items per heap [%(default)s]")
    group.add_argument("--dtype", type=str, default="<c8", help="Numpy data type [%(default)s]")
    group.add_argument("--heaps", type=int, help="Number of data heaps to send [infinite]")
    group.add_argument("--descriptors", type=int, help="Description issue frequency [only at start]")
    cmdline.add_common(parser)
    cmdline.add_sender(parser)
    args = parser.parse_args(argv)
    cmdline.check_positive(parser, items=args.items, heap_size=args.heap_size, max_heaps=args.max_heaps,
                           threads=args.threads)
    if args.heaps is not None and args.heaps < 0:
        parser.error("--heaps must not be negative")
    if args.tcp and len(args.destination) > 1:
        parser.error("only one destination is supported with TCP")
    try:
        args.dtype = np.dtype(args.dtype)
    except TypeError as exc:
        parser.error(f"--dtype: {exc}")
    return args


async def run(item_group: Any, stream: Any, args: Any, stopping: asyncio.Event) -> Tuple[int, float]:
    """Send the heaps (then one end heap per destination); return bytes sent and seconds taken."""
    n_bytes = 0
    errors: List[BaseException] = []
    tasks: collections.deque = collections.deque()
    n_substreams = stream.num_substreams
    start = time.monotonic()

    async def collect() -> None:
        nonlocal n_bytes
        try:
            n_bytes += await tasks.popleft()
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    i = 0
    while (args.heaps is None or i < args.heaps) and not stopping.is_set() and not errors:
        if len(tasks) >= args.max_heaps:
            await collect()
        heap = item_group.get_heap(descriptors="all" if i < n_substreams else "stale", data="all")
        tasks.append(asyncio.ensure_future(stream.async_send_heap(heap, substream_index=i % n_substreams)))
        i += 1
    for j in range(n_substreams):
        if len(tasks) >= args.max_heaps:
            await collect()
        tasks.append(asyncio.ensure_future(stream.async_send_heap(item_group.get_end(), substream_index=j)))
    while tasks:
        await collect()
    elapsed = time.monotonic() - start
    if errors:
        fail(PROG, f"{len(errors)} heaps failed to send; the last error: {errors[-1]}")
    return n_bytes, elapsed


async def async_main(args: Any) -> None:
    """Build the item group and the stream, send, print the summary line."""
    elements = args.heap_size // (args.items * args.dtype.itemsize)
    if elements == 0:
        fail(PROG, f"--heap-size {args.heap_size} is too small for {args.items} items of {args.dtype}")
    heap_size = elements * args.items * args.dtype.itemsize
    if heap_size != args.heap_size:
        logging.warning("Heap size is not an exact multiple: using %d instead of %d", heap_size, args.heap_size)
    item_group = lightspead.send.ItemGroup(descriptor_frequency=args.descriptors, flavour=cmdline.make_flavour(args))
    for i in range(args.items):
        item_group.add_item(id=None, name=f"Test item {i}", description="A test item with arbitrary value",
                            shape=(elements,), dtype=args.dtype, value=np.zeros((elements,), dtype=args.dtype))
    thread_pool = cmdline.make_thread_pool(args)
    try:
        stream = await cmdline.make_send_stream(args, thread_pool, args.destination)
    except (OSError, ValueError, RuntimeError) as exc:
        fail(PROG, f"cannot open the stream: {exc}")
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)  # finish the heaps in flight, then end the stream
    n_bytes, elapsed = await run(item_group, stream, args, stopping)
    print(f"Sent {n_bytes} bytes in {elapsed:.6f}s, {n_bytes * 8 / elapsed / 1e9:.6f} Gb/s")


def main(argv: List[str] | None = None) -> None:
    """The console script lightspead-send.py."""
    args = get_args(argv)
    logging.basicConfig(level=getattr(logging, args.log.upper(), logging.INFO))
    asyncio.run(async_main(args))
    sys.exit(0)


if __name__ == "__main__":
    main()
