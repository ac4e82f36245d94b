"""Options shared by the Python tools, with the spellings of spead2's tools."""

from __future__ import annotations

import argparse
from typing import Any, List, Optional, Tuple

import lightspead
import lightspead.recv
import lightspead.recv.asyncio
import lightspead.send
import lightspead.send.asyncio


def parse_endpoint(text: str, *, passive: bool) -> Tuple[str, int]:
    """``host:port`` (or just ``port`` when `passive`) as (host, port); ``[v6]:port`` for IPv6.

    Raises :exc:`ValueError` with a message fit for the command line.
    """
    if text.startswith("["):
        host, sep, port = text[1:].partition("]:")
        if not sep:
            raise ValueError(f"{text!r} is not [address]:port")
    elif ":" in text:
        host, _, port = text.rpartition(":")
    elif passive:
        host, port = "", text
    else:
        raise ValueError(f"{text!r} is not host:port")
    if not port.isdigit() or int(port) > 65535:
        raise ValueError(f"{text!r} has no port from 0 to 65535")
    return host, int(port)


def add_common(parser: argparse.ArgumentParser) -> None:
    """Options every tool has: --tcp, --pyspead, --bind, --buffer, --affinity, --threads, --log."""
    group = parser.add_argument_group("Protocol and performance options")
    group.add_argument("--tcp", action="store_true", help="Use TCP instead of UDP")
    group.add_argument("--pyspead", action="store_true", help="Be bug-compatible with PySPEAD")
    group.add_argument("--bind", type=str, help="Interface address")
    group.add_argument("--buffer", type=int, help="Socket buffer size")
    group.add_argument("--affinity", type=lightspead.parse_range_list,
                       help="List of CPUs to pin threads to [no affinity]")
    group.add_argument("--threads", type=int, default=1, help="Number of worker threads [%(default)s]")
    group.add_argument("--log", metavar="LEVEL", default="INFO", help="Log level [%(default)s]")


def make_thread_pool(args: Any) -> lightspead.ThreadPool:
    """The thread pool --threads and --affinity ask for (the first CPU of --affinity for this thread)."""
    if args.threads < 1:
        raise ValueError("--threads must be at least 1")
    if args.affinity:
        lightspead.ThreadPool.set_affinity(args.affinity[0])
        return lightspead.ThreadPool(args.threads, args.affinity[1:] + args.affinity[:1])
    return lightspead.ThreadPool(args.threads)


def bug_compat(args: Any) -> int:
    """The bug-compatibility mask --pyspead asks for."""
    return lightspead.BUG_COMPAT_PYSPEAD_0_5_2 if args.pyspead else 0


def add_receiver(parser: argparse.ArgumentParser) -> None:
    """The receiver options of spead2_recv.py."""
    group = parser.add_argument_group("Receiver options")
    group.add_argument("--memcpy-nt", action="store_true", help="Use non-temporal memcpy")
    group.add_argument("--concurrent-heaps", type=int, default=lightspead.recv.StreamConfig.DEFAULT_MAX_HEAPS,
                       help="Maximum number of in-flight heaps per substream [%(default)s]")
    group.add_argument("--substreams", type=int, default=1, help="Number of parallel substreams [%(default)s]")
    group.add_argument("--ring-heaps", type=int, default=lightspead.recv.RingStreamConfig.DEFAULT_HEAPS,
                       help="Ring buffer capacity in heaps [%(default)s]")
    group.add_argument("--mem-pool", action="store_true", help="Use a memory pool")
    group.add_argument("--mem-lower", type=int, default=16384,
                       help="Minimum allocation which will use the memory pool [%(default)s]")
    group.add_argument("--mem-upper", type=int, default=32 * 1024**2,
                       help="Maximum allocation which will use the memory pool [%(default)s]")
    group.add_argument("--mem-max-free", type=int, default=12, help="Maximum free memory buffers [%(default)s]")
    group.add_argument("--mem-initial", type=int, default=8, help="Initial free memory buffers [%(default)s]")
    group.add_argument("--packet", type=int, help="Maximum packet size to accept")


def make_stream_configs(args: Any) -> Tuple[lightspead.recv.StreamConfig, lightspead.recv.RingStreamConfig]:
    """The stream and ring configurations the receiver options describe."""
    config = lightspead.recv.StreamConfig(max_heaps=args.concurrent_heaps, substreams=args.substreams,
                                          bug_compat=bug_compat(args))
    if args.mem_pool:
        config.memory_allocator = lightspead.MemoryPool(args.mem_lower, args.mem_upper, args.mem_max_free,
                                                        args.mem_initial)
    if args.memcpy_nt:
        config.memcpy = lightspead.MEMCPY_NONTEMPORAL
    return config, lightspead.recv.RingStreamConfig(heaps=args.ring_heaps)


