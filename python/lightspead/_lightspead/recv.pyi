"""Receiving"""

from collections.abc import Iterator, Sequence
import enum
from typing import overload

import lightspead._lightspead


class StreamStatConfig:
    """Name and mode (how it combines) of one stream statistic"""

    def __init__(self, name: str, mode: StreamStatConfig.Mode = StreamStatConfig.Mode.COUNTER) -> None: ...

    class Mode(enum.Enum):
        """How a statistic combines"""

        COUNTER = 0
        """a running total: values add"""

        MAXIMUM = 1
        """the largest value seen"""

    @property
    def name(self) -> str:
        """The statistic's name"""

    @property
    def mode(self) -> StreamStatConfig.Mode:
        """How values combine (StreamStatConfig.Mode)"""

    def combine(self, a: int, b: int) -> int:
        """a and b combined as the mode says"""

    def __eq__(self, arg: StreamStatConfig, /) -> bool: ...

    def __repr__(self) -> str: ...

class StreamConfig:
    """Settings of a receive stream"""

    def __init__(self, *, max_heaps: int = 4, substreams: int = 1, bug_compat: int = 0, memcpy: int | None = None, memory_allocator: lightspead._lightspead.MemoryAllocator | None = None, stop_on_stop_item: bool = True, allow_unsized_heaps: bool = True, allow_out_of_order: bool = False, explicit_start: bool = False, max_heap_size: int = 1073741824, stream_id: int = 0) -> None: ...

    @property
    def max_heaps(self) -> int:
        """
        Heaps assembled at once per substream; a packet of one more evicts the oldest
        """

    @max_heaps.setter
    def max_heaps(self, arg: int, /) -> None: ...

    @property
    def substreams(self) -> int:
        """Independent sets of live heaps, by heap counter modulo this number"""

    @substreams.setter
    def substreams(self, arg: int, /) -> None: ...

    @property
    def bug_compat(self) -> int:
        """BUG_COMPAT_* flags for streams from old or buggy senders"""

    @bug_compat.setter
    def bug_compat(self, arg: int, /) -> None: ...

    @property
    def memcpy(self) -> int:
        """How payload is copied into heaps: MEMCPY_STD or MEMCPY_NONTEMPORAL"""

    @memcpy.setter
    def memcpy(self, arg: int, /) -> None: ...

    @property
    def memory_allocator(self) -> lightspead._lightspead.MemoryAllocator:
        """
        Where heap payload memory comes from (a MemoryPool, say); None for the default
        """

    @memory_allocator.setter
    def memory_allocator(self, value: lightspead._lightspead.MemoryAllocator | None) -> None: ...

    @property
    def stop_on_stop_item(self) -> bool:
        """Whether a stream-control stop item stops the stream"""

    @stop_on_stop_item.setter
    def stop_on_stop_item(self, arg: bool, /) -> None: ...

    @property
    def allow_unsized_heaps(self) -> bool:
        """
        Whether heaps without a heap length item are accepted (their memory grows as packets arrive)
        """

    @allow_unsized_heaps.setter
    def allow_unsized_heaps(self, arg: bool, /) -> None: ...

    @property
    def allow_out_of_order(self) -> bool:
        """
        Whether a heap's packets may arrive in any order (otherwise a gap ends the heap)
        """

    @allow_out_of_order.setter
    def allow_out_of_order(self, arg: bool, /) -> None: ...

    @property
    def explicit_start(self) -> bool:
        """Whether readers wait for start() instead of starting when added"""

    @explicit_start.setter
    def explicit_start(self, arg: bool, /) -> None: ...

    @property
    def max_heap_size(self) -> int:
        """
        Largest heap payload accepted, in bytes; larger heaps are discarded and counted
        """

    @max_heap_size.setter
    def max_heap_size(self, arg: int, /) -> None: ...

    @property
    def stream_id(self) -> int:
        """A number identifying the stream to place callbacks (chunk streams)"""

    @stream_id.setter
    def stream_id(self, arg: int, /) -> None: ...

    def add_stat(self, name: str, mode: StreamStatConfig.Mode = StreamStatConfig.Mode.COUNTER) -> int:
        """
        Register a custom statistic; returns its index. ValueError if the name is taken.
        """

    def get_stat_index(self, name: str) -> int:
        """Index of the statistic called name; IndexError if there is none"""

    def next_stat_index(self) -> int:
        """The index the next add_stat will return"""

    @property
    def stats(self) -> list[StreamStatConfig]:
        """Every statistic (StreamStatConfig), in index order"""

    DEFAULT_MAX_HEAPS: int = 4

    DEFAULT_MAX_HEAP_SIZE: int = 1073741824

