"""The worker -> grader wire format: data that can only ever decode to plain data.

A submission's result never reaches the grader as a pickle: the worker
packs it and the grader unpacks it strictly, with caps on depth, sizes and
element counts. Anything the decoder does not recognise raises
:class:`WireError`, which the grader turns into a verdict for that formula --
never a crash.

Two halves, one interface (every name below is importable from here):

- :mod:`checks.core.wirejson`: the JSON form and what both forms share:
  :class:`WireError`, the caps (``MAX_DEPTH``, ``MAX_STR``, ``MAX_ITEMS``,
  ``MAX_ELEMENTS``, ``MAX_INT_DIGITS``), :class:`Opaque`, the tree of a value
  (:func:`encode` / :func:`decode`, its table of encodings), :func:`dumps` /
  :func:`loads`;
- this module: the binary form, values and messages.

Binary form (what the sandbox sends: no base64, no pickle). A *value*
(:func:`pack` / :func:`unpack`) is ``u32 n`` + ``n`` bytes of the JSON tree
of :func:`encode`, where ``nd`` is ``{"$": "nd", "d": dtype, "s": shape}`` and ``sc`` is
``{"$": "sc", "d": dtype}`` without ``b``, + the raw little-endian bytes of
every array and scalar, back to back in the order of a depth-first walk of
the tree. The decoder takes each one's exact size (shape x itemsize) in turn
and refuses a byte too few or too many. A *message* (:func:`message` /
:func:`parse`) is ``MAGIC`` + ``u32 n`` + a JSON object of ``n`` bytes (the
header: op, verdict kind, case index...) + up to :data:`MAX_PARTS` parts,
each ``u32 n`` + ``n`` bytes (the packed values), nothing after them.
Every ``u32`` is little-endian. The caps (depth, strings, items, elements)
are the JSON form's. Both modules import only numpy and the standard library
(and each other, this one the JSON one): the worker uses them too.
"""

from __future__ import annotations

import struct

import numpy as np

from checks.core.wirejson import (  # noqa: F401  re-exported: the wire's one interface
    MAX_DEPTH, MAX_ELEMENTS, MAX_INT_DIGITS, MAX_ITEMS, MAX_STR, Opaque, WireError, decode, dumps, encode, loads,
    _DT, _ESC, _JSON, _dtype, _jleaf, _str_items,
)

MAGIC = b"FCW\x02"
MAX_PARTS = 4
_U32 = struct.Struct("<I")


# --------------------------------------------------------------------------
# the binary form: values and messages
# --------------------------------------------------------------------------

_LE: dict = {}       # dtype -> (little-endian str or "" when it does not travel, astype needed, nd text, sc text)


def _le(d: np.dtype) -> tuple:
    e = _LE.get(d)
    if e is None:
        s = "" if d.kind not in "biufc" or d.fields is not None else (d.newbyteorder("<") if d.byteorder == ">" else d).str
        e = (s, bool(s) and s != d.str, '{"$":"nd","d":"' + s + '","s":[', '{"$":"sc","d":"' + s + '"}')
        if len(_LE) > 256:
            _LE.clear()
        _LE[d] = e
    return e


def _big(cap: int) -> WireError:
    return WireError(f"the result is too large (more than {cap >> 20} MB)")


