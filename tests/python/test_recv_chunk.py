"""Chunk streams from Python: chunks made of numpy arrays, place callbacks
compiled with numba and given as scipy.LowLevelCallable, the ring pair,
the bounds on what a callback may ask for, and the asyncio ringbuffer."""

import asyncio
import ctypes
import gc
import threading
import weakref

import numpy as np
import pytest

import lightspead
import lightspead.recv
import lightspead.recv.asyncio
import lightspead.send

numba = pytest.importorskip("numba")
scipy = pytest.importorskip("scipy")
from numba import types  # noqa: E402

from lightspead.numba import intp_to_voidptr  # noqa: E402
from lightspead.recv.numba import chunk_place_data  # noqa: E402

HEAP_BYTES = 1024
HEAPS_PER_CHUNK = 8
CHUNK_BYTES = HEAP_BYTES * HEAPS_PER_CHUNK
GUARD = 4096

# What the callback reads: the position item, the heap length, and (user
# data) a heap index that is placed wrongly and how.
bad_type = types.Record.make_c_struct([("position", types.int64), ("mode", types.int64)])


@numba.cfunc(types.void(types.CPointer(chunk_place_data), types.uintp, types.CPointer(bad_type)), nopython=True)
def place(data_ptr, data_size, user_ptr):
    data = numba.carray(data_ptr, 1)
    items = numba.carray(intp_to_voidptr(data[0].items), 2, dtype=np.int64)
    user = numba.carray(user_ptr, 1)
    position = items[0]
    if items[1] != HEAP_BYTES:
        return
    data[0].chunk_id = position // HEAPS_PER_CHUNK
    data[0].heap_index = position % HEAPS_PER_CHUNK
    data[0].heap_offset = data[0].heap_index * HEAP_BYTES
    if position == user[0].position:
        if user[0].mode == 1:
            data[0].heap_offset = CHUNK_BYTES - 10
        elif user[0].mode == 2:
            data[0].heap_index = HEAPS_PER_CHUNK + 3
        elif user[0].mode == 3:
            data[0].extra_size = 64


def place_callable(bad_position=-1, mode=0):
    user = np.zeros(1, dtype=bad_type.dtype)
    user["position"] = bad_position
    user["mode"] = mode
    llc = scipy.LowLevelCallable(place.ctypes, user_data=user.ctypes.data_as(ctypes.c_void_p),
                                 signature="void (void *, size_t, void *)")
    return llc, user  # the caller keeps user alive


def payload(position):
    return ((np.arange(HEAP_BYTES) * 7 + position) % 251).astype(np.uint8)


def send_heaps(queue, positions):
    ig = lightspead.send.ItemGroup()
    ig.add_item(0x1000, "position", "", (), format=[("u", 32)])
    ig.add_item(0x1001, "payload", "", (HEAP_BYTES,), dtype=np.uint8)
    stream = lightspead.send.InprocStream(lightspead.ThreadPool(), [queue])
    stream.send_heap(ig.get_heap(descriptors="all", data="none"))
    for pos in positions:
        ig["position"].value = pos
        ig["payload"].value = payload(pos)
        stream.send_heap(ig.get_heap(descriptors="none", data="all"))
    stream.send_heap(ig.get_end())


class GuardedChunk(lightspead.recv.Chunk):
    """A chunk whose arrays are views of larger ones: the stream must never
    write into the rest."""

    def __init__(self):
        self.whole = np.full(CHUNK_BYTES + GUARD, 0xA5, np.uint8)
        self.whole_present = np.full(HEAPS_PER_CHUNK + GUARD, 0xA5, np.uint8)
        self.whole[:CHUNK_BYTES] = 0
        self.whole_present[:HEAPS_PER_CHUNK] = 0
        super().__init__(data=self.whole[:CHUNK_BYTES], present=self.whole_present[:HEAPS_PER_CHUNK])

    def guards_intact(self):
        return bool(np.all(self.whole[CHUNK_BYTES:] == 0xA5) and np.all(self.whole_present[HEAPS_PER_CHUNK:] == 0xA5))


