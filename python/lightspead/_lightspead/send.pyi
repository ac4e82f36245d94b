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

class ZerocopyMode(enum.Enum):
    """
    Whether heaps go to the kernel without copying (MSG_ZEROCOPY; UDP streams only)
    """

    OFF = 0
    """always copy"""

    ON = 1
    """every heap, even where the kernel reports that it copied"""

    AUTO = 2
    """
    heaps of at least zerocopy_threshold bytes, until the kernel reports that it copies
    """

class RegisteredAllocator(lightspead._lightspead.MemoryAllocator):
    """
    One pre-faulted region of huge-page memory of size bytes (plus HEADER_SPACE for packet headers) that a UDP stream given it (StreamConfig.registered_allocator) registers with the kernel once: heaps sent without copying from it skip the pinning of their pages. allocate() raises MemoryError when the region is full; lightspead.empty(..., allocator=...) puts numpy arrays in it
    """

    def __init__(self, size: int) -> None: ...

    @property
    def size(self) -> int:
        """Bytes for the application (the size given, rounded up to ALIGNMENT)"""

    @property
    def free(self) -> int:
        """Bytes of the application's part not allocated"""

    @property
    def region_size(self) -> int:
        """
        Bytes of the whole region, header space included, as registered with the kernel
        """

    HEADER_SPACE: int = 8388608

    ALIGNMENT: int = 64

class StreamConfig:
    """Packet size, rate and queue depth of a send stream"""

    def __init__(self, *, max_packet_size: int = 1472, rate: float = 0.0, burst_size: int = 65536, max_heaps: int = 4, burst_rate_ratio: float = 1.05, rate_method: RateMethod = RateMethod.AUTO, zerocopy: ZerocopyMode = ZerocopyMode.AUTO, zerocopy_threshold: int = 4194304, registered_allocator: RegisteredAllocator | None = None) -> None: ...

    @property
    def max_packet_size(self) -> int:
        """Largest packet, in bytes, headers included"""

    @max_packet_size.setter
    def max_packet_size(self, arg: int, /) -> None: ...

    @property
    def rate(self) -> float:
        """
        Bytes per second (headers included) to send at; 0 for as fast as possible
        """

    @rate.setter
    def rate(self, arg: float, /) -> None: ...

    @property
    def burst_size(self) -> int:
        """Bytes sent back to back before the rate limiter may pause"""

    @burst_size.setter
    def burst_size(self, arg: int, /) -> None: ...

    @property
    def max_heaps(self) -> int:
        """Heaps that may be queued at once; a send beyond fails with would_block"""

    @max_heaps.setter
    def max_heaps(self, arg: int, /) -> None: ...

    @property
    def burst_rate_ratio(self) -> float:
        """
        How much faster than rate the stream may send to catch up after falling behind
        """

    @burst_rate_ratio.setter
    def burst_rate_ratio(self, arg: float, /) -> None: ...

    @property
    def rate_method(self) -> RateMethod:
        """How the rate is enforced (RateMethod)"""

    @rate_method.setter
    def rate_method(self, arg: RateMethod, /) -> None: ...

    @property
    def zerocopy(self) -> ZerocopyMode:
        """
        Whether heaps go to the kernel without copying (ZerocopyMode; default AUTO)
        """

    @zerocopy.setter
    def zerocopy(self, arg: ZerocopyMode, /) -> None: ...

    @property
    def zerocopy_threshold(self) -> int:
        """
        Smallest heap payload, in bytes, that ZerocopyMode.AUTO sends without copying
        """

    @zerocopy_threshold.setter
    def zerocopy_threshold(self, arg: int, /) -> None: ...

    @property
    def registered_allocator(self) -> RegisteredAllocator:
        """
        RegisteredAllocator whose memory a UDP stream registers with the kernel (others ignore it); None for none
        """

    @registered_allocator.setter
    def registered_allocator(self, value: RegisteredAllocator | None) -> None: ...

    @property
    def burst_rate(self) -> float:
        """rate * burst_rate_ratio: the catch-up rate"""

    DEFAULT_MAX_PACKET_SIZE: int = 1472

    DEFAULT_MAX_HEAPS: int = 4

    DEFAULT_BURST_SIZE: int = 65536

    DEFAULT_BURST_RATE_RATIO: float = 1.05

    DEFAULT_RATE_METHOD: RateMethod = RateMethod.AUTO

    DEFAULT_ZEROCOPY: ZerocopyMode = ZerocopyMode.AUTO

    DEFAULT_ZEROCOPY_THRESHOLD: int = 4194304

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
    def flavour(self) -> lightspead._lightspead.Flavour:
        """The flavour the heap is encoded with"""

    @property
    def repeat_pointers(self) -> bool:
        """
        Whether every packet repeats all the item pointers (so each packet can be decoded alone)
        """

    @repeat_pointers.setter
    def repeat_pointers(self, arg: bool, /) -> None: ...

    def add_buffer(self, id: int, buffer: object, allow_immediate: bool) -> None:
        """Add an item referencing the object's buffer (kept alive with the heap)"""

    def add_immediate(self, id: int, value: int) -> None:
        """
        Add an item whose value (an integer of the heap address width) travels in its item pointer
        """

    def add_raw_descriptor(self, id: int, name: str, description: str, format: Sequence[tuple[str, int]], shape: Sequence[int], numpy_header: str) -> None:
        """
        Add a descriptor from its parts: format as (code, bits) pairs, or an empty format and a numpy header
        """

    def add_start(self) -> None:
        """Add a stream-control start item (the stream begins)"""

    def add_end(self) -> None:
        """Add a stream-control stop item (receivers stop after this heap)"""

class PacketGenerator:
    """
    Iterates over the packets of a heap (as bytes), as a stream would send them with heap counter cnt and packets of at most max_packet_size bytes
    """

    def __init__(self, heap: _RawHeap, cnt: int, max_packet_size: int) -> None: ...

    def __iter__(self) -> Iterator[bytes]:
        """The generator itself"""

    def __next__(self) -> bytes:
        """The next packet; StopIteration after the last"""

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

    def set_cnt_sequence(self, next: int, step: int) -> None:
        """
        Number the following heaps next, next + step, ... (heaps sent with an explicit cnt keep theirs); ValueError for a step of 0
        """

    @property
    def num_substreams(self) -> int:
        """
        How many destinations the stream sends to (substream_index counts from 0 to this)
        """

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

    @property
    def zerocopy_active(self) -> bool:
        """
        Whether heaps the config marks for zero-copy go to the kernel without copying now (see StreamConfig.zerocopy)
        """

    @property
    def zerocopy_copied(self) -> int:
        """
        How many zero-copy sends the kernel reported as copied after all (as on loopback)
        """

    @property
    def registered_active(self) -> bool:
        """
        Whether heaps sent without copying from the config's RegisteredAllocator go from registered buffers now (False without one, where io_uring or the registration is unavailable, or after the kernel refused such a send; the reason is logged)
        """

    @property
    def registered_sends(self) -> int:
        """
        How many sends (datagrams or GSO super-packets) went from registered buffers
        """

    DEFAULT_BUFFER_SIZE: int = 524288

class BytesStream(_Stream):
    """Sends heaps into memory; getvalue() returns the packets"""

    def __init__(self, thread_pool: lightspead._lightspead.ThreadPool, config: StreamConfig = ...) -> None: ...

    def getvalue(self) -> bytes:
        """Every byte sent so far, after waiting for queued heaps"""

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