DEFAULT_MAX_HEAPS: int = 4

class RingStreamConfig:
    """Settings of a stream's ringbuffer"""

    def __init__(self, *, heaps: int = 4, contiguous_only: bool = True, incomplete_keep_payload_ranges: bool = False) -> None: ...

    @property
    def heaps(self) -> int:
        """Capacity of the ringbuffer of finished heaps"""

    @heaps.setter
    def heaps(self, arg: int, /) -> None: ...

    @property
    def contiguous_only(self) -> bool:
        """
        Whether only complete heaps are queued (otherwise IncompleteHeap objects come too)
        """

    @contiguous_only.setter
    def contiguous_only(self, arg: bool, /) -> None: ...

    @property
    def incomplete_keep_payload_ranges(self) -> bool:
        """
        Whether an IncompleteHeap keeps its payload_ranges (empty otherwise; off by default)
        """

    @incomplete_keep_payload_ranges.setter
    def incomplete_keep_payload_ranges(self, arg: bool, /) -> None: ...

    DEFAULT_HEAPS: int = 4

class RawItem:
    """An item of a received heap; its bytes through the buffer protocol"""

    @property
    def id(self) -> int:
        """The item's ID"""

    @property
    def is_immediate(self) -> bool:
        """Whether the value was carried in the item pointer itself"""

    @property
    def immediate_value(self) -> int:
        """The value of an immediate item, as an integer (0 for other items)"""

    def __len__(self) -> int:
        """The length of the value in bytes"""

class Heap:
    """A complete received heap"""

    @property
    def cnt(self) -> int:
        """The heap counter"""

    @property
    def flavour(self) -> lightspead._lightspead.Flavour:
        """The flavour the heap was sent with"""

    def get_items(self) -> list[RawItem]:
        """
        The heap's items (RawItem objects, which keep the heap alive), in the order sent; descriptors are not among them (see get_descriptors), a stream-control item is
        """

    def get_descriptors(self) -> list[tuple[int, bytes, bytes, list[tuple[str, int]], list[int], bytes]]:
        """
        The descriptors the heap carries, as (id, name, description, format, shape, numpy_header) tuples; a descriptor that does not parse is left out
        """

    def is_start_of_stream(self) -> bool:
        """Whether the heap carries a stream-control start item"""

    def is_end_of_stream(self) -> bool:
        """Whether the heap carries a stream-control stop item"""

class IncompleteHeap:
    """A heap that did not complete (queued when contiguous_only is False)"""

    @property
    def cnt(self) -> int:
        """The heap counter"""

    @property
    def flavour(self) -> lightspead._lightspead.Flavour:
        """The flavour the heap was sent with"""

    @property
    def heap_length(self) -> int:
        """
        The heap's payload length from its heap length item, or -1 if none arrived
        """

    @property
    def received_length(self) -> int:
        """Payload bytes that arrived"""

    @property
    def payload_ranges(self) -> list[tuple[int, int]]:
        """
        The [start, end) byte ranges of payload that arrived, merged (empty unless RingStreamConfig(incomplete_keep_payload_ranges=True))
        """

    def is_start_of_stream(self) -> bool:
        """Whether a stream-control start item arrived"""

    def is_end_of_stream(self) -> bool:
        """Whether a stream-control stop item arrived"""

    def get_items(self) -> list[RawItem]:
        """The immediate items that arrived (descriptors left out, as for Heap)"""

