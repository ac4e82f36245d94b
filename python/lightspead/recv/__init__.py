"""Receiving heaps."""

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
    out of input, or :meth:`stop` is called)."""

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return self.get()
        except Stopped:
            raise StopIteration from None
