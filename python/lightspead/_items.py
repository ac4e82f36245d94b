"""Descriptors, items and item groups: what the items of a heap are and how
their values become bytes (the Python-specific part of the API)."""

from __future__ import annotations

import ast
import numbers
import struct
import warnings
from typing import (TYPE_CHECKING, Any, Dict, ItemsView, KeysView, List, Optional, Sequence, Tuple, Union,
                    ValuesView, cast)

import numpy as np
import numpy.typing as npt

from ._lightspead import BUG_COMPAT_SWAP_ENDIAN, Flavour

if TYPE_CHECKING:
    import lightspead.recv

#: A shape: dimensions, at most one of them None (variable).
Shape = Sequence[Optional[int]]
#: A SPEAD format: (code, bits) pairs.
Format = Sequence[Tuple[str, int]]
#: A descriptor's wire fields: (id, name, description, format, shape, numpy_header).
RawDescriptor = Tuple[int, str, str, List[Tuple[str, int]], List[int], str]

# Format codes and the widths they allow (None: any positive width; a
# boolean of any width is true when any of its bits is set, as with spead2)
_FORMAT_WIDTHS = {"u": None, "i": None, "f": (32, 64), "b": None, "c": (8,)}


def _check_ascii(text, what):
    if not isinstance(text, str):
        raise TypeError(f"{what} must be a str")
    try:
        text.encode("ascii")
    except UnicodeEncodeError as e:
        # Still a UnicodeEncodeError (a ValueError), as spead2 raises, but naming the field
        raise UnicodeEncodeError("ascii", text, e.start, e.end, f"{what} must be ASCII") from None


def _format_dtype(fmt):
    """The numpy dtype with the same bytes as a format, or None. Several
    fields that each have one make a structured dtype (fields f0, f1, ...,
    as numpy names them)."""
    if len(fmt) > 1:
        fields = [_format_dtype([field]) for field in fmt]
        if any(field is None for field in fields):
            return None
        return np.dtype([(f"f{i}", field) for i, field in enumerate(fields)])
    code, bits = fmt[0]
    if code in "ui" and bits in (8, 16, 32, 64):
        return np.dtype(f">{code}{bits // 8}")
    if code == "f" and bits in (32, 64):
        return np.dtype(f">f{bits // 8}")
    if code == "c" and bits == 8:
        return np.dtype("S1")
    if code == "b" and bits == 8:
        return np.dtype("?")
    return None


def _check_plain_dtype(dtype):
    """ValueError unless the dtype is plain bytes in memory (numbers, fixed
    strings, structures of them): numpy 2's variable-width StringDType
    ('T'), for one, holds pointers, which cannot travel in a heap."""
    if dtype.names:
        for name in dtype.names:
            _check_plain_dtype(dtype.fields[name][0])
    elif dtype.subdtype is not None:
        _check_plain_dtype(dtype.subdtype[0])
    elif dtype.kind not in "biufcSUVMm":
        raise ValueError(f"dtype {dtype} cannot be sent (only fixed-size numeric, string and structured dtypes)")


