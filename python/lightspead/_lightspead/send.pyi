"""Sending"""

from collections.abc import Iterator, Sequence
import enum
from typing import overload

import lightspead._lightspead
import lightspead.send


class RateMethod(enum.Enum):
    """How a stream keeps to its rate (always software in lightspead)"""

    SW = 0
    """pace in software"""

    HW = 1
    """hardware pacing where available (never here: software)"""

    AUTO = 2
    """whichever is better (software here)"""

class StreamConfig:
    """Packet size, rate and queue depth of a send stream"""

    def __init__(self, *, max_packet_size: int = 1472, rate: float = 0.0, burst_size: int = 65536, max_heaps: int = 4, burst_rate_ratio: float = 1.05, rate_method: RateMethod = RateMethod.AUTO) -> None: ...

    @property
    def max_packet_size(self) -> int: ...

    @max_packet_size.setter
    def max_packet_size(self, arg: int, /) -> None: ...

    @property
    def rate(self) -> float: ...

    @rate.setter
    def rate(self, arg: float, /) -> None: ...

    @property
    def burst_size(self) -> int: ...

    @burst_size.setter
    def burst_size(self, arg: int, /) -> None: ...

    @property
    def max_heaps(self) -> int: ...

    @max_heaps.setter
    def max_heaps(self, arg: int, /) -> None: ...

    @property
    def burst_rate_ratio(self) -> float: ...

    @burst_rate_ratio.setter
    def burst_rate_ratio(self, arg: float, /) -> None: ...

    @property
    def rate_method(self) -> RateMethod: ...

    @rate_method.setter
    def rate_method(self, arg: RateMethod, /) -> None: ...

    @property
    def burst_rate(self) -> float:
        """rate * burst_rate_ratio: the catch-up rate"""

    DEFAULT_MAX_PACKET_SIZE: int = 1472

    DEFAULT_MAX_HEAPS: int = 4

    DEFAULT_BURST_SIZE: int = 65536

    DEFAULT_BURST_RATE_RATIO: float = 1.05

    DEFAULT_RATE_METHOD: RateMethod = RateMethod.AUTO

DEFAULT_MAX_PACKET_SIZE: int = 1472

DEFAULT_MAX_HEAPS: int = 4

DEFAULT_BURST_SIZE: int = 65536

DEFAULT_BURST_RATE_RATIO: float = 1.05

class GroupMode(enum.Enum):
    """How the packets of a group of heaps are ordered"""

    ROUND_ROBIN = 0
    """one packet of each heap in turn"""

    SERIAL = 1
    """each heap in full, then the next"""

class _RawHeap:
    """A heap at the level of raw items (see lightspead.send.Heap)"""

    def __init__(self, flavour: lightspead._lightspead.Flavour = ...) -> None: ...

    @property
    def flavour(self) -> lightspead._lightspead.Flavour: ...

    @property
    def repeat_pointers(self) -> bool: ...

    @repeat_pointers.setter
    def repeat_pointers(self, arg: bool, /) -> None: ...

    def add_buffer(self, id: int, buffer: object, allow_immediate: bool) -> None:
        """Add an item referencing the object's buffer (kept alive with the heap)"""

    def add_immediate(self, id: int, value: int) -> None: ...

    def add_raw_descriptor(self, id: int, name: str, description: str, format: Sequence[tuple[str, int]], shape: Sequence[int], numpy_header: str) -> None: ...

    def add_start(self) -> None: ...

    def add_end(self) -> None: ...

class PacketGenerator:
    """
    Iterates over the packets of a heap (as bytes), as a stream would send them with heap counter cnt and packets of at most max_packet_size bytes
    """

    def __init__(self, heap: _RawHeap, cnt: int, max_packet_size: int) -> None: ...

    def __iter__(self) -> Iterator[bytes]: ...

    def __next__(self) -> bytes: ...

