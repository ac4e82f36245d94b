#!/usr/bin/env python3
"""Tutorial 12: receiving heaps straight into large chunks. A place
callback, compiled with numba, maps each heap by its timestamp to a chunk
and an offset; the stream writes the samples there (no heap objects, no
Python code per heap) and marks which heaps arrived. Chunks cycle between
the stream and this program through two ringbuffers."""

import argparse
import ctypes

import numba
import numpy as np
import scipy
from numba import types

import lightspead
import lightspead.recv
from lightspead.numba import intp_to_voidptr
from lightspead.recv.numba import chunk_place_data


@numba.njit
def mean_power(samples, present):
    """Mean of the squared samples of the heaps that arrived."""
    total = np.int64(0)
    n = 0
    for h in range(len(present)):
        if present[h]:
            for i in range(samples.shape[1]):
                s = np.int64(samples[h, i])
                total += s * s
            n += samples.shape[1]
    return np.float64(total) / n


# Runs on the network thread, without the GIL, once per heap. user_data
# points to [heap size, chunk size].
@numba.cfunc(types.void(types.CPointer(chunk_place_data), types.size_t, types.CPointer(types.int64)),
             nopython=True)
def place(data_ptr, data_size, sizes_ptr):
    data = numba.carray(data_ptr, 1)
    items = numba.carray(intp_to_voidptr(data[0].items), 2, dtype=np.int64)
    sizes = numba.carray(sizes_ptr, 2)
    length, timestamp = items[0], items[1]
    heap_size, chunk_size = sizes[0], sizes[1]
    # A heap of another length (the first also carries the descriptors) or
    # without a timestamp is not placed: chunk_id stays -1.
    if timestamp >= 0 and length == heap_size:
        data[0].chunk_id = timestamp // chunk_size
        data[0].heap_offset = timestamp % chunk_size
        data[0].heap_index = data[0].heap_offset // heap_size


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--heap-size", type=int, default=1024 * 1024)
    parser.add_argument("port", type=int)
    args = parser.parse_args()

    heap_size = args.heap_size
    chunk_heaps = max(1, 1024 * 1024 // heap_size)  # about 1 MiB per chunk
    chunk_size = chunk_heaps * heap_size

    thread_pool = lightspead.ThreadPool()
    config = lightspead.recv.StreamConfig(max_heaps=2)
    sizes = np.array([heap_size, chunk_size], np.int64)  # kept alive while the stream runs
    chunk_config = lightspead.recv.ChunkStreamConfig(
        items=[lightspead.HEAP_LENGTH_ID, 0x1600],
        max_chunks=1,
        place=scipy.LowLevelCallable(place.ctypes, sizes.ctypes.data_as(ctypes.c_void_p),
                                     "void (void *, size_t, void *)"),
    )
    data_ring = lightspead.recv.ChunkRingbuffer(2)
    free_ring = lightspead.recv.ChunkRingbuffer(4)
    stream = lightspead.recv.ChunkRingStream(thread_pool, config, chunk_config, data_ring, free_ring)
    for _ in range(free_ring.maxsize):
        stream.add_free_chunk(lightspead.recv.Chunk(data=np.zeros((chunk_heaps, heap_size), np.int8),
                                                    present=np.zeros(chunk_heaps, np.uint8)))
    stream.add_udp_reader(args.port)

    mean_power(np.ones((1, 1), np.int8), np.ones(1, np.uint8))  # compile before data arrives
    n_heaps = 0
    for chunk in data_ring:
        n = int(np.sum(chunk.present, dtype=np.int64))
        if n > 0:
            n_heaps += n
            power = mean_power(chunk.data, chunk.present)
            print(f"Timestamp: {chunk.chunk_id * chunk_size:<10} Power: {power}")
        stream.add_free_chunk(chunk)  # back to the stream, presence cleared
    print(f"Received {n_heaps} heaps")


if __name__ == "__main__":
    main()