class Descriptor:
    """What an item is: ID, name, description, shape and either a numpy
    ``dtype`` (with ``order`` 'C' or 'F') or a SPEAD ``format`` list of
    (code, bits). At most one dimension may be ``None`` (variable)."""

    id: int
    name: str
    description: str
    shape: Tuple[Optional[int], ...]
    dtype: Optional[np.dtype]
    order: str
    format: Optional[List[Tuple[str, int]]]
    _fast_dtype: Optional[np.dtype]

    #: The longest numpy header (the wire form of a ``dtype``) accepted, in
    #: bytes. A received header that is longer is refused with ValueError
    #: before it is parsed (parsing costs about 500 bytes of memory per
    #: header byte, so 16 MiB took over 6 GB), and a descriptor whose header
    #: would be longer cannot be made, so lightspead never sends one its own
    #: receivers refuse. numpy's .npy reader stops at 10000 bytes by
    #: default; this leaves room for structured dtypes of about 2000 fields.
    MAX_NUMPY_HEADER_SIZE = 65536

    def __init__(self, id: int, name: str, description: str, shape: Shape, dtype: Optional[npt.DTypeLike] = None,
                 order: str = "C", format: Optional[Format] = None) -> None:
        if not isinstance(id, numbers.Integral) or id <= 0:
            raise ValueError(f"item ID must be a positive integer, not {id!r}")
        _check_ascii(name, "name")
        _check_ascii(description, "description")
        dims: Tuple[Optional[int], ...] = tuple(shape)
        for dim in dims:
            if dim is not None and (not isinstance(dim, numbers.Integral) or dim < 0):
                raise ValueError(f"dimensions must be non-negative integers or None, not {dim!r}")
        if sum(dim is None for dim in dims) > 1:
            raise ValueError("cannot have more than one variable dimension")
        if order not in ("C", "F"):
            raise ValueError(f"order must be 'C' or 'F', not {order!r}")
        if (dtype is None) == (format is None):
            raise ValueError("exactly one of dtype and format must be given")
        if dtype is not None:
            if any(dim is None for dim in dims):
                # A numpy header states a fixed shape: spead2 receivers
                # refuse a variable one, so lightspead never sends it.
                raise ValueError("a dtype item cannot have a variable (None) dimension: use format instead")
            dtype = np.dtype(dtype)
            if dtype.hasobject:
                raise ValueError("dtypes containing Python objects cannot be sent")
            _check_plain_dtype(dtype)
            if dtype.itemsize == 0:
                raise ValueError("dtypes must have a non-zero size")
            if dtype.subdtype is not None:
                # As numpy does for arrays: a subarray dtype's dimensions
                # join the shape (after it, so only in C order).
                if order != "C":
                    raise ValueError("a subarray dtype needs order 'C'")
                while dtype.subdtype is not None:
                    dtype, sub_shape = dtype.subdtype
                    dims += sub_shape
            try:
                described = np.lib.format.descr_to_dtype(np.lib.format.dtype_to_descr(dtype))
            except Exception:  # noqa: BLE001 - numpy raises many kinds
                described = None
            if described != dtype:
                # e.g. structures with gaps numpy's header format cannot state:
                # the receiver would read the data with a different layout
                raise ValueError(f"dtype {dtype} has no exact numpy header description")
        else:
            if order != "C":
                raise ValueError("order 'F' is only for dtype items")
            format = [(str(code), int(bits)) for code, bits in format]
            if not format:
                raise ValueError("format must not be empty")
            for code, bits in format:
                if code not in _FORMAT_WIDTHS:
                    raise ValueError(f"unknown format code {code!r}")
                allowed = _FORMAT_WIDTHS[code]
                if bits <= 0 or (allowed is not None and bits not in allowed):
                    raise ValueError(f"format code {code!r} cannot have {bits} bits")
        self.id = int(id)
        self.name = name
        self.description = description
        self.shape = dims
        self.dtype = dtype
        self.order = order
        self.format = format
        self._fast_dtype = dtype if dtype is not None else _format_dtype(format)
        if dtype is not None:
            size = len(self._numpy_header(None))
            if size > self.MAX_NUMPY_HEADER_SIZE:
                raise ValueError(f"{_abbreviate(dtype)} needs a numpy header of {size} bytes, more than "
                                 f"Descriptor.MAX_NUMPY_HEADER_SIZE ({self.MAX_NUMPY_HEADER_SIZE})")

    @property
    def itemsize_bits(self) -> int:
        """Bits per element."""
        if self.dtype is not None:
            return self.dtype.itemsize * 8
        return sum(bits for _, bits in self.format or ())

    def is_variable_size(self) -> bool:
        """Whether a dimension is variable (None)."""
        return any(dim is None for dim in self.shape)

    def allow_immediate(self) -> bool:
        """Small fixed-size values may travel inside their item pointer;
        variable-size ones may not (the receiver could not tell their size),
        nor formats that are not a whole number of bytes."""
        return not self.is_variable_size() and (self.dtype is not None or self.itemsize_bits % 8 == 0)

    def compatible_shape(self, shape: Shape) -> bool:
        """Whether a value of ``shape`` fits this descriptor's shape."""
        if len(shape) != len(self.shape):
            return False
        return all(want is None or want == got for want, got in zip(self.shape, shape))

    def dynamic_shape(self, max_elements: int) -> Tuple[int, ...]:
        """The shape of a value with at most ``max_elements`` elements: the
        variable dimension (if any) is as large as fits, the others as
        declared. A zero-sized fixed part makes the variable dimension 0."""
        fixed = 1
        for dim in self.shape:
            if dim is not None:
                fixed *= dim
        # The constructor allows one variable dimension at most
        variable = max_elements // fixed if fixed else 0
        return tuple(variable if dim is None else dim for dim in self.shape)

    def _numpy_header(self, flavour):
        dtype = self.dtype
        if flavour is not None and flavour.bug_compat & BUG_COMPAT_SWAP_ENDIAN:
            dtype = dtype.newbyteorder()
        shape = tuple(-1 if dim is None else dim for dim in self.shape)
        descr = np.lib.format.dtype_to_descr(dtype)
        return "{'descr': %r, 'fortran_order': %r, 'shape': %r}" % (descr, self.order == "F", shape)

    @classmethod
    def from_raw(cls, raw: Any, flavour: Flavour) -> Descriptor:
        """A descriptor from received fields (id, name, description, format,
        shape, numpy_header); raises ValueError for anything malformed."""
        id, name, description, fmt, shape, numpy_header = raw
        name = bytes(name).decode("ascii")
        description = bytes(description).decode("ascii")
        shape = [None if dim < 0 else dim for dim in shape]
        if numpy_header:
            if len(numpy_header) > cls.MAX_NUMPY_HEADER_SIZE:
                raise ValueError(f"numpy header of item {id:#x} is {len(numpy_header)} bytes, more than "
                                 f"Descriptor.MAX_NUMPY_HEADER_SIZE ({cls.MAX_NUMPY_HEADER_SIZE})")
            dtype, order, shape = _parse_numpy_header(bytes(numpy_header).decode("ascii"))
            if flavour.bug_compat & BUG_COMPAT_SWAP_ENDIAN:
                dtype = dtype.newbyteorder()
            return cls(id, name, description, shape, dtype=dtype, order=order)
        return cls(id, name, description, shape, format=fmt)

    def _same_description(self, other):
        return (self.id, self.name, self.description, self.shape, self.dtype, self.order, self.format) == (
            other.id, other.name, other.description, other.shape, other.dtype, other.order, other.format)

    def to_raw(self, flavour: Optional[Flavour] = None) -> RawDescriptor:
        """The descriptor's wire fields: (id, name, description, format,
        shape, numpy_header), shape with -1 for a variable dimension."""
        flavour = flavour if flavour is not None else Flavour()
        shape = [-1 if dim is None else dim for dim in self.shape]
        if self.dtype is not None:
            return self.id, self.name, self.description, [], shape, self._numpy_header(flavour)
        return self.id, self.name, self.description, list(self.format or ()), shape, ""