def _penc(v, depth: int, put, left: list, cap: int) -> str:
    """The JSON text (as :func:`dumps` writes it) of ``v``'s tree in the binary form, arrays' bytes to ``put``:
    the tree, values and caps of :func:`encode` with ``data`` (tests/grader/test_wire_frames.py compares them)."""
    if depth > MAX_DEPTH:
        raise WireError(f"the result is nested more than {MAX_DEPTH} levels deep")
    t = type(v)
    if t is np.ndarray or (t is not bool and t is not float and isinstance(v, np.ndarray)):
        a = v if t is np.ndarray else np.asarray(v)
        ds, conv, nd, _ = _le(a.dtype)
        if conv:
            a = a.astype(ds)
        left[0] -= a.nbytes + 64 if ds else 40
        if left[0] < 0:
            raise _big(cap)
        if not ds:
            return '{"$":"obj","t":' + _ESC(f"ndarray(dtype={a.dtype})") + "}"
        put(a.tobytes())
        s = a.shape
        return nd + (str(s[0]) if len(s) == 1 else ",".join(map(str, s))) + "]}"
    if t is list or t is tuple:
        left[0] -= 2 + len(v)
        if left[0] < 0:
            raise _big(cap)
        s = ",".join([_penc(x, depth + 1, put, left, cap) for x in v])
        return "[" + s + "]" if t is list else '{"$":"tuple","v":[' + s + "]}"
    if t is float or t is bool or v is None or (t is int and -(2**63) < v < 2**63):
        left[0] -= 24
        s = _jleaf(v)
    elif t is str:
        left[0] -= len(v) + 2
        s = _ESC(v[:MAX_STR])
    elif isinstance(v, np.generic):
        ds, _, _, sc = _le(v.dtype)
        left[0] -= v.dtype.itemsize + 40 if ds else 40
        if left[0] < 0:
            raise _big(cap)
        if not ds:
            return '{"$":"obj","t":' + _ESC(type(v).__name__) + "}"
        put(np.asarray(v).astype(ds, copy=False).tobytes())
        return sc
    elif isinstance(v, dict):
        left[0] -= 2
        out = []
        for k, x in _str_items(v):
            left[0] -= len(k) + 4
            out.append("[" + _ESC(k[:MAX_STR]) + "," + _penc(x, depth + 1, put, left, cap) + "]")
        s = '{"$":"dict","v":[' + ",".join(out) + "]}"
    elif isinstance(v, (list, tuple)):  # subclasses: as a plain list / tuple
        return _penc(tuple(v) if isinstance(v, tuple) else list(v), depth, put, left, cap)
    else:  # big ints, float / int subclasses, other objects: as in the JSON form (no array bytes)
        s = _JSON.encode(encode(v, max(left[0], 0)))
        left[0] -= 40
    if left[0] < 0:
        raise _big(cap)
    return s


def pack(value, max_bytes: int = 32 << 20) -> bytes:
    """``value`` in the binary form (tree + raw array bytes); WireError when too big or too deep."""
    data: list[bytes] = []
    tree = _penc(value, 0, data.append, [max_bytes], max_bytes).encode("utf-8")
    return b"".join([_U32.pack(len(tree)), tree, *data])


_frombuffer = np.frombuffer  # called with positional arguments: keywords cost more than the copy


