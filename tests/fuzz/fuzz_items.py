#!/usr/bin/env python3
"""Fuzz harness for the Python-side parsing of received descriptors and
values (lightspead._items): numpy headers (parsed with ast.literal_eval and
numpy's descr_to_dtype), bit-packed formats, shapes, and item values decoded
from raw bytes.

One input: a mode byte, then
- mode 0: a numpy header (the rest, minus the last 16 bytes) and a value;
- mode 1: a format (pairs of code and bit count), a shape and a value;
- mode 2: a bit-packed round trip: an element count (3 bytes), a field
  count, (code, bits) pairs and a seed for the values.
Invariants: anything malformed raises ValueError and nothing else; a
descriptor that parses survives encoding and parsing again unchanged; a
value either decodes or raises ValueError. A bit-packed value encodes to
exactly its bits, decodes to what was encoded (integers exactly, then
zeros for padding bits that make whole elements; every format re-encodes
to the same bytes), and each direction takes at most
ROUND_TRIP_SECONDS plus ROUND_TRIP_SECONDS_PER_BYTE per wire byte, which
a quadratic path exceeds from about 0.2 MiB (it took a minute for 1 MiB).

Usage:
  fuzz_items.py DIR_OR_FILE...            replay (no atheris needed; make test)
  fuzz_items.py --fuzz [libFuzzer args]   fuzz with atheris (make fuzz)
  fuzz_items.py --make-seeds DIR          write the seed corpus
"""

import os
import sys
import time

import numpy as np

lightspead = None       # imported in main(), under atheris' instrumentation when fuzzing

MAX_HEADER = 4096
MAX_ROUND_TRIP_BITS = 8 << 20           # 1 MiB on the wire
ROUND_TRIP_SECONDS = 0.25
ROUND_TRIP_SECONDS_PER_BYTE = 10e-6     # the general path takes about 1.5e-6
ROUND_TRIP_CODES = "uuiibcf"


class RawValue(bytes):
    """Stands in for a received RawItem: bytes plus is_immediate."""
    is_immediate = False


def expect_value_error(fn, *args):
    """Call fn; ValueError means "refused cleanly" (returns None), anything
    else propagates and is a finding."""
    try:
        return fn(*args)
    except ValueError:
        return None


def decode_value(descriptor, value_bytes, immediate):
    item = lightspead.Item(descriptor.id, descriptor.name, descriptor.description, descriptor.shape,
                           dtype=descriptor.dtype, order=descriptor.order, format=descriptor.format)
    raw = RawValue(value_bytes)
    raw.is_immediate = immediate
    try:
        item.set_from_raw(raw)
    except ValueError:
        return
    # A decoded value of a fixed-shape item has that shape
    if not isinstance(item.value, str) and None not in descriptor.shape:
        assert np.shape(item.value)[:len(descriptor.shape)] == tuple(descriptor.shape), (
            np.shape(item.value), descriptor.shape)


def round_trip(descriptor, flavour):
    again = lightspead.Descriptor.from_raw(
        [field.encode() if isinstance(field, str) else field for field in descriptor.to_raw(flavour)], flavour)
    assert again._same_description(descriptor), (descriptor.to_raw(flavour), again.to_raw(flavour))


