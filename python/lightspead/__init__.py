"""lightspead: SPEAD (Streaming Protocol for Exchanging Astronomical Data).

The public names follow spead2's Python API, so that a spead2 program runs
with ``import lightspead as spead2``.
"""

from __future__ import annotations

import mmap as _mmap

import numpy as _np

from ._lightspead import _version as _core_version
from ._lightspead import (  # noqa: F401
    BUG_COMPAT_DESCRIPTOR_WIDTHS,
    BUG_COMPAT_PYSPEAD_0_5_2,
    BUG_COMPAT_SHAPE_BIT_1,
    BUG_COMPAT_SWAP_ENDIAN,
    CTRL_DESCRIPTOR_REISSUE,
    CTRL_DESCRIPTOR_UPDATE,
    CTRL_STREAM_START,
    CTRL_STREAM_STOP,
    DESCRIPTOR_DESCRIPTION_ID,
    DESCRIPTOR_DTYPE_ID,
    DESCRIPTOR_FORMAT_ID,
    DESCRIPTOR_ID,
    DESCRIPTOR_ID_ID,
    DESCRIPTOR_NAME_ID,
    DESCRIPTOR_SHAPE_ID,
    HEAP_CNT_ID,
    HEAP_LENGTH_ID,
    MEMCPY_NONTEMPORAL,
    MEMCPY_STD,
    NULL_ID,
    PAYLOAD_LENGTH_ID,
    PAYLOAD_OFFSET_ID,
    STREAM_CTRL_ID,
    Empty,
    Full,
    Flavour,
    InprocQueue,
    MemoryAllocator,
    MemoryPool,
    MmapAllocator,
    Stopped,
    ThreadPool,
)
from ._items import Descriptor, Item, ItemGroup  # noqa: F401
from . import _logging

_logging.start()

# Subpackages are imported here so that `import lightspead as spead2`
# followed by `spead2.send.asyncio.UdpStream(...)` works as with spead2.
from . import recv  # noqa: F401,E402
from . import send  # noqa: F401,E402
from .recv import asyncio as _recv_asyncio  # noqa: F401,E402
from .send import asyncio as _send_asyncio  # noqa: F401,E402

# The version of the C++ core this package was built with (from VERSION.txt,
# as the package metadata is)
__version__: str = _core_version()


def empty(shape, dtype=_np.uint8, allocator: MemoryAllocator | None = None) -> _np.ndarray:
    """A new, uninitialised numpy array (as :func:`numpy.empty`) on memory
    from ``allocator``; by default ``MmapAllocator(mmap.MAP_POPULATE,
    prefer_huge=True)``: transparent huge pages, on which a zero-copy send
    stream (see ``send.StreamConfig.zerocopy``) hands the most packets to
    the kernel at once, faulted in here rather than when first written. The
    memory is freed with the last view of the array."""
    dt = _np.dtype(dtype)
    dims = (shape,) if isinstance(shape, int) else tuple(shape)
    count = 1
    for d in dims:
        if d < 0:
            raise ValueError(f"negative dimension {d} in shape {shape!r}")
        count *= d
    if allocator is None:
        allocator = MmapAllocator(_mmap.MAP_POPULATE, prefer_huge=True)
    raw = allocator.allocate(count * dt.itemsize)
    return raw.view(dt).reshape(dims)


def parse_range_list(ranges: str) -> list[int]:
    """Expand a comma-separated list of numbers and inclusive ranges, as
    used for CPU core lists: ``"0-3,6"`` gives ``[0, 1, 2, 3, 6]``. An
    empty string gives an empty list; anything else malformed raises
    ValueError."""
    if not ranges:
        return []
    out: list[int] = []
    for part in ranges.split(","):
        if "-" in part[1:]:
            if part.startswith("-"):
                raise ValueError(f"bad range {part!r}")
            first_text, last_text = part.split("-", 1)
            first, last = int(first_text), int(last_text)
            if first > last:
                raise ValueError(f"range {part!r} runs backwards")
            out.extend(range(first, last + 1))
        else:
            out.append(int(part))
    return out
