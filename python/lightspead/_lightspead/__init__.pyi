"""C++ core of lightspead (use the lightspead package, not this module)"""

from collections.abc import Sequence
from typing import Annotated, overload

import numpy
from numpy.typing import NDArray

from lightspead._lightspead import recv as recv, send as send


def _version() -> str:
    """The version of the C++ core (lightspead.__version__ reports it)"""

BUG_COMPAT_DESCRIPTOR_WIDTHS: int = 1

BUG_COMPAT_SHAPE_BIT_1: int = 2

BUG_COMPAT_SWAP_ENDIAN: int = 4

BUG_COMPAT_PYSPEAD_0_5_2: int = 7

NULL_ID: int = 0

HEAP_CNT_ID: int = 1

HEAP_LENGTH_ID: int = 2

PAYLOAD_OFFSET_ID: int = 3

PAYLOAD_LENGTH_ID: int = 4

DESCRIPTOR_ID: int = 5

STREAM_CTRL_ID: int = 6

DESCRIPTOR_NAME_ID: int = 16

DESCRIPTOR_DESCRIPTION_ID: int = 17

DESCRIPTOR_SHAPE_ID: int = 18

DESCRIPTOR_FORMAT_ID: int = 19

DESCRIPTOR_ID_ID: int = 20

DESCRIPTOR_DTYPE_ID: int = 21

CTRL_STREAM_START: int = 0

CTRL_DESCRIPTOR_REISSUE: int = 1

CTRL_STREAM_STOP: int = 2

CTRL_DESCRIPTOR_UPDATE: int = 3

MEMCPY_STD: int = 0

MEMCPY_NONTEMPORAL: int = 1

class Flavour:
    """A SPEAD flavour: SPEAD-64-A with PySPEAD compatibility bits"""

    def __init__(self, version: int = 4, item_pointer_bits: int = 64, heap_address_bits: int = 40, bug_compat: int = 0) -> None: ...

    @property
    def version(self) -> int:
        """SPEAD protocol version (4)"""

    @property
    def item_pointer_bits(self) -> int:
        """Bits in an item pointer (64)"""

    @property
    def heap_address_bits(self) -> int:
        """
        Bits of an item pointer that hold an address or immediate value (the rest, less one, hold the ID)
        """

    @property
    def bug_compat(self) -> int:
        """The BUG_COMPAT_* flags of the flavour, or-ed"""

    def __eq__(self, arg: Flavour, /) -> bool: ...

    def __repr__(self) -> str: ...

class ThreadPool:
    """Worker threads that run streams' I/O"""

    def __init__(self, threads: int = 1, affinity: Sequence[int] = []) -> None: ...

    @staticmethod
    def set_affinity(core: int) -> None:
        """Pin the calling thread to CPU core"""

    def stop(self) -> None:
        """
        Stop every stream on the pool (receive streams end, unfinished sends fail with OSError(ECANCELED)), finish queued work and join the threads. Idempotent.
        """

def _route_log_to_queue() -> None:
    """Send C++ log messages to the queue that lightspead's log thread drains"""

def _resolve_host(host: str) -> str:
    """
    The address host names, as every lightspead API resolves it (see resolve_host)
    """

def _set_send_buffer(fd: int, size: int) -> int:
    """
    Size a socket's send buffer as lightspead's own sockets are sized; returns what the kernel granted
    """

def _log_fd() -> int: ...

def _take_log_messages() -> list[tuple[int, str]]: ...

class Stopped(Exception):
    pass

class Empty(Exception):
    pass

class Full(Exception):
    pass

class MemoryAllocator:
    """Allocates heap payload memory (new[])"""

    def __init__(self) -> None: ...

    def allocate(self, size: int) -> Annotated[NDArray[numpy.uint8], dict(shape=(None,))]:
        """
        A new numpy uint8 array of size bytes on this allocator's memory (not zeroed), freed with the array: for example heap payload on huge pages (MmapAllocator(prefer_huge=True)) for zero-copy sending
        """

class MmapAllocator(MemoryAllocator):
    """
    Allocates with mmap: flags are extra mmap flags (mmap.MAP_POPULATE pre-faults every page); prefer_huge asks for transparent huge pages, mapping whole aligned 2 MiB ranges (and with MAP_POPULATE faulting in huge pages)
    """

    def __init__(self, flags: int = 0, prefer_huge: bool = False) -> None: ...

class MemoryPool(MemoryAllocator):
    """Recycles pre-touched payload buffers"""

    @overload
    def __init__(self, lower: int, upper: int, max_free: int, initial: int, allocator: MemoryAllocator | None = None) -> None: ...

    @overload
    def __init__(self, thread_pool: ThreadPool, lower: int, upper: int, max_free: int, initial: int, low_water: int, allocator: MemoryAllocator | None = None) -> None: ...

    @property
    def warn_on_empty(self) -> bool:
        """
        Whether the first allocation from an empty pool logs a warning (default True)
        """

    @warn_on_empty.setter
    def warn_on_empty(self, arg: bool, /) -> None: ...

class InprocQueue:
    """In-process packet queue between a send and a receive stream"""

    def __init__(self) -> None: ...

    def add_packet(self, packet: object) -> None:
        """
        Append one packet (any buffer; copied). Raises Stopped once the queue is stopped.
        """

    def stop(self) -> None:
        """
        Stop the queue: readers receive what is queued, then see the end; later adds raise Stopped
        """
