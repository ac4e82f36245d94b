"""Descriptors, items and item groups: what the items of a heap are and how
their values become bytes (the Python-specific part of the API)."""

import numbers

import numpy as np

from ._lightspead import BUG_COMPAT_SWAP_ENDIAN, Flavour

# Format codes and the widths they allow (None: any positive width)
_FORMAT_WIDTHS = {"u": None, "i": None, "f": (32, 64), "b": (8,), "c": (8,)}


def _check_ascii(text, what):
    if not isinstance(text, str):
        raise TypeError(f"{what} must be a str")
    try:
        text.encode("ascii")
    except UnicodeEncodeError:
        raise ValueError(f"{what} must be ASCII: {text!r}") from None


def _format_dtype(fmt):
    """The numpy dtype with the same bytes as a one-field format, or None."""
    if len(fmt) != 1:
        return None
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


class Descriptor:
    """What an item is: ID, name, description, shape and either a numpy
    ``dtype`` (with ``order`` 'C' or 'F') or a SPEAD ``format`` list of
    (code, bits). At most one dimension may be ``None`` (variable)."""

    def __init__(self, id, name, description, shape, dtype=None, order="C", format=None):
        if not isinstance(id, numbers.Integral) or id <= 0:
            raise ValueError(f"item ID must be a positive integer, not {id!r}")
        _check_ascii(name, "name")
        _check_ascii(description, "description")
        shape = tuple(shape)
        for dim in shape:
            if dim is not None and (not isinstance(dim, numbers.Integral) or dim < 0):
                raise ValueError(f"dimensions must be non-negative integers or None, not {dim!r}")
        if sum(dim is None for dim in shape) > 1:
            raise ValueError("cannot have more than one variable dimension")
        if order not in ("C", "F"):
            raise ValueError(f"order must be 'C' or 'F', not {order!r}")
        if (dtype is None) == (format is None):
            raise ValueError("exactly one of dtype and format must be given")
        if dtype is not None:
            dtype = np.dtype(dtype)
            if dtype.hasobject:
                raise ValueError("dtypes containing Python objects cannot be sent")
            if dtype.itemsize == 0:
                raise ValueError("dtypes must have a non-zero size")
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
        self.shape = shape
        self.dtype = dtype
        self.order = order
        self.format = format
        self._fast_dtype = dtype if dtype is not None else _format_dtype(format)

    @property
    def itemsize_bits(self):
        """Bits per element."""
        if self.dtype is not None:
            return self.dtype.itemsize * 8
        return sum(bits for _, bits in self.format)

    def is_variable_size(self):
        """Whether a dimension is variable (None)."""
        return any(dim is None for dim in self.shape)

    def allow_immediate(self):
        """Small fixed-size values may travel inside their item pointer;
        variable-size ones may not (the receiver could not tell their size),
        nor formats that are not a whole number of bytes."""
        return not self.is_variable_size() and (self.dtype is not None or self.itemsize_bits % 8 == 0)

    def compatible_shape(self, shape):
        """Whether a value of ``shape`` fits this descriptor's shape."""
        if len(shape) != len(self.shape):
            return False
        return all(want is None or want == got for want, got in zip(self.shape, shape))

    def _numpy_header(self, flavour):
        dtype = self.dtype
        if flavour.bug_compat & BUG_COMPAT_SWAP_ENDIAN:
            dtype = dtype.newbyteorder()
        shape = tuple(-1 if dim is None else dim for dim in self.shape)
        descr = np.lib.format.dtype_to_descr(dtype)
        return "{'descr': %r, 'fortran_order': %r, 'shape': %r}" % (descr, self.order == "F", shape)

    def to_raw(self, flavour=None):
        """The descriptor's wire fields: (id, name, description, format,
        shape, numpy_header), shape with -1 for a variable dimension."""
        flavour = flavour if flavour is not None else Flavour()
        shape = [-1 if dim is None else dim for dim in self.shape]
        if self.dtype is not None:
            return self.id, self.name, self.description, [], shape, self._numpy_header(flavour)
        return self.id, self.name, self.description, list(self.format), shape, ""


class Item(Descriptor):
    """A descriptor with a value. Setting ``value`` bumps ``version``, which
    is how an item group knows what changed since the last heap."""

    def __init__(self, *args, value=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._value = value
        self.version = 1 if value is not None else 0

    @property
    def value(self):
        return self._value

    @value.setter
    def value(self, new_value):
        self._value = new_value
        self.version += 1

    def _bytes_of_integers(self, values):
        """Encode a one-field integer format of any whole-byte width."""
        code, bits = self.format[0]
        nbytes = bits // 8
        if bits % 8 != 0 or bits > 64 or len(self.format) != 1 or code not in "ui":
            raise ValueError(f"format {self.format} is not supported for sending yet")
        signed = code == "i"
        limit = 1 << (bits - 1) if signed else 1 << bits
        low = -limit if signed else 0
        values = np.asarray(values)
        if values.size and (values.min() < low or values.max() >= limit):
            raise ValueError(f"value does not fit in {bits}-bit {'signed' if signed else 'unsigned'} integers")
        wide = values.astype(">i8" if signed else ">u8")
        return np.ascontiguousarray(wide).view(np.uint8).reshape(-1, 8)[:, 8 - nbytes:].tobytes()

    def to_buffer(self):
        """The value as an object with the buffer protocol, in wire layout.

        Raises ValueError if there is no value or it does not fit the
        descriptor's shape and type."""
        value = self._value
        if value is None:
            raise ValueError(f"item {self.name!r} has no value")
        if self._fast_dtype is not None and self._fast_dtype.kind == "S" and isinstance(value, (str, bytes)):
            data = value.encode("ascii") if isinstance(value, str) else value
            array = np.frombuffer(data, np.uint8)
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
            return self._bytes_of_integers(array)
        if self.order == "F":
            # The transpose of a Fortran-ordered array is C-contiguous with
            # the same bytes.
            return np.asfortranarray(array).T
        return np.ascontiguousarray(array)


class ItemGroup:
    """Items by ID and by name. ``add_item`` gives IDs from 0x1000 when
    none is given."""

    def __init__(self):
        self._by_id = {}
        self._by_name = {}

    def _next_id(self):
        candidate = 0x1000
        while candidate in self._by_id:
            candidate += 1
        return candidate

    def add_item(self, id=None, name=None, description="", shape=(), dtype=None, order="C",
                 format=None, value=None):
        """Create and add an item; returns it. An item with the same ID or
        name is replaced."""
        if id is None:
            id = self._next_id()
        if name is None:
            raise ValueError("items need a name")
        item = Item(id, name, description, shape, dtype=dtype, order=order, format=format, value=value)
        self._add(item)
        return item

    def _add(self, item):
        old = self._by_id.pop(item.id, None)
        if old is not None:
            self._by_name.pop(old.name, None)
        old = self._by_name.pop(item.name, None)
        if old is not None:
            self._by_id.pop(old.id, None)
        self._by_id[item.id] = item
        self._by_name[item.name] = item

    def __getitem__(self, key):
        if isinstance(key, numbers.Integral):
            return self._by_id[key]
        return self._by_name[key]

    def __contains__(self, key):
        if isinstance(key, numbers.Integral):
            return key in self._by_id
        return key in self._by_name

    def __len__(self):
        return len(self._by_id)

    def keys(self):
        """Item names."""
        return self._by_name.keys()

    def ids(self):
        """Item IDs."""
        return self._by_id.keys()

    def values(self):
        """The items."""
        return self._by_id.values()

    def items(self):
        """(name, item) pairs."""
        return self._by_name.items()