def add_readers(stream: Any, sources: List[str], args: Any) -> None:
    """Each source is [host:]port, or else a pcap file."""
    stream_class = lightspead.recv.asyncio.Stream
    if args.tcp:
        packet = args.packet or stream_class.DEFAULT_TCP_MAX_SIZE
        buffer = args.buffer if args.buffer is not None else stream_class.DEFAULT_TCP_BUFFER_SIZE
    else:
        packet = args.packet or stream_class.DEFAULT_UDP_MAX_SIZE
        buffer = args.buffer if args.buffer is not None else stream_class.DEFAULT_UDP_BUFFER_SIZE
    for source in sources:
        try:
            host, port = parse_endpoint(source, passive=True)
        except ValueError:
            if args.tcp:
                raise
            stream.add_udp_pcap_file_reader(source)
            continue
        if args.tcp:
            stream.add_tcp_reader(port, packet, buffer, host)
        elif args.bind:
            stream.add_udp_reader(host, port, packet, buffer, args.bind)
        else:
            stream.add_udp_reader(port, packet, buffer, host)


def add_sender(parser: argparse.ArgumentParser) -> None:
    """The sender options of spead2_send.py."""
    group = parser.add_argument_group("Sender options")
    config = lightspead.send.StreamConfig
    group.add_argument("--addr-bits", type=int, default=lightspead.Flavour().heap_address_bits,
                       help="Heap address bits [%(default)s]")
    group.add_argument("--packet", type=int, default=config.DEFAULT_MAX_PACKET_SIZE,
                       help="Maximum packet size to send [%(default)s]")
    group.add_argument("--burst", metavar="BYTES", type=int, default=config.DEFAULT_BURST_SIZE,
                       help="Burst size [%(default)s]")
    group.add_argument("--burst-rate-ratio", metavar="RATIO", type=float, default=config.DEFAULT_BURST_RATE_RATIO,
                       help="Hard rate limit, relative to --rate [%(default)s]")
    group.add_argument("--max-heaps", metavar="HEAPS", type=int, default=config.DEFAULT_MAX_HEAPS,
                       help="Maximum heaps in flight [%(default)s]")
    group.add_argument("--rate-method", metavar="METHOD", type=_rate_method, default=config.DEFAULT_RATE_METHOD,
                       help="Method for rate limiting (SW/HW/AUTO)")
    group.add_argument("--rate", metavar="Gb/s", type=float, default=0.0, help="Transmission rate bound [no limit]")
    group.add_argument("--ttl", type=int, help="TTL for multicast target")


def _rate_method(text: str) -> Any:
    try:
        return lightspead.send.RateMethod.__members__[text.upper()]
    except KeyError:
        raise argparse.ArgumentTypeError(f"{text!r} is not SW, HW or AUTO") from None


def make_flavour(args: Any) -> lightspead.Flavour:
    """SPEAD-64-(--addr-bits), with --pyspead's bug compatibility."""
    return lightspead.Flavour(4, 64, args.addr_bits, bug_compat(args))


async def make_send_stream(args: Any, thread_pool: lightspead.ThreadPool,
                           endpoints: List[Tuple[str, int]]) -> Any:
    """The asyncio send stream the sender options describe (TCP connects first)."""
    config = lightspead.send.StreamConfig(max_packet_size=args.packet, rate=args.rate * 1e9 / 8,
                                          burst_size=args.burst, burst_rate_ratio=args.burst_rate_ratio,
                                          max_heaps=args.max_heaps, rate_method=args.rate_method)
    if args.tcp:
        buffer = args.buffer if args.buffer is not None else lightspead.send.asyncio.TcpStream.DEFAULT_BUFFER_SIZE
        return await lightspead.send.asyncio.TcpStream.connect(thread_pool, endpoints, config, buffer,
                                                               args.bind or "")
    buffer = args.buffer if args.buffer is not None else lightspead.send.asyncio.UdpStream.DEFAULT_BUFFER_SIZE
    kwargs: dict = {}
    if args.ttl is not None:
        kwargs["ttl"] = args.ttl
    if args.bind:
        kwargs["interface_address"] = args.bind
    return lightspead.send.asyncio.UdpStream(thread_pool, endpoints, config, buffer, **kwargs)


def endpoint_type(text: str) -> Tuple[str, int]:
    """argparse type for a destination."""
    try:
        return parse_endpoint(text, passive=False)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def check_positive(parser: argparse.ArgumentParser, **values: Optional[int]) -> None:
    """A usage error unless each given value is at least 1."""
    for name, value in values.items():
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