class _Unpacker:
    """Decodes one binary value strictly: the caps of :func:`decode`, every byte of ``data`` taken once."""

    __slots__ = ("data", "pos", "el", "items")

    def __init__(self, data: memoryview):
        self.data, self.pos, self.el, self.items = data, 0, 0, 0

    def take(self, n: int, d: np.dtype) -> np.ndarray:
        pos = self.pos
        end = pos + n * d.itemsize
        if end > len(self.data):
            raise WireError("array data is shorter than the shapes and dtypes say")
        self.pos = end
        if n == 0:
            return np.zeros(0, dtype=d)
        return _frombuffer(self.data, d, n, pos).copy()

    def count(self, n: int, depth: int) -> None:
        """A container of ``n`` items at ``depth``: its items are one level deeper."""
        if n and depth >= MAX_DEPTH:
            raise WireError("message nested too deeply")
        self.items += n
        if self.items > MAX_ITEMS:
            raise WireError("too many items")

    def dec(self, v, depth: int):
        t = type(v)
        if t is dict:
            kind = v.get("$")
            if kind == "nd" and len(v) == 3 and "d" in v and "s" in v:
                d = _DT.get(v["d"]) if type(v["d"]) is str else None
                d = _dtype(v["d"], True) if d is None else d
                shape = v["s"]
                if type(shape) is not list or len(shape) > 32:
                    raise WireError("bad array shape")
                n = 1
                for k in shape:
                    if type(k) is not int or not 0 <= k <= MAX_ELEMENTS:
                        raise WireError("bad array shape")
                    n *= k
                self.el += n
                if self.el > MAX_ELEMENTS:
                    raise WireError("arrays too large")
                pos = self.pos  # self.take(n, d), inline
                end = pos + n * d.itemsize
                if end > len(self.data):
                    raise WireError("array data is shorter than the shapes and dtypes say")
                self.pos = end
                a = _frombuffer(self.data, d, n, pos).copy() if n else np.zeros(0, dtype=d)
                return a.reshape(shape) if len(shape) != 1 else a
            if kind == "tuple" and len(v) == 2 and type(v.get("v")) is list:
                self.count(len(v["v"]), depth)
                return tuple([self.dec(x, depth + 1) for x in v["v"]])
            if kind == "dict" and len(v) == 2 and type(v.get("v")) is list:
                self.count(len(v["v"]), depth)
                out = {}
                for kv in v["v"]:
                    if type(kv) is not list or len(kv) != 2 or type(kv[0]) is not str or len(kv[0]) > MAX_STR:
                        raise WireError("bad dict entry")
                    out[kv[0]] = self.dec(kv[1], depth + 1)
                return out
            if kind == "sc" and len(v) == 2 and "d" in v:
                d = _DT.get(v["d"]) if type(v["d"]) is str else None
                return self.take(1, _dtype(v["d"], True) if d is None else d)[0]
            if kind in ("int", "obj"):
                return decode(v)  # no bytes: as in the JSON form
            raise WireError("unrecognised value in the message")
        if t is list:
            self.count(len(v), depth)
            return [self.dec(x, depth + 1) for x in v]
        if t is str:
            if len(v) > MAX_STR:
                raise WireError("string too long")
            return v
        if v is None or t is float or t is int or t is bool:
            return v
        raise WireError(f"unexpected JSON value of type {t.__name__}")


def unpack(buf) -> object:
    """The value packed in ``buf`` (bytes); WireError on anything that is not exactly one packed value."""
    if not isinstance(buf, (bytes, bytearray)):
        raise WireError("a packed value must be bytes")
    if len(buf) < 4:
        raise WireError("a packed value is shorter than its header")
    (n,) = _U32.unpack_from(buf, 0)
    if n > len(buf) - 4:
        raise WireError("a packed value's tree runs past its end")
    tree = loads(buf[4:4 + n])
    u = _Unpacker(memoryview(buf)[4 + n:])
    out = u.dec(tree, 0)
    if u.pos != len(u.data):
        raise WireError(f"{len(u.data) - u.pos} bytes of array data belong to no value")
    return out


def message(header: dict, *parts) -> bytes:
    """One frame's payload: MAGIC, the JSON ``header``, then each part (bytes) with its length."""
    h = dumps(header)
    out = [MAGIC, _U32.pack(len(h)), h]
    for p in parts:
        out += [_U32.pack(len(p)), p]
    return b"".join(out)


def parse(payload) -> tuple[dict, list[bytes]]:
    """(header, parts) of a message; WireError unless it is exactly one well-formed message."""
    if not isinstance(payload, (bytes, bytearray)):
        raise WireError("a message must be bytes")
    if payload[:4] != MAGIC:
        raise WireError("the worker sent a message that is not in the wire format")
    size = len(payload)
    pos = 4
    parts: list[bytes] = []
    header = None
    while pos < size:
        if pos + 4 > size:
            raise WireError("a message ends inside a length")
        (n,) = _U32.unpack_from(payload, pos)
        pos += 4
        if n > size - pos:
            raise WireError("a message's part runs past its end")
        chunk = bytes(payload[pos:pos + n])
        pos += n
        if header is None:
            header = loads(chunk)
            if type(header) is not dict:
                raise WireError("a message's header is not an object")
        elif len(parts) >= MAX_PARTS:
            raise WireError(f"a message has more than {MAX_PARTS} parts")
        else:
            parts.append(chunk)
    if header is None:
        raise WireError("a message without a header")
    return header, parts