def _tuple_array(value, ndim, nfields, name):
    """An object array of the item's shape whose elements are tuples of
    ``nfields`` fields (for formats with several fields)."""
    if ndim == 0:
        value = tuple(value.tolist() if isinstance(value, np.void) else value)
        if len(value) != nfields:
            raise ValueError(f"item {name!r}: each element needs {nfields} fields")
        out = np.empty((), dtype=object)
        out[()] = value
        return out
    if isinstance(value, np.ndarray) and value.dtype.names is not None:
        value = value.tolist()      # structured array: elements become tuples
    elif isinstance(value, np.void):
        value = value.tolist()
    array = np.array(value, dtype=object)
    if array.size == 0 and array.ndim == ndim:
        return np.empty(array.shape, dtype=object)     # no elements (``[]``): no fields to see
    if array.ndim != ndim + 1 or array.shape[-1] != nfields:
        raise ValueError(f"item {name!r}: value must be an array of {nfields}-field elements")
    out = np.empty(array.shape[:-1], dtype=object)
    for index in np.ndindex(out.shape):
        out[index] = tuple(array[index])
    return out


# numpy dtype of each field of a decoded multi-field element
_FIELD_DTYPES = {
    "u": lambda bits: np.dtype(object),
    "i": lambda bits: np.dtype(object),
    "f": lambda bits: np.dtype(f"=f{bits // 8}"),
    "c": lambda bits: np.dtype("S1"),
    "b": lambda bits: np.dtype("?"),
}


