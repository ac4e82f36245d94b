"""Sending heaps: streams, heaps and item groups that generate heaps."""

from __future__ import annotations

from typing import Dict, Iterable, Optional, Tuple, Union, overload

from .._items import Descriptor, Item
from .._lightspead import Flavour
from .._lightspead.send import (  # noqa: F401
    DEFAULT_BUFFER_SIZE,
    DEFAULT_BURST_RATE_RATIO,
    DEFAULT_BURST_SIZE,
    DEFAULT_MAX_HEAPS,
    DEFAULT_MAX_PACKET_SIZE,
    BytesStream,
    GroupMode,
    RateMethod,
    RegisteredAllocator,
    InprocStream,
    PacketGenerator,
    StreamConfig,
    TcpStream,
    UdpStream,
    ZerocopyMode,
    _RawHeap,
    _Stream,
)
from .._items import ItemGroup as _ItemGroup


class Heap(_RawHeap):
    """A heap to send, built from :class:`~lightspead.Item` and
    :class:`~lightspead.Descriptor` objects. The heap keeps the items'
    buffers alive until it is destroyed; do not change an item's array
    while a heap holding it is being sent."""

    def __init__(self, flavour: Optional[Flavour] = None) -> None:
        super().__init__(flavour if flavour is not None else Flavour())

    def add_item(self, item: Item) -> None:
        """Add the item's current value."""
        self.add_buffer(item.id, item.to_buffer(), item.allow_immediate())

    def add_descriptor(self, descriptor: Descriptor) -> None:
        """Add a descriptor item describing ``descriptor``."""
        self.add_raw_descriptor(*descriptor.to_raw(self.flavour))


class HeapReference:
    """A heap in a group sent with ``send_heaps``/``async_send_heaps``,
    with its own heap counter (-1: the stream's next), substream and rate
    in bytes per second (negative: the stream's rate; 0: unlimited)."""

    def __init__(self, heap: Heap, *, cnt: int = -1, substream_index: int = 0, rate: float = -1.0) -> None:
        self.heap = heap
        self.cnt = cnt
        self.substream_index = substream_index
        self.rate = rate


class HeapReferenceList:
    """A reusable list of :class:`HeapReference` to send as a group. Its
    length is ``len(hrl)``; ``hrl[i]`` is one reference and ``hrl[a:b]``
    another HeapReferenceList (a step of 0 raises ValueError, as for
    lists)."""

    def __init__(self, heaps: Iterable[HeapReference]) -> None:
        self.heaps = list(heaps)
        for ref in self.heaps:
            if not isinstance(ref, HeapReference):
                raise TypeError("HeapReferenceList holds HeapReference objects")

    def __len__(self) -> int:
        """The number of heap references."""
        return len(self.heaps)

    @overload
    def __getitem__(self, index: int) -> HeapReference: ...
    @overload
    def __getitem__(self, index: slice) -> HeapReferenceList: ...

    def __getitem__(self, index: Union[int, slice]) -> Union[HeapReference, HeapReferenceList]:
        """The HeapReference at *index*, or for a slice a new HeapReferenceList."""
        if isinstance(index, slice):
            return HeapReferenceList(self.heaps[index])
        return self.heaps[index]


#: The base class of every send stream (spead2's name)
Stream = _Stream


def _references(heaps):
    if isinstance(heaps, HeapReferenceList):
        heaps = heaps.heaps
    out = []
    for ref in heaps:
        if not isinstance(ref, HeapReference):
            raise TypeError("send_heaps takes HeapReference objects or a HeapReferenceList")
        out.append((ref.heap, ref.cnt, ref.substream_index, ref.rate))
    return out


class HeapGenerator:
    """Builds heaps from an item group, sending only what changed.

    ``descriptors`` and ``data`` of :meth:`get_heap` are 'stale' (what the
    receiver has not seen: new or re-described items, changed values),
    'all' or 'none'. With ``descriptor_frequency`` N, every item's
    descriptor is sent again every N heaps."""

    def __init__(self, item_group: _ItemGroup, descriptor_frequency: Optional[int] = None,
                 flavour: Optional[Flavour] = None) -> None:
        if descriptor_frequency is not None and descriptor_frequency < 1:
            raise ValueError("descriptor_frequency must be at least 1")
        self._item_group = item_group
        self._descriptor_frequency = descriptor_frequency
        self._flavour = flavour if flavour is not None else Flavour()
        self._sent_version: Dict[int, Tuple[Item, int]] = {}    # id -> item version last sent
        self._described_at: Dict[int, Tuple[Item, int]] = {}    # id -> (item object, heap number)
        self._heaps = 0

    def _descriptor_stale(self, item: Item) -> bool:
        described = self._described_at.get(item.id)
        if described is None or described[0] is not item:
            return True
        return (self._descriptor_frequency is not None
                and self._heaps - described[1] >= self._descriptor_frequency)

    def add_to_heap(self, heap: Heap, descriptors: str = "stale", data: str = "stale") -> Heap:
        """Add to ``heap`` what :meth:`get_heap` would put in a new heap
        (for a heap built by hand or reused); returns ``heap``. Raises
        ValueError if ``descriptors`` or ``data`` is not 'stale', 'all' or
        'none'."""
        for mode, what in ((descriptors, "descriptors"), (data, "data")):
            if mode not in ("stale", "all", "none"):
                raise ValueError(f"{what} must be 'stale', 'all' or 'none', not {mode!r}")
        # Item by item, its descriptor then its value (the reference's order)
        for item in self._item_group.values():
            if descriptors == "all" or (descriptors == "stale" and self._descriptor_stale(item)):
                heap.add_descriptor(item)
                self._described_at[item.id] = (item, self._heaps)
            if item.value is None:
                continue
            if data == "all" or (data == "stale" and self._sent_version.get(item.id) != (item, item.version)):
                heap.add_item(item)
                self._sent_version[item.id] = (item, item.version)
        self._heaps += 1
        return heap

    def get_heap(self, descriptors: str = "stale", data: str = "stale") -> Heap:
        """A new heap holding the new or changed items and the descriptors
        due (see :meth:`add_to_heap`)."""
        return self.add_to_heap(Heap(self._flavour), descriptors, data)

    def get_start(self) -> Heap:
        """A heap announcing the start of the stream."""
        heap = Heap(self._flavour)
        heap.add_start()
        return heap

    def get_end(self) -> Heap:
        """A heap telling receivers the stream has ended."""
        heap = Heap(self._flavour)
        heap.add_end()
        return heap


class ItemGroup(_ItemGroup, HeapGenerator):
    """An item group that generates heaps of its items."""

    def __init__(self, descriptor_frequency: Optional[int] = None, flavour: Optional[Flavour] = None) -> None:
        _ItemGroup.__init__(self)
        HeapGenerator.__init__(self, self, descriptor_frequency, flavour)