class StreamStats:
    """
    A snapshot of a stream's statistics: by name (stats['heaps'] or stats.heaps, see lightspead.recv) or index; iterating gives the names; + combines snapshots
    """

    @overload
    def __getitem__(self, arg: str, /) -> int: ...

    @overload
    def __getitem__(self, arg: int, /) -> int:
        """
        The statistic at index (an int) or called name (a str); IndexError or KeyError if there is none
        """

    def get(self, name: str, default: object | None = None) -> object:
        """The statistic called name, or default if there is none"""

    @overload
    def __setitem__(self, arg0: str, arg1: int, /) -> None: ...

    @overload
    def __setitem__(self, arg0: int, arg1: int, /) -> None: ...

    def __len__(self) -> int:
        """The number of statistics"""

    def __contains__(self, arg: str, /) -> bool:
        """Whether there is a statistic called name"""

    def __add__(self, arg: StreamStats, /) -> StreamStats: ...

    def __iadd__(self, arg: StreamStats, /) -> StreamStats: ...

    @property
    def config(self) -> list[StreamStatConfig]:
        """The statistics' names and modes, in order"""

    def __getattr__(self, arg: str, /) -> int: ...

    def __setattr__(self, arg0: str, arg1: int, /) -> None: ...

    def keys(self) -> list[str]:
        """The statistics' names, in order"""

    def __iter__(self) -> Iterator:
        """The statistics' names, in order (as for a dict)"""

    def values(self) -> list[int]:
        """The values, in order"""

    def items(self) -> list[tuple[str, int]]:
        """(name, value) pairs, in order"""

class Ringbuffer:
    """A stream's ringbuffer of finished heaps"""

    def size(self) -> int:
        """Heaps waiting in it now"""

    def capacity(self) -> int:
        """The most heaps it holds (RingStreamConfig.heaps)"""

class _Stream:
    """A receive stream (see lightspead.recv.Stream)"""

    def __init__(self, thread_pool: lightspead._lightspead.ThreadPool, config: StreamConfig = ..., ring_config: RingStreamConfig = ...) -> None: ...

    def get(self) -> object:
        """
        Wait for the next heap (an IncompleteHeap too when contiguous_only is False); raises Stopped at the end of the stream
        """

    def get_nowait(self) -> object:
        """The next heap, or raise Empty (or Stopped)"""

    @property
    def fd(self) -> int:
        """Readable when a heap is queued or the stream stops (for event loops)"""

    @property
    def ringbuffer(self) -> Ringbuffer:
        """The stream's ringbuffer of finished heaps (its size and capacity)"""

    @property
    def ring_config(self) -> RingStreamConfig:
        """The RingStreamConfig the stream was built with"""

    @overload
    def add_udp_reader(self, port: int, max_size: int = 9200, buffer_size: int = 33554432, bind_hostname: str = '') -> None: ...

    @overload
    def add_udp_reader(self, multicast_group: str, port: int, max_size: int = 9200, buffer_size: int = 33554432, interface_address: str = '') -> None: ...

    @overload
    def add_udp_reader(self, multicast_group: str, port: int, max_size: int = 9200, buffer_size: int = 33554432, *, interface_index: int) -> None:
        """Join IPv6 multicast group on the interface with this index"""

    @overload
    def add_udp_reader(self, socket: object, max_size: int = 9200) -> None:
        """
        Receive on a bound socket.socket (duplicated: the caller still closes its own)
        """

    @overload
    def add_tcp_reader(self, port: int, max_size: int = 65536, buffer_size: int = 8388608, bind_hostname: str = '') -> None: ...

    @overload
    def add_tcp_reader(self, acceptor: object, max_size: int = 65536) -> None:
        """
        Accept one connection on a listening socket.socket (duplicated: the caller still closes its own)
        """

    def add_buffer_reader(self, buffer: object) -> None:
        """
        Read packets from a buffer of concatenated packets (kept alive with the stream), then stop
        """

    def add_udp_pcap_file_reader(self, filename: str, filter: str = '') -> None:
        """
        Read the UDP packets of a pcap capture (optionally BPF-filtered), then stop
        """

    def add_inproc_reader(self, queue: lightspead._lightspead.InprocQueue) -> None:
        """Read packets from an InprocQueue until it is stopped"""

    @property
    def stats(self) -> StreamStats:
        """A snapshot of the statistics (StreamStats), consistent across counters"""

    @property
    def discard_stats(self) -> StreamStats:
        """
        Why packets and heaps were thrown away, one counter per reason (packets_malformed, packets_out_of_order, ..., kernel_dropped, read_errors) and packets_accepted: lightspead's, not in spead2
        """

    @property
    def config(self) -> StreamConfig:
        """The StreamConfig the stream was built with"""

    def stop(self) -> None:
        """
        Stop receiving: readers close, heaps under way are flushed (as incomplete) and the consumer sees the end after what is queued. Safe to call more than once
        """

    def start(self) -> None:
        """
        With StreamConfig(explicit_start=True), start every reader added so far; no reader can be added after it (RuntimeError). Otherwise it does nothing.
        """

    class Ringbuffer:
        """A stream's ringbuffer of finished heaps"""

        def size(self) -> int:
            """Heaps waiting in it now"""

        def capacity(self) -> int:
            """The most heaps it holds (RingStreamConfig.heaps)"""

    DEFAULT_UDP_MAX_SIZE: int = 9200

    DEFAULT_UDP_BUFFER_SIZE: int = 33554432

    DEFAULT_TCP_MAX_SIZE: int = 65536

    DEFAULT_TCP_BUFFER_SIZE: int = 8388608

