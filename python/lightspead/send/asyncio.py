"""Send streams for asyncio: ``async_send_heap`` returns an awaitable
future. Completions are delivered through a file descriptor the event loop
watches, not by a thread per stream."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Dict, Optional, Sequence, Tuple, Union

from . import BytesStream as _BytesStream
from . import GroupMode, Heap, HeapReference, HeapReferenceList
from . import InprocStream as _InprocStream
from . import TcpStream as _TcpStream
from . import UdpStream as _UdpStream

if TYPE_CHECKING:
    # For the type checker the mixin is a stream (it only ever is mixed into
    # one); at run time it is a plain class, so that the extension's types
    # are not inherited twice.
    from .._lightspead.send import _Stream as _MixinBase
else:
    _MixinBase = object


class _AsyncStream(_MixinBase):
    def _async_setup(self) -> None:
        # token -> (future, what must stay alive until it is done)
        self._pending: Dict[int, Tuple[asyncio.Future[int], Any]] = {}
        self._next_token = 0
        self._watching: Optional[asyncio.AbstractEventLoop] = None  # the loop watching our descriptor

    def async_send_heap(self, heap: Heap, cnt: int = -1, substream_index: int = 0) -> asyncio.Future[int]:
        """Queue ``heap``; returns a future of the bytes sent (or an
        OSError). The heap is kept alive until the future is done."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        token = self._next_token
        self._next_token += 1
        self._pending[token] = (future, heap)
        if self._watching is None:
            loop.add_reader(self._completion_fd, self._on_completions)
            self._watching = loop
        self._async_send_heap(heap, token, cnt, substream_index)
        return future

    def async_send_heaps(self, heaps: Union[Sequence[HeapReference], HeapReferenceList],
                         mode: GroupMode) -> asyncio.Future[int]:
        """Queue a group of heaps (HeapReference objects or a
        HeapReferenceList); returns a future of the bytes sent by all."""
        from . import _triples
        triples = _triples(heaps)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        token = self._next_token
        self._next_token += 1
        self._pending[token] = (future, [heap for heap, _, _ in triples])
        if self._watching is None:
            loop.add_reader(self._completion_fd, self._on_completions)
            self._watching = loop
        self._async_send_heaps(triples, mode, token)
        return future

    def _on_completions(self) -> None:
        for token, error, nbytes in self._take_completions():
            future, _heap = self._pending.pop(token)
            if future.done():
                continue        # cancelled by the caller
            if error is not None:
                errno, message = error
                future.set_exception(OSError(errno, message) if errno else OSError(message))
            else:
                future.set_result(nbytes)
        if not self._pending and self._watching is not None:
            self._watching.remove_reader(self._completion_fd)
            self._watching = None

    async def async_flush(self) -> None:
        """Wait until every heap queued so far has been sent."""
        futures = [future for future, _ in self._pending.values()]
        if futures:
            await asyncio.wait(futures)


class UdpStream(_AsyncStream, _UdpStream):
    """:class:`lightspead.send.UdpStream` with ``async_send_heap``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _UdpStream.__init__(self, *args, **kwargs)
        self._async_setup()


class BytesStream(_AsyncStream, _BytesStream):
    """:class:`lightspead.send.BytesStream` with ``async_send_heap``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _BytesStream.__init__(self, *args, **kwargs)
        self._async_setup()


class TcpStream(_AsyncStream, _TcpStream):
    """:class:`lightspead.send.TcpStream` with ``async_send_heap``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _TcpStream.__init__(self, *args, **kwargs)
        self._async_setup()


class InprocStream(_AsyncStream, _InprocStream):
    """:class:`lightspead.send.InprocStream` with ``async_send_heap``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _InprocStream.__init__(self, *args, **kwargs)
        self._async_setup()
