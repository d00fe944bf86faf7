#!/usr/bin/env python3
"""read_safetensors.py - an independent reader of safetensors files.

Written from the format description, not from nnd's C code, so the tests
can check that what nnd writes is what another implementation reads. Only
the standard library (struct, json, binascii for the CRC) is used, so it
runs wherever Python 3 does, without numpy or torch.

Usage: python3 read_safetensors.py FILE

Prints one line per tensor, in data order:
    "NAME" F32 shape=[2, 3] values=1.0 2.5 ...
(the first 8 values, each the exact float32 value printed with repr, which
round-trips), then "__metadata__ {...}" when the file has metadata, then
"ok N tensors". Exits 1 with a message on stderr at the first
inconsistency; a checksum in metadata is verified when present:
"nnd.file_crc32" (8 hex digits, first in the header: the CRC-32 of the
whole file with those digits read as "00000000") or, in files of earlier
nnd versions, "nnd.crc32" (decimal, the CRC-32 of the data section).
"""
import binascii
import json
import struct
import sys

# dtype -> (bytes per element, struct code or None when printed as raw bytes)
DTYPES = {
    "F64": (8, "d"), "F32": (4, "f"), "F16": (2, "e"), "BF16": (2, None),
    "I64": (8, "q"), "I32": (4, "i"), "I16": (2, "h"), "I8": (1, "b"),
    "U64": (8, "Q"), "U32": (4, "I"), "U16": (2, "H"), "U8": (1, "B"),
    "BOOL": (1, "?"),
}
MAX_HEADER = 100 * 1000 * 1000
SHOW = 8


class Bad(Exception):
    pass


def is_count(v):
    # bool is an int subclass in Python; JSON true is not a dimension
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def values_of(dtype, raw):
    size, code = DTYPES[dtype]
    n = min(len(raw) // size, SHOW)
    if code is None:  # BF16: the high half of a float32
        return [struct.unpack("<f", b"\0\0" + raw[2 * i:2 * i + 2])[0] for i in range(n)]
    return list(struct.unpack("<%d%s" % (n, code), raw[:n * size]))


def no_duplicates(pairs):
    # json.loads would keep the last of two equal keys; two tensors (or
    # metadata entries) with one name are an inconsistency
    seen = {}
    for k, v in pairs:
        if k in seen:
            raise Bad("key %r appears twice" % k)
        seen[k] = v
    return seen


def read(path):
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise Bad("file is %d bytes, shorter than the 8-byte header length" % len(blob))
    (hlen,) = struct.unpack("<Q", blob[:8])
    if hlen > len(blob) - 8:
        raise Bad("header length %d runs past the end of the file (%d bytes)" % (hlen, len(blob)))
    if hlen >= MAX_HEADER:
        raise Bad("header length %d exceeds 100 MB" % hlen)
    try:
        header = json.loads(blob[8:8 + hlen].decode("utf-8"), object_pairs_hook=no_duplicates)
    except (UnicodeDecodeError, ValueError) as e:
        raise Bad("header is not UTF-8 JSON: %s" % e)
    if not isinstance(header, dict):
        raise Bad("header is not a JSON object")
    data = blob[8 + hlen:]
    meta = header.pop("__metadata__", None)
    if meta is not None:
        if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
            raise Bad("__metadata__ is not a map of strings")
    tensors = []
    for name, e in header.items():
        if not isinstance(e, dict):
            raise Bad("tensor %r: entry is not an object" % name)
        dtype, shape, offs = e.get("dtype"), e.get("shape"), e.get("data_offsets")
        if dtype not in DTYPES:
            raise Bad("tensor %r: unknown dtype %r" % (name, dtype))
        if not isinstance(shape, list) or not all(is_count(d) for d in shape):
            raise Bad("tensor %r: shape %r is not a list of non-negative integers" % (name, shape))
        if (not isinstance(offs, list) or len(offs) != 2 or not all(is_count(o) for o in offs)
                or offs[0] > offs[1] or offs[1] > len(data)):
            raise Bad("tensor %r: data_offsets %r invalid for a %d-byte data section"
                      % (name, offs, len(data)))
        count = 1
        for d in shape:
            count *= d
        if offs[1] - offs[0] != count * DTYPES[dtype][0]:
            raise Bad("tensor %r: %d bytes for shape %r of %s" % (name, offs[1] - offs[0], shape, dtype))
        tensors.append((offs[0], offs[1], name, dtype, shape))
    tensors.sort(key=lambda t: (t[0], t[1]))
    for a, b in zip(tensors, tensors[1:]):
        if b[0] < a[1]:
            raise Bad("tensors %r and %r overlap" % (a[2], b[2]))
    if meta is not None and "nnd.file_crc32" in meta:
        # the whole file, with the checksum's own 8 hex digits (first in
        # the header, at a fixed place) read as "00000000"
        prefix = b'{"__metadata__":{"nnd.file_crc32":"'
        if blob[8:8 + len(prefix)] != prefix:
            raise Bad("nnd.file_crc32 is not at the start of the header")
        at = 8 + len(prefix)
        blanked = blob[:at] + b"00000000" + blob[at + 8:]
        got = "%08x" % (binascii.crc32(blanked) & 0xFFFFFFFF)
        if got != meta["nnd.file_crc32"]:
            raise Bad("checksum mismatch: nnd.file_crc32 is %s, the file gives %s"
                      % (meta["nnd.file_crc32"], got))
    elif meta is not None and "nnd.crc32" in meta:  # earlier nnd versions: the data only
        got = binascii.crc32(data) & 0xFFFFFFFF
        if str(got) != meta["nnd.crc32"]:
            raise Bad("checksum mismatch: nnd.crc32 is %s, data gives %d" % (meta["nnd.crc32"], got))
    return tensors, meta, data


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: read_safetensors.py FILE\n")
        return 2
    try:
        tensors, meta, data = read(argv[1])
    except (Bad, OSError) as e:
        sys.stderr.write("%s: %s\n" % (argv[1], e))
        return 1
    for begin, end, name, dtype, shape in tensors:
        vals = values_of(dtype, data[begin:end])
        print("%s %s shape=[%s] values=%s" % (json.dumps(name), dtype,
              ", ".join(str(d) for d in shape), " ".join(repr(v) for v in vals)))
    if meta is not None:
        print("__metadata__ " + json.dumps(meta, sort_keys=True))
    print("ok %d tensors" % len(tensors))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