class ChunkStreamConfig:
    """Settings of a chunk stream"""

    def __init__(self, *, items: Sequence[int] = [], max_chunks: int = 2, place: object | None = None, max_heap_extra: int = 0) -> None: ...

    @property
    def items(self) -> list[int]:
        """
        IDs of the items whose immediate values the place callback gets (-1 where a packet lacks one)
        """

    @items.setter
    def items(self, arg: Sequence[int], /) -> None: ...

    @property
    def max_chunks(self) -> int:
        """Chunks under construction at once (at least 1; ValueError otherwise)"""

    @max_chunks.setter
    def max_chunks(self, arg: int, /) -> None: ...

    @property
    def place(self) -> object:
        """
        The place callback: a scipy.LowLevelCallable (or a tuple whose first item is a PyCapsule) with C signature ``void (void *, size_t)`` or ``void (void *, size_t, void *)`` (user data), a ctypes function pointer with such argtypes, or a (ctypes function pointer, user data) tuple; or None. It must be compiled code (a numba cfunc, a C function): it runs on the network thread without the GIL, and Python code wrapped by ctypes is refused (ValueError)
        """

    @place.setter
    def place(self, place: object | None) -> None: ...

    @property
    def max_heap_extra(self) -> int:
        """Most extra bytes the place callback may write per heap"""

    @max_heap_extra.setter
    def max_heap_extra(self, arg: int, /) -> None: ...

    @property
    def packet_presence_payload_size(self) -> int:
        """Payload bytes per presence flag with packet presence, else 0"""

    def enable_packet_presence(self, payload_size: int) -> ChunkStreamConfig:
        """
        One presence flag per packet: a packet at payload offset o sets flag heap_index + o // payload_size. Returns this config
        """

    def disable_packet_presence(self) -> ChunkStreamConfig:
        """Back to one presence flag per complete heap. Returns this config"""

    DEFAULT_MAX_CHUNKS: int = 2

