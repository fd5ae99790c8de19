"""The worker -> grader wire format: JSON that can only ever decode to plain data.

A submission's result never reaches the grader as a pickle: the worker
encodes it with :func:`encode` and the grader decodes it with
:func:`decode`, strictly, with caps on depth, sizes and element counts.
Anything the decoder does not recognise raises :class:`WireError`, which
the grader turns into a verdict for that formula -- never a crash.

Encoding (a JSON value):

=====================  ====================================================
Python value           JSON
=====================  ====================================================
None, bool, str        null, true/false, "..." (str capped)
int                    an int (|x| < 2**63) or {"$": "int", "v": "digits"}
float                  a float (NaN / Infinity allowed)
list                   [ ... ]
tuple                  {"$": "tuple", "v": [ ... ]}
dict                   {"$": "dict", "v": [[key, value], ...]}: the str keys
                       (a str subclass as a plain str); entries with other
                       keys are dropped (the contract ignores extra keys);
                       a dict with keys but no str key is a WireError
numpy scalar           {"$": "sc", "d": "<f8", "b": base64 bytes}
ndarray                {"$": "nd", "d": "<f8", "s": [shape], "b": base64}
anything else          {"$": "obj", "t": "type name"}: decodes to an
                       :class:`Opaque` placeholder, so the comparison
                       reports "expected ..., got <type name>"
=====================  ====================================================

Only dtypes of kinds bool, int, uint, float and complex travel (object,
string and structured arrays become ``obj`` placeholders). This module
imports only numpy and the standard library: the worker uses it too.

Binary form (what the sandbox sends: no base64, no pickle). A *value*
(:func:`pack` / :func:`unpack`) is ``u32 n`` + ``n`` bytes of the JSON tree
above, where ``nd`` is ``{"$": "nd", "d": dtype, "s": shape}`` and ``sc`` is
``{"$": "sc", "d": dtype}`` without ``b``, + the raw little-endian bytes of
every array and scalar, back to back in the order of a depth-first walk of
the tree. The decoder takes each one's exact size (shape x itemsize) in turn
and refuses a byte too few or too many. A *message* (:func:`message` /
:func:`parse`) is ``MAGIC`` + ``u32 n`` + a JSON object of ``n`` bytes (the
header: op, verdict kind, case index...) + up to :data:`MAX_PARTS` parts,
each ``u32 n`` + ``n`` bytes (the packed values), nothing after them.
Every ``u32`` is little-endian. The caps (depth, strings, items, elements)
are the JSON form's.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import struct

import numpy as np

MAX_DEPTH = 32
MAX_STR = 10_000
MAX_INT_DIGITS = 1_000
MAX_ELEMENTS = 20_000_000      # array elements in one message
MAX_ITEMS = 1_000_000          # list/tuple/dict items in one message
_DTYPE_RE = re.compile(r"^[<>|=]?[biufc][0-9]{1,2}$")
_DT: dict = {}  # dtype str -> dtype, a few of the strings _dtype accepted (decoding)
_NAME_RE = re.compile(r"[^A-Za-z0-9_.]")
MAGIC = b"FCW\x02"
MAX_PARTS = 4
_U32 = struct.Struct("<I")


class WireError(Exception):
    """A value that cannot be encoded, or a message that is not valid wire data."""


class Opaque:
    """Stands for a returned object of a type the contract never returns."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object>"


_OPAQUE: dict[str, type] = {}


def _opaque(name: str) -> Opaque:
    name = _NAME_RE.sub("_", str(name))[:60] or "object"
    cls = _OPAQUE.get(name)
    if cls is None:
        if len(_OPAQUE) > 256:
            _OPAQUE.clear()
        cls = _OPAQUE[name] = type(name, (Opaque,), {"__slots__": ()})
    return cls()


# --------------------------------------------------------------------------
# encode (worker side)
# --------------------------------------------------------------------------

def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def _str_items(d: dict) -> list:
    """The (key, value) pairs of a result dict that travel: its str keys (a str subclass such as
    numpy.str_ as the plain str it equals); every key of the contract is a str, extra keys are
    ignored, so never sent. A dict with keys but no str key at all is a WireError."""
    out, other = [], None
    for k, x in d.items():
        if isinstance(k, str):
            out.append((str.__str__(k), x))
        elif other is None:
            other = type(k).__name__
    if other is not None and not out:  # no contract dict can be meant
        raise WireError(f"the result is a dict with a key of type {other}; keys must be str")
    return out