def make_stream(llc, n_free=4, max_chunks=2, max_heap_extra=0):
    data_ring = lightspead.recv.ChunkRingbuffer(n_free)
    free_ring = lightspead.recv.ChunkRingbuffer(n_free)
    stream = lightspead.recv.ChunkRingStream(
        lightspead.ThreadPool(), lightspead.recv.StreamConfig(max_heaps=4),
        lightspead.recv.ChunkStreamConfig(items=[0x1000, lightspead.HEAP_LENGTH_ID], max_chunks=max_chunks,
                                          place=llc, max_heap_extra=max_heap_extra),
        data_ring, free_ring)
    for _ in range(n_free):
        stream.add_free_chunk(GuardedChunk())
    return stream


def receive(positions, bad_position=-1, mode=0):
    llc, user = place_callable(bad_position, mode)
    stream = make_stream(llc, max_heap_extra=8)
    queue = lightspead.InprocQueue()
    stream.add_inproc_reader(queue)
    send_heaps(queue, positions)
    chunks = []
    for chunk in stream.data_ringbuffer:
        assert chunk.guards_intact()
        chunks.append((chunk.chunk_id, chunk.present.copy(), chunk.data.copy()))
        stream.add_free_chunk(chunk)
    stream.stop()
    return chunks, stream.stats


def test_heaps_land_in_their_chunks():
    chunks, stats = receive(range(20))
    assert [c[0] for c in chunks] == [0, 1, 2]
    for chunk_id, present, data in chunks:
        for i in range(HEAPS_PER_CHUNK):
            position = chunk_id * HEAPS_PER_CHUNK + i
            assert present[i] == (position < 20)
            if present[i]:
                np.testing.assert_array_equal(data[i * HEAP_BYTES:(i + 1) * HEAP_BYTES], payload(position))
    assert stats["heaps"] == 21  # with the descriptor heap: rejected by the callback, still a heap
    assert stats["rejected_heaps"] == 2  # the descriptor heap and the stop heap


@pytest.mark.parametrize("mode, stat", [(1, "heaps_outside_data"), (2, "heaps_outside_present"),
                                        (3, "heaps_outside_extra")])
def test_placement_outside_the_chunk_is_counted_not_written(mode, stat):
    chunks, stats = receive(range(8), bad_position=5, mode=mode)
    assert stats[stat] == 1
    assert [c[0] for c in chunks] == [0]
    np.testing.assert_array_equal(chunks[0][1], [1, 1, 1, 1, 1, 0, 1, 1])


def test_chunk_memory_is_released():
    big = np.zeros(100, np.uint8)
    flags = np.zeros(3, np.uint8)
    chunk = lightspead.recv.Chunk(data=big, present=flags)
    assert chunk.data is big and chunk.present is flags
    refs = [weakref.ref(big), weakref.ref(flags)]
    del big, flags
    chunk.data = None
    chunk.present = None
    gc.collect()
    assert all(r() is None for r in refs)


def test_chunks_left_in_a_stream_come_back_when_it_goes():
    # Chunks still in the free ring or the stream's window when they go are
    # the application's again: spead2 programs reuse them in a new stream.
    chunks = [GuardedChunk() for _ in range(4)]
    llc, user = place_callable()
    for _ in range(2):
        data_ring = lightspead.recv.ChunkRingbuffer(4)
        free_ring = lightspead.recv.ChunkRingbuffer(4)
        stream = lightspead.recv.ChunkRingStream(
            lightspead.ThreadPool(), lightspead.recv.StreamConfig(max_heaps=4),
            lightspead.recv.ChunkStreamConfig(items=[0x1000, lightspead.HEAP_LENGTH_ID], max_chunks=2, place=llc),
            data_ring, free_ring)
        for chunk in chunks:
            chunk.present[:] = 0
            stream.add_free_chunk(chunk)
        queue = lightspead.InprocQueue()
        stream.add_inproc_reader(queue)
        send_heaps(queue, range(12))
        received = []
        for chunk in data_ring:
            received.append((chunk.chunk_id, int(chunk.present.sum())))
            stream.add_free_chunk(chunk)
        assert received == [(0, 8), (1, 4)]
        stream.stop()
        del stream, data_ring, free_ring, chunk
        gc.collect()
        for c in chunks:
            assert c.guards_intact()
            np.testing.assert_array_equal(c.data, c.whole[:CHUNK_BYTES])  # its own memory, back