class Chunk:
    """
    A block of heaps: their payload (data), one flag per heap or packet (present) and optional per-heap extra bytes (extra), each a writable contiguous buffer
    """

    def __init__(self, *, chunk_id: int = -1, stream_id: int = 0, present: object | None = None, data: object | None = None, extra: object | None = None) -> None: ...

    @property
    def chunk_id(self) -> int:
        """The chunk's ID (set by the stream; -1 before)"""

    @chunk_id.setter
    def chunk_id(self, arg: int, /) -> None: ...

    @property
    def stream_id(self) -> int:
        """StreamConfig.stream_id of the stream that filled it"""

    @stream_id.setter
    def stream_id(self, arg: int, /) -> None: ...

    @property
    def present(self) -> object:
        """Presence flags (one byte each; non-zero: arrived)"""

    @present.setter
    def present(self, value: object | None) -> None: ...

    @property
    def data(self) -> object:
        """The heaps' payload"""

    @data.setter
    def data(self, value: object | None) -> None: ...

    @property
    def extra(self) -> object:
        """Extra bytes per heap, written by the place callback (or None)"""

    @extra.setter
    def extra(self, value: object | None) -> None: ...

class ChunkRingbuffer:
    """A bounded queue of chunks, shared by streams and the application"""

    def __init__(self, maxsize: int) -> None: ...

    def qsize(self) -> int:
        """Chunks in it now"""

    @property
    def maxsize(self) -> int:
        """The most chunks it holds"""

    @property
    def data_fd(self) -> int:
        """Readable while it holds a chunk or is stopped (for event loops)"""

    @property
    def space_fd(self) -> int:
        """Readable while it has room or is stopped (for event loops)"""

    def get(self) -> Chunk:
        """Wait for the next chunk; Stopped once it is stopped and empty"""

    def get_nowait(self) -> Chunk:
        """The next chunk, or raise Empty (or Stopped)"""

    def put(self, chunk: Chunk) -> None:
        """
        Add a chunk, waiting for room; Stopped if it is stopped. ValueError if data or present is unset
        """

    def put_nowait(self, chunk: Chunk) -> None:
        """
        Add a chunk or raise Full (or Stopped); a refused chunk is left as it was
        """

    def empty(self) -> bool:
        """Whether it holds no chunk"""

    def full(self) -> bool:
        """Whether it has no room"""

    def stop(self) -> bool:
        """
        Refuse further chunks; gets drain what is left, then raise Stopped. True if this call stopped it
        """

    def add_producer(self) -> None:
        """
        Count a producer: the ring stops when the last one calls remove_producer
        """

    def remove_producer(self) -> bool:
        """A producer is done; True if that stopped the ring"""

    def __iter__(self) -> ChunkRingbuffer:
        """The ringbuffer itself: iterating gives its chunks until it stops"""

    def __next__(self) -> Chunk:
        """
        The next chunk, waiting for it; StopIteration once the ring has stopped and is empty
        """

