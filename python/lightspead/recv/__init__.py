"""Receiving heaps."""

from __future__ import annotations

from typing import cast

from .._lightspead import Stopped
from .._lightspead.recv import (  # noqa: F401
    DEFAULT_MAX_HEAPS,
    Heap,
    IncompleteHeap,
    RawItem,
    RingStreamConfig,
    StreamConfig,
    StreamStatConfig,
    StreamStats,
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
        return self

    def __next__(self) -> Heap:
        try:
            # The blocking get of the extension, also for recv.asyncio.Stream
            # (whose own get is a coroutine), as spead2 allows
            return cast(Heap, _Stream.get(self))
        except Stopped:
            raise StopIteration from None