def _field_bits(code, bits, value, name):
    """One field of a bit-packed element as an unsigned integer of ``bits``."""
    if code == "u":
        value = int(value)
        if not 0 <= value < (1 << bits):
            raise ValueError(f"item {name!r}: {value} does not fit in {bits} unsigned bits")
        return value
    if code == "i":
        value = int(value)
        if not -(1 << (bits - 1)) <= value < (1 << (bits - 1)):
            raise ValueError(f"item {name!r}: {value} does not fit in {bits} signed bits")
        return value & ((1 << bits) - 1)
    if code == "f":
        return int.from_bytes(struct.pack(">f" if bits == 32 else ">d", float(value)), "big")
    if code == "c":
        if isinstance(value, (bytes, np.bytes_)) and len(value) == 0:
            # NUL: numpy drops trailing NULs, so a received b"\0" in an
            # 'S1' field reads back as b"" (and numpy stores b"" as NUL)
            value = 0
        elif isinstance(value, (bytes, np.bytes_)):
            value = value[0] if len(value) == 1 else None
        elif isinstance(value, str):
            value = ord(value) if len(value) == 1 else None
        if value is None or not 0 <= int(value) < 256:
            raise ValueError(f"item {name!r}: 'c' fields hold single characters")
        return int(value)
    return int(bool(value))     # "b"


def _narrow_int_format(fmt):
    """Whether fmt is one integer field of 1 to 63 bits that is not whole
    bytes: the kind packed and unpacked through numpy."""
    return len(fmt) == 1 and fmt[0][0] in "ui" and fmt[0][1] < 64 and fmt[0][1] % 8 != 0


# Elements per step of the bit-packing paths: each step's bits are a whole
# number of bytes (a multiple of 8 elements), and its temporaries stay small.
_PACK_CHUNK = 1 << 16


def _pack_int_bits(values, bits, signed, name):
    """Single-field integers of 1 to 64 bits as a big-endian bit stream
    (most significant bit first, zero-padded to a whole byte), in time
    linear in the number of elements. ValueError if a value does not fit."""
    v = np.asarray(values).reshape(-1)
    if v.dtype.kind not in "iub":
        try:
            v = v.astype(np.int64 if signed else np.uint64)
        except (OverflowError, TypeError, ValueError) as e:
            raise ValueError(f"item {name!r}: values do not fit in {bits}-bit integers") from e
    low = -(1 << (bits - 1)) if signed else 0
    high = (1 << (bits - 1)) if signed else (1 << bits)
    if v.size and (int(v.min()) < low or int(v.max()) >= high):
        raise ValueError(f"item {name!r}: a value does not fit in {bits} {'signed' if signed else 'unsigned'} bits")
    mask = np.uint64((1 << bits) - 1)
    out = []
    for start in range(0, v.size, _PACK_CHUNK):
        part = v[start:start + _PACK_CHUNK]
        u = (part.astype(np.int64).view(np.uint64) if signed else part.astype(np.uint64)) & mask
        wide = np.unpackbits(u.astype(">u8").view(np.uint8).reshape(-1, 8), axis=1)
        out.append(np.packbits(wide[:, 64 - bits:].reshape(-1)).tobytes())
    return b"".join(out)