class _ChunkRingStream:
    """
    A chunk stream fed by a free ringbuffer (see lightspead.recv.ChunkRingStream)
    """

    @overload
    def __init__(self, thread_pool: lightspead._lightspead.ThreadPool, config: StreamConfig, chunk_stream_config: ChunkStreamConfig, data_ringbuffer: ChunkRingbuffer, free_ringbuffer: ChunkRingbuffer) -> None: ...

    @overload
    def __init__(self, thread_pool: lightspead._lightspead.ThreadPool, *, config: StreamConfig = ..., chunk_stream_config: ChunkStreamConfig, data_ringbuffer: ChunkRingbuffer, free_ringbuffer: ChunkRingbuffer) -> None: ...

    def add_free_chunk(self, chunk: Chunk) -> None:
        """
        Give a chunk (back) to the free ringbuffer, its presence flags cleared. Full if there is no room; a stopped ring leaves the chunk as it was
        """

    @property
    def data_ringbuffer(self) -> ChunkRingbuffer:
        """Where finished chunks go"""

    @property
    def free_ringbuffer(self) -> ChunkRingbuffer:
        """Where chunks to fill come from"""

    @property
    def chunk_stream_config(self) -> ChunkStreamConfig:
        """The ChunkStreamConfig in use"""

    @overload
    def add_udp_reader(self, port: int, max_size: int = 9200, buffer_size: int = 33554432, bind_hostname: str = '') -> None: ...

    @overload
    def add_udp_reader(self, multicast_group: str, port: int, max_size: int = 9200, buffer_size: int = 33554432, interface_address: str = '') -> None: ...

    @overload
    def add_udp_reader(self, multicast_group: str, port: int, max_size: int = 9200, buffer_size: int = 33554432, *, interface_index: int) -> None:
        """Join IPv6 multicast group on the interface with this index"""

    @overload
    def add_udp_reader(self, socket: object, max_size: int = 9200) -> None:
        """
        Receive on a bound socket.socket (duplicated: the caller still closes its own)
        """

    @overload
    def add_tcp_reader(self, port: int, max_size: int = 65536, buffer_size: int = 8388608, bind_hostname: str = '') -> None: ...

    @overload
    def add_tcp_reader(self, acceptor: object, max_size: int = 65536) -> None:
        """
        Accept one connection on a listening socket.socket (duplicated: the caller still closes its own)
        """

    def add_buffer_reader(self, buffer: object) -> None:
        """
        Read packets from a buffer of concatenated packets (kept alive with the stream), then stop
        """

    def add_udp_pcap_file_reader(self, filename: str, filter: str = '') -> None:
        """
        Read the UDP packets of a pcap capture (optionally BPF-filtered), then stop
        """

    def add_inproc_reader(self, queue: lightspead._lightspead.InprocQueue) -> None:
        """Read packets from an InprocQueue until it is stopped"""

    @property
    def stats(self) -> StreamStats:
        """A snapshot of the statistics (StreamStats), consistent across counters"""

    @property
    def discard_stats(self) -> StreamStats:
        """
        Why packets and heaps were thrown away, one counter per reason (packets_malformed, packets_out_of_order, ..., kernel_dropped, read_errors) and packets_accepted: lightspead's, not in spead2
        """

    @property
    def config(self) -> StreamConfig:
        """The StreamConfig the stream was built with"""

    def stop(self) -> None:
        """
        Stop receiving: readers close, heaps under way are flushed (as incomplete) and the consumer sees the end after what is queued. Safe to call more than once
        """

    def start(self) -> None:
        """
        With StreamConfig(explicit_start=True), start every reader added so far; no reader can be added after it (RuntimeError). Otherwise it does nothing.
        """

class ChunkStreamGroupConfig:
    """Settings of a chunk stream group"""

    def __init__(self, *, max_chunks: int = 2, eviction_mode: ChunkStreamGroupConfig.EvictionMode = ChunkStreamGroupConfig.EvictionMode.LOSSY) -> None: ...

    class EvictionMode(enum.Enum):
        """What a group does when it needs a new chunk"""

        LOSSY = 0
        """
        make every member give up the oldest chunks at once: a slow or silent member cannot stall the others
        """

        LOSSLESS = 1
        """
        wait until every member has moved past the oldest chunk: a silent member stalls the group until it stops
        """

    @property
    def max_chunks(self) -> int:
        """Chunks under construction at once (at least 1; ValueError otherwise)"""

    @max_chunks.setter
    def max_chunks(self, arg: int, /) -> None: ...

    @property
    def eviction_mode(self) -> ChunkStreamGroupConfig.EvictionMode:
        """LOSSY (the default) or LOSSLESS"""

    @eviction_mode.setter
    def eviction_mode(self, arg: ChunkStreamGroupConfig.EvictionMode, /) -> None: ...

    DEFAULT_MAX_CHUNKS: int = 2