class _Stream:
    """Base of the send streams"""

    def send_heap(self, heap: _RawHeap, cnt: int = -1, substream_index: int = 0, rate: float = -1.0) -> int:
        """
        Send a heap and wait for it (GIL released); returns bytes sent. rate: bytes per second for this heap (negative: the stream's rate, 0: unlimited)
        """

    def _async_send_heap(self, heap: _RawHeap, token: int, cnt: int = -1, substream_index: int = 0, rate: float = -1.0) -> None: ...

    def send_heaps(self, heaps: Sequence[lightspead.send.HeapReference] | lightspead.send.HeapReferenceList, mode: GroupMode) -> int:
        """
        Send a group of heaps (HeapReference objects or a HeapReferenceList) and wait for all of them (GIL released); returns the bytes sent. mode is a GroupMode.
        """

    def _async_send_heaps(self, refs: Sequence[tuple[_RawHeap, int, int, float]], mode: GroupMode, token: int) -> None: ...

    @property
    def _completion_fd(self) -> int: ...

    def _take_completions(self) -> list[tuple[int, tuple[int, str] | None, int]]: ...

    def set_cnt_sequence(self, next: int, step: int) -> None: ...

    @property
    def num_substreams(self) -> int: ...

    def flush(self) -> None:
        """Block until every heap queued so far has completed."""

    def stop(self) -> None:
        """
        Stop the stream: heaps not yet fully sent fail with OSError(ECANCELED), as do later sends.
        Waits until every heap has completed. Stopping the ThreadPool stops its streams too.
        """

class UdpStream(_Stream):
    """Sends heaps as UDP datagrams"""

    @overload
    def __init__(self, thread_pool: lightspead._lightspead.ThreadPool, endpoints: Sequence[tuple[str, int]], config: StreamConfig = ..., buffer_size: int = 524288, interface_address: str = '') -> None:
        """
        Send to endpoints, a list of (host, port), from the interface with this address
        """

    @overload
    def __init__(self, thread_pool: lightspead._lightspead.ThreadPool, endpoints: Sequence[tuple[str, int]], config: StreamConfig = ..., buffer_size: int = 524288, *, ttl: int) -> None:
        """Send to multicast endpoints with this TTL (hop limit)"""

    @overload
    def __init__(self, thread_pool: lightspead._lightspead.ThreadPool, endpoints: Sequence[tuple[str, int]], config: StreamConfig = ..., buffer_size: int = 524288, *, ttl: int, interface_address: str) -> None:
        """
        Send to IPv4 multicast endpoints with this TTL from the interface with this address
        """

    @overload
    def __init__(self, thread_pool: lightspead._lightspead.ThreadPool, endpoints: Sequence[tuple[str, int]], config: StreamConfig = ..., buffer_size: int = 524288, *, ttl: int, interface_index: int) -> None:
        """
        Send to IPv6 multicast endpoints with this hop limit through interface_index
        """

    @overload
    def __init__(self, thread_pool: lightspead._lightspead.ThreadPool, socket: object, endpoints: Sequence[tuple[str, int]], config: StreamConfig = ...) -> None:
        """
        Send through a socket.socket (duplicated: the caller still closes its own)
        """

    DEFAULT_BUFFER_SIZE: int = 524288

class BytesStream(_Stream):
    """Sends heaps into memory; getvalue() returns the packets"""

    def __init__(self, thread_pool: lightspead._lightspead.ThreadPool, config: StreamConfig = ...) -> None: ...

    def getvalue(self) -> bytes: ...

class TcpStream(_Stream):
    """Sends heaps over one TCP connection"""

    @overload
    def __init__(self, thread_pool: lightspead._lightspead.ThreadPool, endpoints: Sequence[tuple[str, int]], config: StreamConfig = ..., buffer_size: int = 0) -> None: ...

    @overload
    def __init__(self, thread_pool: lightspead._lightspead.ThreadPool, socket: object, config: StreamConfig = ...) -> None:
        """
        Send over a connected socket.socket (duplicated: the caller still closes its own)
        """

    DEFAULT_BUFFER_SIZE: int = 0

class InprocStream(_Stream):
    """Sends heaps into in-process queues"""

    def __init__(self, thread_pool: lightspead._lightspead.ThreadPool, queues: Sequence[lightspead._lightspead.InprocQueue], config: StreamConfig = ...) -> None: ...

    @property
    def queues(self) -> list[lightspead._lightspead.InprocQueue]:
        """The queues, in substream order"""

DEFAULT_BUFFER_SIZE: int = 524288
