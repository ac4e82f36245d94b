#!/usr/bin/env python3
"""Fuzz harness for the Python-side parsing of received descriptors and
values (lightspead._items): numpy headers (parsed with ast.literal_eval and
numpy's descr_to_dtype), bit-packed formats, shapes, and item values decoded
from raw bytes.

One input: a mode byte, then
- mode 0: a numpy header (the rest, minus the last 16 bytes) and a value;
- mode 1: a format (pairs of code and bit count), a shape and a value.
Invariants: anything malformed raises ValueError and nothing else; a
descriptor that parses survives encoding and parsing again unchanged; a
value either decodes or raises ValueError.

Usage:
  fuzz_items.py DIR_OR_FILE...            replay (no atheris needed; make test)
  fuzz_items.py --fuzz [libFuzzer args]   fuzz with atheris (make fuzz)
  fuzz_items.py --make-seeds DIR          write the seed corpus
"""

import os
import sys

import numpy as np

lightspead = None       # imported in main(), under atheris' instrumentation when fuzzing

MAX_HEADER = 4096


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


def check(data):
    if len(data) < 2:
        return
    mode, flags, body = data[0] % 2, data[1], data[2:]
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
        for shape, order in (((), "C"), ((3,), "C"), ((2, None), "F"), ((0, 4), "C")):
            d = lightspead.Descriptor(0x1000, "item", "", shape, dtype=dtype, order=order)
            header = d.to_raw()[5].encode()
            out.append(bytes([0, i % 4]) + header + bytes(range(16)))
    for fmt, shape in (([("u", 8)], [3]), ([("i", 5), ("u", 3)], [2]), ([("c", 8)], [None]),
                       ([("f", 32)], []), ([("f", 64), ("b", 8)], [1]), ([("u", 48)], [])):
        body = b"".join(bytes([ord(c), b]) for c, b in fmt)
        shape_bytes = bytes(0xFF if d is None else d for d in shape)
        out.append(bytes([1, 0]) + body + shape_bytes.ljust(len(body), b"\0") + bytes(range(16)))
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
