"""numba types for chunk stream callbacks (as ``spead2.recv.numba``)."""

from __future__ import annotations

from numba import types

__all__ = ["chunk_place_data"]

# size_t: numba names it in newer releases; it is uintp wherever lightspead runs.
_size_t = getattr(types, "size_t", types.uintp)

chunk_place_data = types.Record.make_c_struct(
    [
        ("packet", types.intp),  # const uint8_t *: the heap's first packet
        ("packet_size", _size_t),
        ("items", types.intp),  # int64_t *: values of ChunkStreamConfig.items (-1: absent)
        ("chunk_id", types.int64),  # out
        ("heap_index", _size_t),  # out
        ("heap_offset", _size_t),  # out
        ("batch_stats", types.intp),  # uint64_t *: statistics by index (StreamConfig.add_stat)
        ("extra", types.intp),  # uint8_t *: max_heap_extra bytes to fill
        ("extra_offset", _size_t),  # out
        ("extra_size", _size_t),  # out
    ]
)
"""The C structure a place callback receives (``chunk_place_data`` in
lightspead/recv/chunk_stream.h), as a numba record. Pointer fields are
integers: convert them with :func:`lightspead.numba.intp_to_voidptr` and
view them with :func:`numba.carray`."""