def test_chunk_needs_writable_buffers():
    with pytest.raises(BufferError):
        lightspead.recv.Chunk(data=b"read-only")


def test_place_config_errors():
    with pytest.raises(TypeError):
        lightspead.recv.ChunkStreamConfig(place=1)
    with pytest.raises(IndexError):
        lightspead.recv.ChunkStreamConfig(place=())
    bad = scipy.LowLevelCallable(place.ctypes, signature="int (int)")
    with pytest.raises(ValueError):
        lightspead.recv.ChunkStreamConfig(place=bad)
    with pytest.raises(ValueError):
        lightspead.recv.ChunkStreamConfig(max_chunks=0)
    with pytest.raises(ValueError):
        lightspead.recv.ChunkStreamConfig().enable_packet_presence(0)
    llc, _ = place_callable()
    config = lightspead.recv.ChunkStreamConfig(place=llc)
    assert config.place is llc
    assert config.enable_packet_presence(100) is config
    assert config.packet_presence_payload_size == 100


def test_stop_while_the_consumer_holds_every_chunk():
    """The stream waits for a free chunk that never comes; stop() must not."""
    llc, user = place_callable()
    stream = make_stream(llc, n_free=2)
    queue = lightspead.InprocQueue()
    stream.add_inproc_reader(queue)
    send_heaps(queue, range(100))
    held = [stream.data_ringbuffer.get()]  # chunk 0; chunk 1 in use; chunk 2 waits
    stopper = threading.Thread(target=stream.stop)
    stopper.start()
    stopper.join(10)
    assert not stopper.is_alive()
    assert held[0].chunk_id == 0
    with pytest.raises(lightspead.Stopped):
        stream.free_ringbuffer.put_nowait(GuardedChunk())


def test_asyncio_chunk_ringbuffer_with_a_stream():
    async def main():
        llc, user = place_callable()
        data_ring = lightspead.recv.asyncio.ChunkRingbuffer(4)
        free_ring = lightspead.recv.asyncio.ChunkRingbuffer(4)
        stream = lightspead.recv.ChunkRingStream(
            lightspead.ThreadPool(), lightspead.recv.StreamConfig(),
            lightspead.recv.ChunkStreamConfig(items=[0x1000, lightspead.HEAP_LENGTH_ID], place=llc),
            data_ring, free_ring)
        for _ in range(4):
            await free_ring.put(GuardedChunk())
        assert stream.data_ringbuffer is data_ring
        queue = lightspead.InprocQueue()
        stream.add_inproc_reader(queue)
        send_heaps(queue, range(3 * HEAPS_PER_CHUNK))
        ids = []
        async for chunk in data_ring:
            ids.append(chunk.chunk_id)
            assert chunk.present.all()
            stream.add_free_chunk(chunk)
        return ids

    assert asyncio.run(main()) == [0, 1, 2]


def test_two_asyncio_getters_one_cancelled():
    async def main():
        ring = lightspead.recv.asyncio.ChunkRingbuffer(2)
        first = asyncio.create_task(ring.get())
        second = asyncio.create_task(ring.get())
        await asyncio.sleep(0.01)
        first.cancel()
        chunk = GuardedChunk()
        ring.put_nowait(chunk)
        assert await asyncio.wait_for(second, 5) is chunk

    asyncio.run(main())


@pytest.mark.parametrize("mode", [lightspead.recv.ChunkStreamGroupConfig.EvictionMode.LOSSY,
                                  lightspead.recv.ChunkStreamGroupConfig.EvictionMode.LOSSLESS])
