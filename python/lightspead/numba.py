"""Helpers for writing lightspead callbacks with numba (as ``spead2.numba``).

numba records cannot hold pointers, so C structures passed to callbacks
(such as :data:`lightspead.recv.numba.chunk_place_data`) carry their
pointers as integers; :func:`intp_to_voidptr` turns one back into a
pointer, which :func:`numba.carray` can then view as an array.
"""

from __future__ import annotations

import numba.extending
from numba import types

__all__ = ["intp_to_voidptr"]


@numba.extending.intrinsic
def intp_to_voidptr(typingctx, value):
    """Reinterpret an ``intp`` or ``uintp`` as a ``void *`` (in nopython code)."""
    if value not in (types.intp, types.uintp):
        return None
    signature = types.voidptr(value)

    def codegen(context, builder, sig, args):
        return builder.inttoptr(args[0], context.get_value_type(sig.return_type))

    return signature, codegen