def random_values(fmt, count, rng):
    """count elements of format fmt (tuples if it has several fields)."""
    columns = []
    for code, bits in fmt:
        if code in "ui":
            low = -(1 << (bits - 1)) if code == "i" else 0
            if bits <= 62:
                column = [int(x) for x in rng.integers(low, low + (1 << bits), count)]
            else:
                column = [int.from_bytes(rng.bytes((bits + 7) // 8), "big") % (1 << bits) + low
                          for _ in range(count)]
        elif code == "b":
            column = [bool(x) for x in rng.integers(0, 2, count)]
        elif code == "c":
            column = [bytes([x]) for x in rng.integers(0, 256, count)]
        else:
            column = [float(x) for x in rng.standard_normal(count)]
        columns.append(column)
    return columns[0] if len(fmt) == 1 else list(zip(*columns))


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


def bitpacked_round_trip(body):
    if len(body) < 4:
        return
    n_fields = 1 + body[3] % 4
    spec = body[4:4 + 2 * n_fields]
    if len(spec) < 2 * n_fields:
        return
    fmt = [(ROUND_TRIP_CODES[spec[2 * k] % len(ROUND_TRIP_CODES)], spec[2 * k + 1]) for k in range(n_fields)]
    try:
        item = lightspead.Item(0x1000, "item", "", (None,), format=fmt)
    except ValueError:
        return
    element_bits = sum(bits for _, bits in fmt)
    # A general-path (Python) element costs far more than a bit: fewer of them
    max_count = 1 << 20 if n_fields == 1 and fmt[0][0] in "ui" and fmt[0][1] <= 62 else 1 << 15
    count = min(int.from_bytes(body[:3], "big"), MAX_ROUND_TRIP_BITS // element_bits, max_count)
    rng = np.random.default_rng(int.from_bytes(body[4 + 2 * n_fields:][:8], "big"))
    item.value = random_values(fmt, count, rng)
    wire, encode_time = timed(lambda: bytes(item.to_buffer()))
    assert len(wire) == (count * element_bits + 7) // 8, (fmt, count, len(wire))
    received = lightspead.Item(0x1000, "item", "", (None,), format=fmt)
    _, decode_time = timed(received.set_from_raw, RawValue(wire))
    bound = ROUND_TRIP_SECONDS + ROUND_TRIP_SECONDS_PER_BYTE * len(wire)
    assert encode_time < bound and decode_time < bound, (fmt, count, len(wire), encode_time, decode_time)
    # The wire does not say how many elements a variable dimension has:
    # zero padding bits that fill a whole element decode as one more (as
    # in spead2)
    assert len(received.value) == len(wire) * 8 // element_bits, (fmt, count, len(received.value))
    if n_fields == 1 and fmt[0][0] in "ui":
        decoded = [int(x) for x in received.value]
        assert decoded[:count] == item.value and not any(decoded[count:]), fmt
    again = lightspead.Item(0x1000, "item", "", (None,), format=fmt)
    again.value = received.value
    assert bytes(again.to_buffer()) == wire, fmt


def check(data):
    if len(data) < 2:
        return
    mode, flags, body = data[0] % 3, data[1], data[2:]
    if mode == 2:
        bitpacked_round_trip(body)
        return
    flavour = lightspead.Flavour(4, 64, 40, lightspead.BUG_COMPAT_SWAP_ENDIAN if flags & 1 else 0)
    value_bytes, body = body[-16:], body[:-16]
    if mode == 0:
        header = body[:MAX_HEADER]
        raw = (0x1000, b"item", b"", [], [], header)
        descriptor = expect_value_error(lightspead.Descriptor.from_raw, raw, flavour)
    else:
        # Format: (code, bits) pairs from the first half; shape from the second
        half = len(body) // 2
        fmt = [(chr(body[i]), body[i + 1]) for i in range(0, half - 1, 2)][:8]
        shape = [None if b == 0xFF else b % 17 for b in body[half:half + 4]]
        raw = (0x1000, b"item", b"", fmt, [-1 if d is None else d for d in shape], b"")
        descriptor = expect_value_error(lightspead.Descriptor.from_raw, raw, flavour)
    if descriptor is None:
        return
    round_trip(descriptor, flavour)
    decode_value(descriptor, value_bytes, bool(flags & 2))


def seeds():
    """Valid inputs: headers of many dtypes and orders, and formats."""
    out = []
    dtypes = [np.int8, np.uint16, ">i4", "<f8", np.complex64, "S5", np.bool_,
              [("a", "<i4"), ("b", ">f4")], [("x", "u1", (3,))], "<M8[s]", ">U3"]
    for i, dtype in enumerate(dtypes):
        for shape, order in (((), "C"), ((3,), "C"), ((2, 5), "F"), ((0, 4), "C")):
            d = lightspead.Descriptor(0x1000, "item", "", shape, dtype=dtype, order=order)
            header = d.to_raw()[5].encode()
            out.append(bytes([0, i % 4]) + header + bytes(range(16)))
    for fmt, shape in (([("u", 8)], [3]), ([("i", 5), ("u", 3)], [2]), ([("c", 8)], [None]),
                       ([("f", 32)], []), ([("f", 64), ("b", 8)], [1]), ([("u", 48)], [])):
        body = b"".join(bytes([ord(c), b]) for c, b in fmt)
        shape_bytes = bytes(0xFF if d is None else d for d in shape)
        out.append(bytes([1, 0]) + body + shape_bytes.ljust(len(body), b"\0") + bytes(range(16)))
    # Bit-packed round trips: 10- and 12-bit samples (1 MiB of 10-bit ones),
    # odd and wide widths, several fields
    for count, fmt in ((838860, [("u", 10)]), (100000, [("i", 12)]), (5000, [("u", 1)]), (3000, [("i", 63)]),
                       (2000, [("u", 64)]), (500, [("i", 200)]), (20000, [("u", 3), ("i", 5)]),
                       (3000, [("b", 1), ("c", 8), ("f", 32), ("i", 7)]), (0, [("u", 10)]), (1, [("f", 64)])):
        spec = b"".join(bytes([ROUND_TRIP_CODES.index(code), bits]) for code, bits in fmt)
        out.append(bytes([2, 0]) + count.to_bytes(3, "big") + bytes([len(fmt) - 1]) + spec + b"seed")
    return out


def replay(paths):
    files = []
    for path in paths:
        if os.path.isdir(path):
            files += [os.path.join(path, name) for name in sorted(os.listdir(path))]
        else:
            files.append(path)
    for name in files:
        with open(name, "rb") as f:
            try:
                check(f.read())
            except Exception:
                print(f"FAILED on {name}", file=sys.stderr)
                raise
    print(f"replayed {len(files)} inputs")


def main():
    global lightspead
    if sys.argv[1:2] == ["--fuzz"]:
        import atheris
        with atheris.instrument_imports(include=["lightspead"]):
            import lightspead
        atheris.Setup([sys.argv[0]] + sys.argv[2:], check)
        atheris.Fuzz()
        return
    import lightspead
    if sys.argv[1:2] == ["--make-seeds"]:
        os.makedirs(sys.argv[2], exist_ok=True)
        for i, seed in enumerate(seeds()):
            with open(os.path.join(sys.argv[2], f"seed-{i:03d}"), "wb") as f:
                f.write(seed)
    else:
        replay(sys.argv[1:])


if __name__ == "__main__":
    main()