def _unpack_int_bits(data, count, bits, signed):
    """``count`` single-field integers of 1 to 64 bits from a big-endian bit
    stream, as an object array of Python ints (as the reference gives), in
    time linear in ``count``."""
    raw = np.frombuffer(data, np.uint8, (count * bits + 7) // 8)
    out = np.empty(count, dtype=object)
    for start in range(0, count, _PACK_CHUNK):
        n = min(_PACK_CHUNK, count - start)
        first = start * bits // 8  # a whole byte: start is a multiple of 8
        chunk_bits = np.unpackbits(raw[first:first + (n * bits + 7) // 8])[:n * bits].reshape(n, bits)
        wide = np.zeros((n, 64), np.uint8)
        wide[:, 64 - bits:] = chunk_bits
        u = np.packbits(wide, axis=1).view(">u8").reshape(n)
        values = u.astype(object)
        if signed:
            top = 1 << (bits - 1)
            negative = u >= np.uint64(top)
            values[negative] -= 1 << bits
        out[start:start + n] = values
    return out


def _field_value(code, bits, raw):
    """The Python value of one bit-packed field."""
    if code == "u":
        return raw
    if code == "i":
        return raw - (1 << bits) if raw >> (bits - 1) else raw
    if code == "f":
        return struct.unpack(">f" if bits == 32 else ">d", raw.to_bytes(bits // 8, "big"))[0]
    if code == "c":
        return bytes([raw])
    return bool(raw)


def _check_code_points(array, name):
    """ValueError unless every character of the array's unicode parts is a
    valid code point (numpy fails with SystemError on converting one that
    is not)."""
    dtype = array.dtype
    if dtype.names:
        for field in dtype.names:
            _check_code_points(array[field], name)
        return
    if dtype.kind != "U" or array.size == 0:
        return
    order = dtype.byteorder if dtype.byteorder in "<>" else "="
    codes = np.ascontiguousarray(array).reshape(-1).view(np.dtype("u4").newbyteorder(order))
    if codes.max() > 0x10FFFF:
        raise ValueError(f"item {name!r}: text is not valid unicode (code point above U+10FFFF)")


def _abbreviate(value, limit=200):
    """repr(value), cut to about limit characters: error messages quote
    received text, which may be long."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _parse_numpy_header(text):
    """(dtype, order, shape) from a .npy-style header; ValueError if it is
    not exactly a dict with descr, fortran_order and shape."""
    try:
        # Silently: a hostile header must not make the parser print warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            header = ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as e:
        raise ValueError(f"bad numpy header {_abbreviate(text)}") from e
    if not isinstance(header, dict) or set(header) != {"descr", "fortran_order", "shape"}:
        raise ValueError(f"numpy header must have exactly descr, fortran_order and shape: {_abbreviate(text)}")
    if not isinstance(header["fortran_order"], bool):
        raise ValueError("numpy header fortran_order must be True or False")
    shape = header["shape"]
    if not isinstance(shape, tuple) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                                               for d in shape):
        raise ValueError("numpy header shape must be a tuple of non-negative integers")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dtype = np.lib.format.descr_to_dtype(header["descr"])
    except Exception as e:  # numpy's dtype parser raises many kinds (SyntaxError too)
        raise ValueError(f"bad numpy header descr {_abbreviate(header['descr'])}") from e
    _check_plain_dtype(dtype)     # before the byte swap, which some dtypes refuse
    return dtype, "F" if header["fortran_order"] else "C", list(shape)


class Item(Descriptor):
    """A descriptor with a value. Setting ``value`` bumps ``version``, which
    is how an item group knows what changed since the last heap."""

    def __init__(self, *args: Any, value: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._value = value
        self.version = 1 if value is not None else 0

    @property
    def value(self) -> Any:
        """The value (a numpy array, scalar, string, ...; None until set)."""
        return self._value

    @value.setter
    def value(self, new_value: Any) -> None:
        if new_value is None:
            raise ValueError(f"item {self.name!r}: a value cannot be set back to None")
        self._value = new_value
        self.version += 1

    def _packed_bytes(self, array):
        """Encode any format (several fields, any widths) as a big-endian
        bit stream, most significant bit first, padded with zero bits to a
        whole byte. The general (slow) path."""
        fields = self.format
        out = []
        acc = 0
        nbits = 0
        for k, element in enumerate(array.reshape(-1) if array.ndim else [array[()]]):
            parts = element if len(fields) > 1 else (element,)
            if len(parts) != len(fields):
                raise ValueError(f"item {self.name!r}: each element needs {len(fields)} fields")
            for (code, bits), part in zip(fields, parts):
                acc = (acc << bits) | _field_bits(code, bits, part, self.name)
                nbits += bits
            if k % 64 == 63:
                # 64 elements are a whole number of bytes: flush them, so
                # that the accumulator (and each shift) stays small
                out.append(acc.to_bytes(nbits // 8, "big"))
                acc = 0
                nbits = 0
        pad = -nbits % 8
        out.append((acc << pad).to_bytes((nbits + pad) // 8, "big"))
        return b"".join(out)

    def _bytes_of_integers(self, values):
        """Encode a one-field integer format of any whole-byte width."""
        code, bits = self.format[0]
        nbytes = bits // 8
        if _narrow_int_format(self.format):
            return _pack_int_bits(values, bits, code == "i", self.name)
        if bits % 8 != 0 or bits > 64 or len(self.format) != 1 or code not in "ui":
            return self._packed_bytes(np.asarray(values, dtype=object))
        signed = code == "i"
        limit = 1 << (bits - 1) if signed else 1 << bits
        low = -limit if signed else 0
        values = np.asarray(values)
        if values.size and (values.min() < low or values.max() >= limit):
            raise ValueError(f"value does not fit in {bits}-bit {'signed' if signed else 'unsigned'} integers")
        wide = values.astype(">i8" if signed else ">u8")
        return np.ascontiguousarray(wide).view(np.uint8).reshape(-1, 8)[:, 8 - nbytes:].tobytes()

    def _unpacked(self, data, count):
        """Decode ``count`` elements of any format from a bit stream (the
        general, slow path): ints, floats, bytes or bools, or tuples of them
        for several fields."""
        element_bits = sum(bits for _, bits in self.format)
        data = bytes(data)
        if len(self.format) > 1:
            # A structured array, one field per format entry (as the reference)
            out = np.empty(count, dtype=[(f"f{i}", _FIELD_DTYPES[code](bits))
                                         for i, (code, bits) in enumerate(self.format)])
        else:
            out = np.empty(count, dtype=object)
        for first in range(0, count, 64):
            # 64 elements at a time, a whole number of bytes: each big
            # integer (and each shift of it) stays small
            n = min(64, count - first)
            start = first * element_bits // 8
            length = (n * element_bits + 7) // 8
            acc = int.from_bytes(data[start:start + length], "big")
            total = length * 8
            pos = 0
            for k in range(first, first + n):
                parts = []
                for code, bits in self.format:
                    raw = (acc >> (total - pos - bits)) & ((1 << bits) - 1)
                    pos += bits
                    parts.append(_field_value(code, bits, raw))
                out[k] = tuple(parts) if len(parts) > 1 else parts[0]
        return out

    def _integers_from_bytes(self, data, count):
        """Decode a one-field integer format of any whole-byte width."""
        code, bits = self.format[0]
        if _narrow_int_format(self.format):
            return _unpack_int_bits(data, count, bits, code == "i")
        if bits % 8 != 0 or bits > 64 or len(self.format) != 1 or code not in "ui":
            return self._unpacked(data, count)
        nbytes = bits // 8
        raw = np.frombuffer(data, np.uint8, count * nbytes).reshape(count, nbytes)
        wide = np.zeros((count, 8), np.uint8)
        wide[:, 8 - nbytes:] = raw
        values = wide.view(">u8").reshape(count).astype(np.uint64)
        if code == "i":
            values = values.astype(np.int64)
            values = np.where(values >= (1 << (bits - 1)), values - (1 << bits), values) if bits < 64 else values
        return values

    def set_from_raw(self, raw_item, new_order="="):
        """Set the value from a received item's bytes. ``new_order`` '='
        converts arrays to native byte order, '|' keeps the wire order.

        Raises ValueError if the bytes do not fit the descriptor."""
        data = memoryview(raw_item)
        itemsize_bits = self.itemsize_bits
        if raw_item.is_immediate and not self.is_variable_size():
            # Immediates are right-justified in their item pointer (a
            # variable-size item takes all of its bytes)
            fixed = 1
            for dim in self.shape:
                fixed *= dim
            needed = (fixed * itemsize_bits + 7) // 8
            data = data[len(data) - min(needed, len(data)):]
        fixed = 1
        for dim in self.shape:
            if dim is not None:
                fixed *= dim
        if self.is_variable_size():
            # As many whole elements as the bytes hold (padding bits at the end)
            if fixed == 0:
                raise ValueError(f"item {self.name!r}: a zero-sized fixed part cannot be variable")
            shape = self.dynamic_shape(len(data) * 8 // itemsize_bits)
            count = (len(data) * 8 // (itemsize_bits * fixed)) * fixed
        else:
            count = fixed
            shape = self.shape
            if len(data) * 8 < count * itemsize_bits:
                raise ValueError(f"item {self.name!r}: {len(data)} bytes are too few for shape {shape}")
        if self._fast_dtype is not None:
            if self._fast_dtype.kind == "S" and len(shape) == 1:
                self.value = bytes(data[:count]).decode("ascii")
                return
            array = np.frombuffer(data, self._fast_dtype, count).reshape(shape, order=self.order)
            _check_code_points(array, self.name)
            if new_order == "=" and not array.dtype.isnative:
                array = array.astype(array.dtype.newbyteorder("="))
        else:
            array = self._integers_from_bytes(data, count).reshape(shape)
        self.value = array[()] if shape == () else array

    def to_buffer(self):
        """The value as an object with the buffer protocol, in wire layout.

        Raises ValueError if there is no value or it does not fit the
        descriptor's shape and type."""
        value = self._value
        if value is None:
            raise ValueError(f"item {self.name!r} has no value")
        if (self._fast_dtype is None and self.shape == () and len(self.format) == 1
                and self.format[0][0] in "ui" and self.format[0][1] % 8 == 0 and self.format[0][1] < 64
                and isinstance(value, np.ndarray) and value.dtype == np.dtype(">u8") and value.shape == ()):
            # A scalar of a narrow integer format (a timestamp of the heap
            # address width, say) held in a 0-d big-endian uint64 array: its
            # low bytes are sent by reference, as spead2 does, so a heap
            # built once follows later writes to the array (spead2's
            # tutorial 11 reuses its heaps this way). Not range-checked: the
            # value may only be filled in later.
            return value[np.newaxis].view(np.uint8)[8 - self.format[0][1] // 8:]
        if self._fast_dtype is not None and self._fast_dtype.kind == "S" and isinstance(value, (str, bytes)):
            data = value.encode("ascii") if isinstance(value, str) else value
            array = np.frombuffer(data, np.uint8)
        elif self._fast_dtype is None and len(self.format) > 1:
            array = _tuple_array(value, len(self.shape), len(self.format), self.name)
        elif self._fast_dtype is not None:
            try:
                array = np.asarray(value, dtype=self._fast_dtype)
            except OverflowError as e:
                raise ValueError(f"value does not fit item {self.name!r} ({self._fast_dtype})") from e
        else:
            array = np.asarray(value)
        if not self.compatible_shape(array.shape):
            raise ValueError(f"value of shape {array.shape} does not fit item {self.name!r} of shape {self.shape}")
        if self._fast_dtype is None:
            if len(self.format) == 1 and self.format[0][0] in "ui" and (
                    array.dtype != object or _narrow_int_format(self.format)):
                return self._bytes_of_integers(array)
            return self._packed_bytes(np.asarray(value, dtype=object) if array.dtype != object else array)
        if self.order == "F":
            # The transpose of a Fortran-ordered array is C-contiguous with
            # the same bytes.
            return np.asfortranarray(array).T
        return np.ascontiguousarray(array)


class ItemGroup:
    """Items by ID and by name. ``add_item`` gives IDs from 0x1000 when
    none is given."""

    def __init__(self) -> None:
        self._by_id: Dict[int, Item] = {}
        self._by_name: Dict[str, Item] = {}

    def _next_id(self):
        candidate = 0x1000
        while candidate in self._by_id:
            candidate += 1
        return candidate

    def add_item(self, id: Optional[int] = None, name: Optional[str] = None, description: str = "",
                 shape: Shape = (), dtype: Optional[npt.DTypeLike] = None, order: str = "C",
                 format: Optional[Format] = None, value: Any = None) -> Item:
        """Create and add an item; returns it. An item with the same ID or
        name is replaced, except that one described identically is kept
        (the same object) and given ``value`` if that is not None; a
        replacement starts with a version above the old item's, so that
        heap generators see the change."""
        if id is None:
            id = self._next_id()
        if name is None:
            raise ValueError("items need a name")
        item = Item(id, name, description, shape, dtype=dtype, order=order, format=format, value=value)
        existing = self._by_id.get(item.id)
        if existing is not None and existing._same_description(item):
            if value is not None:
                existing.value = item.value
            return existing
        self._add(item)
        return item

    def _add(self, item: Item) -> None:
        old = self._by_id.pop(item.id, None)
        if old is not None:
            self._by_name.pop(old.name, None)
            item.version = max(item.version, old.version + 1)
        old = self._by_name.pop(item.name, None)
        if old is not None:
            self._by_id.pop(old.id, None)
        self._by_id[item.id] = item
        self._by_name[item.name] = item

    def update(self, heap: lightspead.recv.Heap, new_order: str = "=") -> Dict[str, Item]:
        """Apply a received heap: its descriptors add or replace items (an
        item whose description is unchanged keeps its value), then its
        values update items. Returns {name: item} for the items updated."""
        for raw in heap.get_descriptors():
            descriptor = Descriptor.from_raw(raw, heap.flavour)
            existing = self._by_id.get(descriptor.id)
            if existing is not None and existing._same_description(descriptor):
                continue
            self._add(Item(descriptor.id, descriptor.name, descriptor.description, descriptor.shape,
                           dtype=descriptor.dtype, order=descriptor.order, format=descriptor.format))
        updated: Dict[str, Item] = {}
        for raw_item in heap.get_items():
            item = self._by_id.get(raw_item.id)
            if item is None or raw_item.id < 0x10:
                continue        # not described yet, or a protocol item
            item.set_from_raw(raw_item, new_order)
            updated[item.name] = item
        return updated

    def __getitem__(self, key: Union[int, str]) -> Item:
        """The item with ID *key* (an integer) or name *key* (a string);
        KeyError if there is none."""
        if isinstance(key, numbers.Integral):
            return self._by_id[key]
        return self._by_name[cast(str, key)]

    def __contains__(self, key: object) -> bool:
        """Whether there is an item with ID *key* (an integer) or name *key*."""
        if isinstance(key, numbers.Integral):
            return key in self._by_id
        return key in self._by_name

    def __len__(self) -> int:
        """The number of items."""
        return len(self._by_id)

    def keys(self) -> KeysView[str]:
        """Item names."""
        return self._by_name.keys()

    def ids(self) -> KeysView[int]:
        """Item IDs."""
        return self._by_id.keys()

    def values(self) -> ValuesView[Item]:
        """The items."""
        return self._by_id.values()

    def items(self) -> ItemsView[str, Item]:
        """(name, item) pairs."""
        return self._by_name.items()
