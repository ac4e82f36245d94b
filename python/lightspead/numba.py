"""Helpers for writing lightspead callbacks with numba (as ``spead2.numba``).

numba records cannot hold pointers, so C structures passed to callbacks
(such as :data:`lightspead.recv.numba.chunk_place_data`) carry their
pointers as integers; :func:`intp_to_voidptr` turns one back into a
pointer, which :func:`numba.carray` can then view as an array.
"""

from __future__ import annotations

from typing import Any

import numba.extending
from numba import types

__all__ = ["intp_to_voidptr"]


def _intp_to_voidptr(typingctx, value):
    if value not in (types.intp, types.uintp):
        return None
    signature = types.voidptr(value)

    def codegen(context, builder, sig, args):
        return builder.inttoptr(args[0], context.get_value_type(sig.return_type))

    return signature, codegen


# Typed as Any: numba's own annotations describe the intrinsic object, not
# how nopython code calls it (with the value alone).
intp_to_voidptr: Any = numba.extending.intrinsic(_intp_to_voidptr)
intp_to_voidptr.__doc__ = """Reinterpret an ``intp`` or ``uintp`` as a ``void *`` (in nopython code)."""
