"""Receiving heaps."""

from __future__ import annotations

import collections.abc
import sys
from typing import Any, Iterator, cast

from .._lightspead import Stopped
from .._lightspead.recv import (  # noqa: F401
    DEFAULT_MAX_HEAPS,
    Chunk,
    ChunkRingbuffer,
    ChunkStreamConfig,
    ChunkStreamGroupConfig,
    ChunkStreamGroupMember,
    Heap,
    IncompleteHeap,
    RawItem,
    RingStreamConfig,
    StreamConfig,
    StreamStatConfig,
    StreamStats,
    _ChunkRingStream,
    _ChunkStreamRingGroup,
    _Stream,
)


class stream_stat_indices:
    """Indices of the standard stream statistics, as spead2 names them.
    Custom statistics follow them (see :meth:`StreamConfig.next_stat_index`).
    Why packets were discarded is in :attr:`Stream.discard_stats`, by name."""

    HEAPS = 0
    INCOMPLETE_HEAPS_EVICTED = 1
    INCOMPLETE_HEAPS_FLUSHED = 2
    PACKETS = 3
    BATCHES = 4
    MAX_BATCH = 5
    SINGLE_PACKET_HEAPS = 6
    SEARCH_DIST = 7
    WORKER_BLOCKED = 8


class Stream(_Stream):
    """A receive stream with a ringbuffer of complete heaps. Iterating
    yields heaps until the stream stops (a stop heap arrives, a reader runs
    out of input, or :meth:`stop` is called).

    Typed as yielding :class:`Heap`, the common case: with
    ``RingStreamConfig(contiguous_only=False)`` :class:`IncompleteHeap`
    objects come too, and the consumer tells them apart with isinstance."""

    def __iter__(self) -> Stream:
        """The stream itself: iterating gives its heaps until it stops."""
        return self

    def __next__(self) -> Heap:
        """The next heap, waiting for it; StopIteration once the stream has
        stopped and every heap before that has been taken."""
        try:
            # The blocking get of the extension, also for recv.asyncio.Stream
            # (whose own get is a coroutine), as spead2 allows
            return cast(Heap, _Stream.get(self))
        except Stopped:
            raise StopIteration from None


class ChunkRingPair:
    """What streams (and groups) that cycle chunks through a pair of
    ringbuffers have in common: they take empty chunks from
    :attr:`free_ringbuffer` and put finished ones on
    :attr:`data_ringbuffer`; the application gives chunks back with
    :meth:`add_free_chunk`. Not constructed on its own."""

    def add_free_chunk(self, chunk: Chunk) -> None:
        """Give *chunk* (back) to the free ringbuffer, its presence flags
        cleared. Raises :class:`lightspead.Full` if the free ringbuffer has
        no room; on a stopped free ringbuffer the chunk is left as it was."""
        raise NotImplementedError

    @property
    def data_ringbuffer(self) -> ChunkRingbuffer:
        """Where finished chunks go."""
        raise NotImplementedError

    @property
    def free_ringbuffer(self) -> ChunkRingbuffer:
        """Where chunks to fill come from."""
        raise NotImplementedError


class ChunkRingStream(_ChunkRingStream, ChunkRingPair):
    """A chunk stream: each heap is placed, by the place callback of its
    :class:`ChunkStreamConfig`, straight into a chunk taken from
    *free_ringbuffer*; finished chunks (in chunk ID order) go to
    *data_ringbuffer*, which stops once every stream feeding it has
    stopped. :meth:`stop` stops both ringbuffers first, so it never waits
    for the application.

    ``ChunkRingStream(thread_pool, config=StreamConfig(),
    chunk_stream_config=..., data_ringbuffer=..., free_ringbuffer=...)``;
    ValueError if the place callback is missing."""

    add_free_chunk = _ChunkRingStream.add_free_chunk
    data_ringbuffer = _ChunkRingStream.data_ringbuffer
    free_ringbuffer = _ChunkRingStream.free_ringbuffer


class ChunkStreamRingGroup(_ChunkStreamRingGroup, ChunkRingPair):
    """Several chunk streams (members, one per thread) filling one sequence
    of chunks, taken from *free_ringbuffer* and, once every member is past
    them, put on *data_ringbuffer* in chunk ID order. Members are added
    with :meth:`emplace_back` before any receives; the group is a sequence
    of them (``len``, indexing and slicing, iteration, ``in``, ``index``,
    ``count``). :meth:`stop` (or any member's ``stop``) stops them all.

    ``ChunkStreamRingGroup(config, data_ringbuffer, free_ringbuffer)``."""

    add_free_chunk = _ChunkStreamRingGroup.add_free_chunk
    data_ringbuffer = _ChunkStreamRingGroup.data_ringbuffer
    free_ringbuffer = _ChunkStreamRingGroup.free_ringbuffer

    def __iter__(self) -> Iterator[ChunkStreamGroupMember]:
        """The members, first to last."""
        for i in range(len(self)):
            yield self[i]

    def __reversed__(self) -> Iterator[ChunkStreamGroupMember]:
        """The members, last to first."""
        for i in reversed(range(len(self))):
            yield self[i]

    def __contains__(self, value: Any) -> bool:
        """Whether *value* is one of the members (by identity)."""
        return any(member is value for member in self)

    def index(self, value: Any, start: int = 0, stop: int = sys.maxsize) -> int:
        """The position of member *value* in [start, stop); ValueError if it is not there."""
        for i in range(*slice(start, stop).indices(len(self))):
            if self[i] is value:
                return i
        raise ValueError(f"{value!r} is not a member of this group")

    def count(self, value: Any) -> int:
        """1 if *value* is a member of this group, else 0."""
        return int(value in self)


collections.abc.Sequence.register(ChunkStreamRingGroup)
