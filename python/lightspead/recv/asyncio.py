"""A receive stream for asyncio: ``await stream.get()`` and ``async for``.
The event loop watches the stream's file descriptor; no thread per stream."""

from __future__ import annotations

import asyncio
import collections
import os
from typing import Callable, Optional, TypeVar, cast

from .._lightspead import Empty, Full, Stopped
from . import Chunk, Heap
from . import ChunkRingbuffer as _ChunkRingbuffer
from . import Stream as _Stream

_T = TypeVar("_T")


def _wake(ready: asyncio.Future[None]) -> None:
    """The stream's descriptor is readable: let the waiting get() go on."""
    if not ready.done():
        ready.set_result(None)


class Stream(_Stream):
    """:class:`lightspead.recv.Stream` with awaitable :meth:`get`."""

    async def get(self) -> Heap:
        """The next complete heap; raises :class:`lightspead.Stopped` at
        the end of the stream. (Typed as :class:`Heap`: see
        :class:`lightspead.recv.Stream` for ``contiguous_only=False``.)"""
        loop = asyncio.get_running_loop()
        while True:
            try:
                return cast(Heap, self.get_nowait())
            except Empty:
                pass
            ready: asyncio.Future[None] = loop.create_future()
            loop.add_reader(self.fd, _wake, ready)
            try:
                # Re-check after registering: a heap may have arrived between
                # the empty pop and the registration.
                try:
                    return cast(Heap, self.get_nowait())
                except Empty:
                    pass
                await ready
            finally:
                loop.remove_reader(self.fd)
            try:
                os.read(self.fd, 8)     # reset; heaps are then taken by get_nowait
            except BlockingIOError:
                pass

    def __aiter__(self) -> Stream:
        """The stream itself: ``async for`` gives its heaps until it stops."""
        return self

    async def __anext__(self) -> Heap:
        """The next heap, awaiting it; StopAsyncIteration once the stream
        has stopped and every heap before that has been taken."""
        try:
            return await self.get()
        except Stopped:
            raise StopAsyncIteration from None


class _DescriptorWaiters:
    """Coroutines waiting for a level-triggered descriptor (readable exactly
    while their operation can succeed), woken one at a time in arrival
    order, with one event-loop registration however many wait."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._loop: Optional[asyncio.AbstractEventLoop] = None

    def _readable(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                break
        if not self._waiters:
            self._unregister()

    def _unregister(self) -> None:
        if self._loop is not None:
            self._loop.remove_reader(self._fd)
            self._loop = None

    async def run(self, operation: Callable[[], _T], busy: type[Exception]) -> _T:
        """Call *operation* until it does not raise *busy*, waiting for the
        descriptor in between."""
        while True:
            try:
                return operation()
            except busy:
                pass
            loop = asyncio.get_running_loop()
            if self._loop is not loop:
                self._unregister()      # left over from a loop that has gone
                self._waiters.clear()
                loop.add_reader(self._fd, self._readable)
                self._loop = loop
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
                if not self._waiters:
                    self._unregister()


class ChunkRingbuffer(_ChunkRingbuffer):
    """:class:`lightspead.recv.ChunkRingbuffer` with awaitable :meth:`get`
    and :meth:`put` and ``async for``. Waiting uses the ringbuffer's
    descriptors (:attr:`data_fd`, :attr:`space_fd`): no thread."""

    def __init__(self, maxsize: int) -> None:
        super().__init__(maxsize)
        self._getters = _DescriptorWaiters(self.data_fd)
        self._putters = _DescriptorWaiters(self.space_fd)

    async def get(self) -> Chunk:  # type: ignore[override]
        """The next chunk; raises :class:`lightspead.Stopped` once the
        ringbuffer is stopped and empty."""
        return await self._getters.run(self.get_nowait, Empty)

    async def put(self, chunk: Chunk) -> None:  # type: ignore[override]
        """Add *chunk*, waiting for room; raises :class:`lightspead.Stopped`
        if the ringbuffer is (or becomes) stopped."""
        await self._putters.run(lambda: self.put_nowait(chunk), Full)

    def __aiter__(self) -> ChunkRingbuffer:
        """The ringbuffer itself: ``async for`` gives its chunks until it stops."""
        return self

    async def __anext__(self) -> Chunk:
        """The next chunk, awaiting it; StopAsyncIteration once the
        ringbuffer has stopped and is empty."""
        try:
            return await self.get()
        except Stopped:
            raise StopAsyncIteration from None