class ChunkStreamGroupMember:
    """
    One stream of a ChunkStreamRingGroup (made by its emplace_back); stop() stops the whole group
    """

    @overload
    def add_udp_reader(self, port: int, max_size: int = 9200, buffer_size: int = 33554432, bind_hostname: str = '') -> None: ...

    @overload
    def add_udp_reader(self, multicast_group: str, port: int, max_size: int = 9200, buffer_size: int = 33554432, interface_address: str = '') -> None: ...

    @overload
    def add_udp_reader(self, multicast_group: str, port: int, max_size: int = 9200, buffer_size: int = 33554432, *, interface_index: int) -> None:
        """Join IPv6 multicast group on the interface with this index"""

    @overload
    def add_udp_reader(self, socket: object, max_size: int = 9200) -> None:
        """
        Receive on a bound socket.socket (duplicated: the caller still closes its own)
        """

    @overload
    def add_tcp_reader(self, port: int, max_size: int = 65536, buffer_size: int = 8388608, bind_hostname: str = '') -> None: ...

    @overload
    def add_tcp_reader(self, acceptor: object, max_size: int = 65536) -> None:
        """
        Accept one connection on a listening socket.socket (duplicated: the caller still closes its own)
        """

    def add_buffer_reader(self, buffer: object) -> None:
        """
        Read packets from a buffer of concatenated packets (kept alive with the stream), then stop
        """

    def add_udp_pcap_file_reader(self, filename: str, filter: str = '') -> None:
        """
        Read the UDP packets of a pcap capture (optionally BPF-filtered), then stop
        """

    def add_inproc_reader(self, queue: lightspead._lightspead.InprocQueue) -> None:
        """Read packets from an InprocQueue until it is stopped"""

    @property
    def stats(self) -> StreamStats:
        """A snapshot of the statistics (StreamStats), consistent across counters"""

    @property
    def discard_stats(self) -> StreamStats:
        """
        Why packets and heaps were thrown away, one counter per reason (packets_malformed, packets_out_of_order, ..., kernel_dropped, read_errors) and packets_accepted: lightspead's, not in spead2
        """

    @property
    def config(self) -> StreamConfig:
        """The StreamConfig the stream was built with"""

    def stop(self) -> None:
        """
        Stop receiving: readers close, heaps under way are flushed (as incomplete) and the consumer sees the end after what is queued. Safe to call more than once
        """

    def start(self) -> None:
        """
        With StreamConfig(explicit_start=True), start every reader added so far; no reader can be added after it (RuntimeError). Otherwise it does nothing.
        """

class _ChunkStreamRingGroup:
    """
    A chunk stream group fed by a free ringbuffer (see lightspead.recv.ChunkStreamRingGroup)
    """

    def __init__(self, config: ChunkStreamGroupConfig, data_ringbuffer: ChunkRingbuffer, free_ringbuffer: ChunkRingbuffer) -> None: ...

    @property
    def config(self) -> ChunkStreamGroupConfig:
        """The ChunkStreamGroupConfig in use"""

    @overload
    def emplace_back(self, thread_pool: lightspead._lightspead.ThreadPool, config: StreamConfig, chunk_stream_config: ChunkStreamConfig) -> ChunkStreamGroupMember:
        """
        Add a member receiving on thread_pool (give each member its own); RuntimeError once the group has begun receiving
        """

    @overload
    def emplace_back(self, thread_pool: lightspead._lightspead.ThreadPool, *, config: StreamConfig = ..., chunk_stream_config: ChunkStreamConfig) -> ChunkStreamGroupMember: ...

    def __len__(self) -> int:
        """The number of members"""

    @overload
    def __getitem__(self, index: int) -> ChunkStreamGroupMember:
        """
        The member at index (negative counts from the end; IndexError outside), or a list for a slice
        """

    @overload
    def __getitem__(self, index: slice) -> list[ChunkStreamGroupMember]: ...

    def add_free_chunk(self, chunk: Chunk) -> None:
        """
        Give a chunk (back) to the free ringbuffer, its presence flags cleared. Full if there is no room; a stopped ring leaves the chunk as it was
        """

    @property
    def data_ringbuffer(self) -> ChunkRingbuffer:
        """Where finished chunks go"""

    @property
    def free_ringbuffer(self) -> ChunkRingbuffer:
        """Where chunks to fill come from"""

    def stop(self) -> None:
        """Stop both ringbuffers and every member"""
