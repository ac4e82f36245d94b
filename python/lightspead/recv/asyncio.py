"""A receive stream for asyncio: ``await stream.get()`` and ``async for``.
The event loop watches the stream's file descriptor; no thread per stream."""

from __future__ import annotations

import asyncio
import os
from typing import cast

from .._lightspead import Empty, Stopped
from . import Heap
from . import Stream as _Stream


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
        return self

    async def __anext__(self) -> Heap:
        try:
            return await self.get()
        except Stopped:
            raise StopAsyncIteration from None