def encode(value, max_bytes: int = 32 << 20, data: list | None = None):
    """``value`` as a JSON-able tree; raises WireError when too big or too deep.

    With ``data`` (a list), arrays and scalars are appended to it as raw bytes
    instead of base64 in the tree (the binary form: :func:`pack`).
    """
    budget = [max_bytes]
    binary = data is not None
    put = data.append if binary else None

    def spend(n: int) -> None:
        budget[0] -= n
        if budget[0] < 0:
            raise WireError(f"the result is too large (more than {max_bytes >> 20} MB)")

    def enc(v, depth: int):
        if depth > MAX_DEPTH:
            raise WireError(f"the result is nested more than {MAX_DEPTH} levels deep")
        t = type(v)
        if v is None or t is bool:
            spend(5)
            return v
        if t is int:
            if -(2**63) < v < 2**63:
                spend(20)
                return v
            s = str(v) if v.bit_length() < 3400 else "0"
            if len(s) > MAX_INT_DIGITS or v.bit_length() >= 3400:
                raise WireError("the result holds an integer with more than 1000 digits")
            spend(len(s))
            return {"$": "int", "v": s}
        if t is float:
            spend(24)
            return v
        if t is str:
            spend(len(v) + 2)
            return v[:MAX_STR]
        if isinstance(v, np.ndarray):
            a = np.asarray(v)
            if a.dtype.kind not in "biufc" or a.dtype.fields is not None:
                spend(40)
                return {"$": "obj", "t": f"ndarray(dtype={a.dtype})"}
            if a.dtype.byteorder == ">":
                a = a.astype(a.dtype.newbyteorder("<"))
            if binary:
                spend(a.nbytes + 64)
                put(a.tobytes(order="C"))
                return {"$": "nd", "d": a.dtype.str, "s": list(a.shape)}
            spend(a.nbytes * 4 // 3 + 64)
            return {"$": "nd", "d": a.dtype.str, "s": list(a.shape), "b": _b64(a.tobytes(order="C"))}
        if isinstance(v, np.generic):
            d = v.dtype
            if d.kind not in "biufc" or d.fields is not None:
                spend(40)
                return {"$": "obj", "t": type(v).__name__}
            a = np.asarray(v)
            if d.byteorder == ">":
                a = a.astype(d.newbyteorder("<"))
            if binary:
                spend(a.nbytes + 40)
                put(a.tobytes())
                return {"$": "sc", "d": a.dtype.str}
            spend(a.nbytes * 4 // 3 + 40)
            return {"$": "sc", "d": a.dtype.str, "b": _b64(a.tobytes())}
        if isinstance(v, (list, tuple)):
            spend(2 + len(v))
            items = [enc(x, depth + 1) for x in v]
            if isinstance(v, tuple):
                return {"$": "tuple", "v": items}
            return items
        if isinstance(v, dict):
            spend(2)
            out = []
            for k, x in _str_items(v):
                spend(len(k) + 4)
                out.append([k[:MAX_STR], enc(x, depth + 1)])
            return {"$": "dict", "v": out}
        spend(40)
        if isinstance(v, float):  # float subclasses (not numpy scalars)
            return float(v)
        if isinstance(v, int) and not isinstance(v, bool):
            return enc(int(v), depth)
        return {"$": "obj", "t": type(v).__name__}

    return enc(value, 0)


_JSON = json.JSONEncoder(separators=(",", ":"), allow_nan=True)  # one encoder (json.dumps makes one per call)
_ESC = json.encoder.encode_basestring_ascii  # a str as _JSON writes it
_INF = float("inf")


def _jleaf(x):
    """The JSON text of None, a bool, int, float or str (exactly these types) as _JSON writes it; else None."""
    t = type(x)
    if t is str:
        return _ESC(x)
    if t is int:
        return int.__repr__(x)
    if t is float:
        return ("NaN" if x != x else "Infinity" if x == _INF else "-Infinity" if x == -_INF else float.__repr__(x))
    if x is None or t is bool:
        return "null" if x is None else "true" if x else "false"
    return None


def dumps(obj) -> bytes:
    """``obj`` as compact JSON (bytes); a flat dict (a message's header) is written here, as _JSON would."""
    if type(obj) is dict:
        out = []
        for k, x in obj.items():
            s = _jleaf(x) if type(k) is str else None
            if s is None:
                break
            out.append(_ESC(k) + ":" + s)
        else:
            return ("{" + ",".join(out) + "}").encode("utf-8")
    return _JSON.encode(obj).encode("utf-8")


# --------------------------------------------------------------------------
# decode (grader side): strict
# --------------------------------------------------------------------------

def _dtype(s, keep: bool = False) -> np.dtype:
    """The dtype named ``s`` if it may travel, else WireError; ``keep``: remembered in _DT (a few)."""
    if not isinstance(s, str) or not _DTYPE_RE.match(s):
        raise WireError(f"bad dtype {str(s)[:40]!r}")
    try:
        d = np.dtype(s)
    except TypeError as e:
        raise WireError(f"bad dtype {s!r}") from e
    if d.kind not in "biufc" or d.itemsize > 32:
        raise WireError(f"dtype {s!r} not allowed")
    if keep and len(_DT) < 64:
        _DT[s] = d
    return d


def _bytes(s) -> bytes:
    if not isinstance(s, str):
        raise WireError("array data must be base64 text")
    try:
        return base64.b64decode(s.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as e:
        raise WireError("array data is not valid base64") from e


def decode(tree, data: memoryview | None = None):
    """The plain value encoded by ``tree`` (already parsed JSON); WireError on anything else.

    With ``data`` (the binary form), arrays and scalars take their bytes from
    ``data`` in order; the caller checks that every byte was taken
    (``counts["pos"]``, see :func:`unpack`).
    """
    counts = {"el": 0, "items": 0, "pos": 0}
    binary = data is not None
    nd_keys = {"$", "d", "s"} if binary else {"$", "d", "s", "b"}
    sc_keys = {"$", "d"} if binary else {"$", "d", "b"}

    def take(n: int, d: np.dtype, what: str) -> np.ndarray:
        """``n`` items of dtype ``d``: the next bytes of ``data`` (binary), a copy."""
        pos = counts["pos"]
        end = pos + n * d.itemsize
        if end > len(data):
            raise WireError(f"{what} data is shorter than its shape and dtype")
        counts["pos"] = end
        if n == 0:
            return np.zeros(0, dtype=d)
        return np.frombuffer(data, dtype=d, count=n, offset=pos).copy()

    def dec(v, depth: int):
        if depth > MAX_DEPTH:
            raise WireError("message nested too deeply")
        t = type(v)
        if v is None or t in (bool, int, float):
            return v
        if t is str:
            if len(v) > MAX_STR:
                raise WireError("string too long")
            return v
        if t is list:
            counts["items"] += len(v)
            if counts["items"] > MAX_ITEMS:
                raise WireError("too many items")
            return [dec(x, depth + 1) for x in v]
        if t is not dict:
            raise WireError(f"unexpected JSON value of type {t.__name__}")
        kind = v.get("$")
        keys = set(v)
        if kind == "nd" and keys == nd_keys:
            d = _dtype(v["d"])
            shape = v["s"]
            if type(shape) is not list or len(shape) > 32 or not all(type(n) is int and 0 <= n <= MAX_ELEMENTS for n in shape):
                raise WireError("bad array shape")
            n = math.prod(shape)
            counts["el"] += n
            if counts["el"] > MAX_ELEMENTS:
                raise WireError("arrays too large")
            if binary:
                return take(n, d, "array").reshape(tuple(shape))
            raw = _bytes(v["b"])
            if len(raw) != n * d.itemsize:
                raise WireError("array data does not match its shape and dtype")
            return np.frombuffer(raw, dtype=d).reshape(tuple(shape)).copy()
        if kind == "sc" and keys == sc_keys:
            d = _dtype(v["d"])
            if binary:
                return take(1, d, "scalar")[0]
            raw = _bytes(v["b"])
            if len(raw) != d.itemsize:
                raise WireError("scalar data does not match its dtype")
            return np.frombuffer(raw, dtype=d)[0].copy()
        if kind == "tuple" and keys == {"$", "v"} and type(v["v"]) is list:
            counts["items"] += len(v["v"])
            if counts["items"] > MAX_ITEMS:
                raise WireError("too many items")
            return tuple(dec(x, depth + 1) for x in v["v"])
        if kind == "dict" and keys == {"$", "v"} and type(v["v"]) is list:
            out = {}
            counts["items"] += len(v["v"])
            if counts["items"] > MAX_ITEMS:
                raise WireError("too many items")
            for kv in v["v"]:
                if type(kv) is not list or len(kv) != 2 or type(kv[0]) is not str or len(kv[0]) > MAX_STR:
                    raise WireError("bad dict entry")
                out[kv[0]] = dec(kv[1], depth + 1)
            return out
        if kind == "int" and keys == {"$", "v"} and type(v["v"]) is str:
            s = v["v"]
            if not re.fullmatch(r"-?[0-9]{1,1000}", s):
                raise WireError("bad integer")
            return int(s)
        if kind == "obj" and keys == {"$", "t"} and type(v["t"]) is str:
            return _opaque(v["t"])
        raise WireError("unrecognised value in the message")

    out = dec(tree, 0)
    if binary and counts["pos"] != len(data):
        raise WireError(f"{len(data) - counts['pos']} bytes of array data belong to no value")
    return out


_SCAN = json.JSONDecoder().scan_once  # what json.loads runs at index 0 (its default decoder's)


def loads(data: bytes):
    """Parse one JSON message (bytes) as json.loads does; WireError on garbage."""
    try:
        s = data.decode("utf-8")
        if s.count("[") + s.count("{") < 256:  # shallow: json.loads' own scanner, without its wrapper's cost
            try:
                obj, end = _SCAN(s, 0)
                if end == len(s):
                    return obj
            except Exception:  # anything else (whitespace, a BOM, garbage): json.loads says what
                pass
        return json.loads(s)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise WireError(f"the worker sent a message that is not valid JSON ({type(e).__name__})") from e


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
