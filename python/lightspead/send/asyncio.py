"""Send streams for asyncio: ``async_send_heap`` returns an awaitable
future. Completions are delivered through a file descriptor the event loop
watches, not by a thread per stream."""

from __future__ import annotations

import asyncio
import socket
from typing import TYPE_CHECKING, Any, Dict, Optional, Sequence, Tuple, Union

from .._lightspead import ThreadPool, _resolve_host, _set_send_buffer
from . import BytesStream as _BytesStream
from . import GroupMode, Heap, HeapReference, HeapReferenceList, StreamConfig
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


def _successor(future: asyncio.Future[int], loop: asyncio.AbstractEventLoop) -> asyncio.Future[int]:
    """A future of ``loop`` that stands in for ``future``, of a loop that is
    no longer running: its outcome is passed on to ``future`` while that
    loop is open, and is otherwise nobody's to retrieve."""
    successor: asyncio.Future[int] = loop.create_future()

    def pass_on(done: asyncio.Future[int]) -> None:
        if done.cancelled():
            return
        error = done.exception()    # also marks an unwanted exception as retrieved
        if future.done() or future.get_loop().is_closed():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(done.result())

    successor.add_done_callback(pass_on)
    return successor


class _AsyncStream(_MixinBase):
    def _async_setup(self) -> None:
        # token -> (future, what must stay alive until it is done)
        self._pending: Dict[int, Tuple[asyncio.Future[int], Any]] = {}
        self._next_token = 0
        self._watching: Optional[asyncio.AbstractEventLoop] = None  # the loop watching our descriptor

    def async_send_heap(self, heap: Heap, cnt: int = -1, substream_index: int = 0,
                        rate: float = -1.0) -> asyncio.Future[int]:
        """Queue ``heap``; returns a future of the bytes sent (or an
        OSError). The heap is kept alive until the future is done.
        ``rate`` is bytes per second for this heap (negative: the
        stream's rate; 0: unlimited)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        token = self._next_token
        self._next_token += 1
        self._watch(loop)
        self._pending[token] = (future, heap)
        self._async_send_heap(heap, token, cnt, substream_index, rate)
        return future

    def async_send_heaps(self, heaps: Union[Sequence[HeapReference], HeapReferenceList],
                         mode: GroupMode) -> asyncio.Future[int]:
        """Queue a group of heaps (HeapReference objects or a
        HeapReferenceList); returns a future of the bytes sent by all."""
        from . import _references
        refs = _references(heaps)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        token = self._next_token
        self._next_token += 1
        self._watch(loop)
        self._pending[token] = (future, [ref[0] for ref in refs])
        self._async_send_heaps(refs, mode, token)
        return future

    def _watch(self, loop: asyncio.AbstractEventLoop) -> None:
        """Have ``loop`` (the running one) deliver completions. A stream
        outlives event loops (each ``asyncio.run`` makes a new one): when
        the loop that watched has stopped or closed, this one takes over,
        with the sends still pending (their results go to futures of this
        loop, and on to the old futures if their loop is still open)."""
        old = self._watching
        if old is loop:
            return
        if old is not None:
            if old.is_running():
                raise RuntimeError("this stream has sends pending in another running event loop: "
                                   "use a stream from one event loop at a time")
            if not old.is_closed():
                old.remove_reader(self._completion_fd)
            for token, (future, keep) in list(self._pending.items()):
                if not future.done():
                    self._pending[token] = (_successor(future, loop), keep)
        loop.add_reader(self._completion_fd, self._on_completions)
        self._watching = loop

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

    @property
    def _active(self) -> int:
        """Sends queued through this object and not yet completed (spead2's
        tests look at it)."""
        return len(self._pending)

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
    """:class:`lightspead.send.TcpStream` with ``async_send_heap``.

    Constructing one connects with the event loop blocked until the
    connection is made; ``await TcpStream.connect(...)`` does not block it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _TcpStream.__init__(self, *args, **kwargs)
        self._async_setup()

    @classmethod
    async def connect(cls, thread_pool: ThreadPool, endpoints: Sequence[Tuple[str, int]],
                      config: Optional[StreamConfig] = None, buffer_size: int = 0,
                      interface_address: str = "") -> TcpStream:
        """Connect to the one endpoint ``(host, port)`` while the event loop
        runs, then return the stream. ``buffer_size`` sizes the socket's
        send buffer (0: the system default) and ``interface_address`` binds
        the local end. Raises OSError (ConnectionRefusedError, ...) if the
        connection fails, ValueError unless there is exactly one endpoint."""
        if len(endpoints) != 1:
            raise ValueError("TcpStream needs exactly one endpoint")
        host, port = endpoints[0]
        if not 0 <= port <= 65535:
            raise ValueError(f"port {port} is outside [0, 65535]")
        loop = asyncio.get_running_loop()
        # Names resolve as everywhere in lightspead, off the event loop
        address = await loop.run_in_executor(None, _resolve_host, host)
        local = await loop.run_in_executor(None, _resolve_host, interface_address) if interface_address else None
        with socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setblocking(False)
            _set_send_buffer(sock.fileno(), buffer_size)
            if local is not None:
                sock.bind((local, 0))
            await loop.sock_connect(sock, (address, port))
            # The stream takes a duplicate of the connected socket
            if config is None:
                return cls(thread_pool, sock)
            return cls(thread_pool, sock, config)


class InprocStream(_AsyncStream, _InprocStream):
    """:class:`lightspead.send.InprocStream` with ``async_send_heap``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _InprocStream.__init__(self, *args, **kwargs)
        self._async_setup()