def test_group_of_two_members(mode):
    """Even positions to member 0, odd to member 1: one sequence of whole chunks."""
    llc, user = place_callable()
    data_ring = lightspead.recv.ChunkRingbuffer(4)
    free_ring = lightspead.recv.ChunkRingbuffer(4)
    group = lightspead.recv.ChunkStreamRingGroup(
        lightspead.recv.ChunkStreamGroupConfig(max_chunks=2, eviction_mode=mode), data_ring, free_ring)
    config = lightspead.recv.ChunkStreamConfig(items=[0x1000, lightspead.HEAP_LENGTH_ID], max_chunks=2, place=llc)
    members = [group.emplace_back(lightspead.ThreadPool(), lightspead.recv.StreamConfig(max_heaps=8), config)
               for _ in range(2)]
    assert list(group) == members and len(group) == 2 and members[1] in group and group.index(members[1]) == 1
    assert isinstance(members[0], lightspead.recv.ChunkStreamGroupMember)
    for _ in range(4):
        group.add_free_chunk(GuardedChunk())
    queues = [lightspead.InprocQueue(), lightspead.InprocQueue()]
    for member, queue in zip(members, queues):
        member.add_inproc_reader(queue)

    def feed():
        for q, positions in enumerate([range(0, 32, 2), range(1, 32, 2)]):
            send_heaps(queues[q], positions)
    feeder = threading.Thread(target=feed)
    feeder.start()
    ids = []
    for chunk in group.data_ringbuffer:
        assert chunk.guards_intact()
        if chunk.present.any():
            ids.append(chunk.chunk_id)
            if mode == lightspead.recv.ChunkStreamGroupConfig.EvictionMode.LOSSLESS:
                assert chunk.present.all()
        group.add_free_chunk(chunk)
    feeder.join()
    group.stop()
    assert ids == sorted(ids)
    if mode == lightspead.recv.ChunkStreamGroupConfig.EvictionMode.LOSSLESS:
        assert ids == [0, 1, 2, 3]
    with pytest.raises(RuntimeError):
        group.emplace_back(lightspead.ThreadPool(), lightspead.recv.StreamConfig(), config)


def test_place_from_ctypes():
    """A ctypes function pointer to compiled code (here numba's), alone or
    with user data; Python code wrapped by ctypes is refused, since it would
    take the GIL on the network thread for every heap."""
    signature = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p)
    compiled = signature(ctypes.cast(place.ctypes, ctypes.c_void_p).value)
    user = np.zeros(1, dtype=bad_type.dtype)
    user["position"] = -1
    config = lightspead.recv.ChunkStreamConfig(items=[0x1000, lightspead.HEAP_LENGTH_ID],
                                               place=(compiled, user.ctypes.data))
    assert config.place[0] is compiled
    data_ring = lightspead.recv.ChunkRingbuffer(4)
    free_ring = lightspead.recv.ChunkRingbuffer(4)
    stream = lightspead.recv.ChunkRingStream(lightspead.ThreadPool(), lightspead.recv.StreamConfig(), config,
                                             data_ring, free_ring)
    for _ in range(4):
        stream.add_free_chunk(GuardedChunk())
    queue = lightspead.InprocQueue()
    stream.add_inproc_reader(queue)
    send_heaps(queue, range(HEAPS_PER_CHUNK))
    chunks = list(data_ring)
    assert [c.chunk_id for c in chunks] == [0] and chunks[0].present.all()

    with pytest.raises(ValueError):
        lightspead.recv.ChunkStreamConfig(place=signature(lambda data, size, user: None))
    with pytest.raises(ValueError):
        lightspead.recv.ChunkStreamConfig(place=scipy.LowLevelCallable(signature(lambda data, size, user: None)))
    two = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_size_t)(ctypes.cast(place.ctypes, ctypes.c_void_p).value)
    with pytest.raises(ValueError):
        lightspead.recv.ChunkStreamConfig(place=(two, 5))  # user data for a callback that takes none
