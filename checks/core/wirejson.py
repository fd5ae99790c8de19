"""The JSON form of the worker -> grader wire, and what the binary form shares with it.

:mod:`checks.core.wire` is the wire (it re-exports every name here, and adds the
binary form the sandbox sends: :func:`~checks.core.wire.pack`, ``unpack``,
``message``, ``parse``). This module holds the lower half: :class:`WireError`,
the caps, :class:`Opaque`, the tree of a value (:func:`encode` / :func:`decode`,
strict, with caps on depth, sizes and element counts), and the compact JSON text
of that tree (:func:`dumps` / :func:`loads`).

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
imports only numpy and the standard library: the worker uses it too (it is
one of the files bind-mounted into the sandbox, ``isolation.WORKER_FILES``).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re

import numpy as np

MAX_DEPTH = 32
MAX_STR = 10_000
MAX_INT_DIGITS = 1_000
MAX_ELEMENTS = 20_000_000      # array elements in one message
MAX_ITEMS = 1_000_000          # list/tuple/dict items in one message
_DTYPE_RE = re.compile(r"^[<>|=]?[biufc][0-9]{1,2}$")
_DT: dict = {}  # dtype str -> dtype, a few of the strings _dtype accepted (decoding)
_NAME_RE = re.compile(r"[^A-Za-z0-9_.]")



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
