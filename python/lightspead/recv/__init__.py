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
    StreamStats,
    _Stream,
)


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
            return cast(Heap, self.get())
        except Stopped:
            raise StopIteration from None
