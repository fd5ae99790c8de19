"""The values of a grading vectors file: encoding and decoding them (numpy and the standard library only).

:mod:`checks.core.vecfile` describes the format and reads and writes the file; this module holds
what it stores per formula: :class:`_Writer` (format 3: skeletons, leaves, arrays by group) and
the readers, format 3 (:func:`_decoder` over :func:`_arrays`, each skeleton compiled once) and
format 2 (:class:`_Reader` over :class:`_Pools`), the strict ``.npy`` loading (:func:`_npy_load`),
and the references to judge-time functions (:func:`ref_of`, :func:`resolve`). Anything malformed
raises :class:`VectorsError`.
"""

from __future__ import annotations

import functools
import importlib
import io
import json
import itertools
import math
import operator
import re
import zipfile
from typing import Any, Sequence

import numpy as np

from checks.core import gradfns

#: judge-time code may only be referenced from these packages (numpy/scipy only)
REF_PACKAGES = ("checks.judges.", "checks.core.")
_NPY_DTYPES = set("biufc")


class VectorsError(ValueError):
    """A vectors file that cannot be read or written (a clear, one-line message)."""


# --------------------------------------------------------------------------
# references to judge-time functions
# --------------------------------------------------------------------------

def ref_of(fn) -> dict:
    """The JSON reference of a judge-time function (a module-level function or a partial of one)."""
    if isinstance(fn, functools.partial):
        if fn.args:
            raise VectorsError(f"a judge partial must bind keywords only, got positional {fn.args!r} for {fn.func!r}")
        return {"$": "ref", "fn": _name_of(fn.func), "kw": {k: v for k, v in fn.keywords.items()}}
    return {"$": "ref", "fn": _name_of(fn), "kw": {}}


def _name_of(fn) -> str:
    mod, qual = getattr(fn, "__module__", None), getattr(fn, "__qualname__", None)
    if not mod or not qual or "<" in qual:
        raise VectorsError(f"{fn!r} cannot be stored in a vectors file: judge-time functions must be module-level "
                           f"functions (or functools.partial of one) in checks/judges/, not closures or lambdas")
    if not mod.startswith(REF_PACKAGES):
        raise VectorsError(f"{mod}:{qual} cannot be stored in a vectors file: judge-time code must live in "
                           f"checks/judges/ (numpy/scipy only), so that grading imports no torch, SymPy or Hypothesis")
    return f"{mod}:{qual}"


def _resolve_entry(t: dict):
    """A judge stored by registry entry, as files built before every judge lived in checks/judges/ did."""
    raise VectorsError(f"the vectors file stores the judge of {t.get('formula')!r} by registry entry, as older "
                       f"formulacheck versions did; rebuild it with this version (formulacheck vectors build)")


def resolve(name: str):
    mod, _, qual = name.partition(":")
    if not mod.startswith(REF_PACKAGES) or not qual:
        raise VectorsError(f"the vectors file names {name!r}: only functions of {', '.join(REF_PACKAGES)} may be referenced")
    try:
        obj = importlib.import_module(mod)
        for part in qual.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as e:
        raise VectorsError(f"the vectors file names {name!r}, which this formulacheck does not have ({e}); "
                           f"rebuild the file with this version (formulacheck vectors build)") from None
    return obj


# --------------------------------------------------------------------------
# values
# --------------------------------------------------------------------------

class _Writer:
    """Encodes one formula's values: skeletons shared by the values of one structure, their leaves, and
    the arrays by group of one dtype and shape (``groups``, ``seq``, one flat pool per dtype)."""

    def __init__(self):
        self.skeletons: list = []
        self._skeleton_ids: dict[str, int] = {}
        self.groups: dict[tuple[str, tuple], int] = {}   # (dtype, shape) -> group, first seen first
        self.members: list[list[np.ndarray]] = []        # per group its arrays, flat
        self.seq: list[int] = []                         # the group of each array, in value order

    def value(self, v: Any) -> list | int:
        leaves: list = []
        node = self._node(v, leaves)
        key = json.dumps(node, sort_keys=True)
        s = self._skeleton_ids.get(key)
        if s is None:
            s = self._skeleton_ids[key] = len(self.skeletons)
            self.skeletons.append(node)
        return [s, *leaves] if leaves else s

    def _pairs(self, items, leaves: list) -> list:
        return [[k, self._node(x, leaves)] for k, x in items]

    def _node(self, v: Any, leaves: list) -> Any:
        if v is None or isinstance(v, (bool, str)):
            leaves.append(v)
            return "x"
        if isinstance(v, np.ndarray):
            if v.dtype.kind not in _NPY_DTYPES:
                raise VectorsError(f"cannot store an array of dtype {v.dtype} (only bool, int, uint, float, complex)")
            g = self.groups.setdefault((v.dtype.str, v.shape), len(self.groups))
            if g == len(self.members):
                self.members.append([])
            self.members[g].append(np.ascontiguousarray(v).reshape(-1))
            self.seq.append(g)
            return "nd"
        if isinstance(v, np.generic):
            return {"$": "sc", "d": v.dtype.str, "v": self._node(np.asarray(v), leaves)}
        if isinstance(v, int):
            leaves.append(v if abs(v) < 2 ** 53 else {"$": "int", "v": str(v)})
            return "x"
        if isinstance(v, float):
            leaves.append(v if math.isfinite(v) else {"$": "f", "v": repr(v)})
            return "x"
        if isinstance(v, tuple):
            return {"$": "tuple", "v": [self._node(x, leaves) for x in v]}
        if isinstance(v, list):
            return [self._node(x, leaves) for x in v]
        if isinstance(v, dict):
            if not all(isinstance(k, str) for k in v):
                raise VectorsError(f"cannot store a dict with non-str keys: {list(v)[:5]!r}")
            return {"$": "dict", "v": self._pairs(v.items(), leaves)}
        if isinstance(v, gradfns._GradFn):
            return {"$": "gradfn", "type": type(v).__name__,
                    "v": self._pairs(((k, getattr(v, k)) for k in v._fields), leaves)}
        if callable(v):
            r = ref_of(v)
            return {"$": "ref", "fn": r["fn"], "kw": self._pairs(sorted(r["kw"].items()), leaves)}
        raise VectorsError(f"cannot store a value of type {type(v).__name__} in a vectors file")

    def array_members(self) -> tuple[list[str], list[np.ndarray], list, np.ndarray]:
        """(the pools' dtypes, the pools, the groups, seq)."""
        dtypes: dict[str, int] = {}
        for dt, _ in self.groups:
            dtypes.setdefault(dt, len(dtypes))
        parts: list[list[np.ndarray]] = [[] for _ in dtypes]
        groups = []
        for (dt, shape), members in zip(self.groups, self.members):
            parts[dtypes[dt]] += members
            groups.append([dtypes[dt], len(members), list(shape)])
        pools = [np.concatenate(p).astype(np.dtype(dt), copy=False) for p, dt in zip(parts, dtypes)]
        return list(dtypes), pools, groups, np.array(self.seq, dtype="<i8")


# --------------------------------------------------------------------------
# reading values (format 3): skeletons compiled once into decoders
# --------------------------------------------------------------------------

_PLAIN = frozenset((type(None), bool, str, int, float))


def _leaf(x: Any) -> Any:
    if type(x) in _PLAIN:
        return x
    if type(x) is dict:
        tag = x.get("$")
        if tag == "f":
            return float(x["v"])
        if tag == "int":
            return int(x["v"])
    raise VectorsError(f"malformed leaf in the vectors file: {str(x)[:80]}")


def _take_array(a, lv):
    return a()


def _take_leaf(a, lv):
    return lv()


def _compile(node: Any) -> tuple[Any, int, int]:
    """A skeleton node as (decoder(next_array, next_leaf), arrays it takes, leaves it takes)."""
    if node == "nd":
        return _take_array, 1, 0
    if node == "x":
        return _take_leaf, 0, 1
    tag = node.get("$") if type(node) is dict else None
    if type(node) is list or tag == "tuple":
        items = node if type(node) is list else node["v"]
        make = list if type(node) is list else tuple
        if type(items) is list and all(x == "nd" or x == "x" for x in items):  # flat: the most frequent by far
            kinds = [x == "nd" for x in items]
            na = sum(kinds)
            if na == len(kinds):
                rng = range(na)
                return (lambda a, lv: make([a() for _ in rng])), na, 0
            return (lambda a, lv: make([a() if k else lv() for k in kinds])), na, len(kinds) - na
        fs, na, nl = _compile_all(items)
        return (lambda a, lv: make([f(a, lv) for f in fs])), na, nl
    if tag in ("dict", "gradfn", "ref"):
        pairs = node["v"] if tag != "ref" else node["kw"]
        if type(pairs) is not list or not all(type(p) is list and len(p) == 2 and type(p[0]) is str for p in pairs):
            raise VectorsError(f"malformed {tag} in the vectors file: {str(node)[:80]}")
        fs, na, nl = _compile_all([p[1] for p in pairs])
        kfs = list(zip([p[0] for p in pairs], fs))
        if tag == "dict":
            if not kfs:
                return (lambda a, lv: {}), 0, 0
            return (lambda a, lv: {k: f(a, lv) for k, f in kfs}), na, nl
        if tag == "gradfn":
            cls = gradfns.GRAD_FNS.get(node["type"])
            if cls is None:
                raise VectorsError(f"unknown grad_fn type {node['type']!r} in the vectors file")
            return (lambda a, lv: cls(**{k: f(a, lv) for k, f in kfs})), na, nl
        fn = resolve(node["fn"])
        if not kfs:
            return (lambda a, lv: fn), 0, 0
        return (lambda a, lv: functools.partial(fn, **{k: f(a, lv) for k, f in kfs})), na, nl
    if tag == "sc":
        dt = np.dtype(node["d"])
        if dt.kind not in _NPY_DTYPES or node["v"] != "nd":
            raise VectorsError(f"malformed numpy scalar in the vectors file: {str(node)[:80]}")
        return (lambda a, lv: np.asarray(a(), dtype=dt)[()]), 1, 0
    if tag is None:
        raise VectorsError(f"malformed skeleton in the vectors file: {str(node)[:80]}")
    raise VectorsError(f"unknown tag {tag!r} in the vectors file")


def _compile_all(nodes: list) -> tuple[list, int, int]:
    if type(nodes) is not list:
        raise VectorsError(f"malformed skeleton in the vectors file: {str(nodes)[:80]}")
    out = [_compile(n) for n in nodes]
    return [f for f, _, _ in out], sum(n for _, n, _ in out), sum(n for _, _, n in out)


class _Decoder:
    """One formula's values (format 3), decoded in order: each takes its arrays from ``arrays`` in turn.

    ``one(value)``; ``many(values)`` (a list of values: at once when they are all one leafless
    skeleton of arrays only, e.g. every expected answer a single array); ``cases(args, kwargs)``
    (the cases' args and kwargs, which interleave); ``done()``: whether every array was taken,
    exactly (a value that found too few raises)."""

    def __init__(self, skeletons: Any, arrays: Sequence):
        if type(skeletons) is not list:
            raise VectorsError("malformed vectors file (its skeletons are not a list)")
        self.table = [_compile(s) for s in skeletons]
        self.bulk = [self._bulk(s, fn, na, nl) for s, (fn, na, nl) in zip(skeletons, self.table)]
        self.n = len(self.table)
        self.it = iter(arrays)
        self.one = self._one()

    def _bulk(self, node, fn, na: int, nl: int):
        """``m -> m values`` of a leafless skeleton decoded at once (C loops), or None. Where the arrays
        end, islice and zip stop short, silently: :meth:`many` checks the count."""
        if nl:
            return None
        if node == "nd":
            return lambda m: list(itertools.islice(self.it, m))
        if type(node) is dict and node.get("$") == "tuple" and node["v"] and all(x == "nd" for x in node["v"]):
            k = len(node["v"])
            return lambda m: list(itertools.islice(zip(*[self.it] * k), m))
        if not na:  # no array: a fresh value each (e.g. {})
            return lambda m: [fn(None, None) for _ in range(m)]
        return None

    def _one(self):
        table, n, plain = self.table, self.n, _PLAIN.issuperset
        take = self.it.__next__

        def one(v: Any) -> Any:
            if type(v) is int and 0 <= v < n:  # a value without leaves: its skeleton's index
                fn, _, nl = table[v]
                if not nl:
                    return fn(take, None)
                raise VectorsError(f"malformed value in the vectors file (skeleton {v} takes {nl} leaves, the value has 0)")
            if type(v) is not list or len(v) < 2 or type(v[0]) is not int or not 0 <= v[0] < n:
                raise VectorsError(f"malformed value in the vectors file: {str(v)[:80]}")
            fn, _, nl = table[v[0]]
            if len(v) != nl + 1:
                raise VectorsError(f"malformed value in the vectors file (skeleton {v[0]} takes {nl} leaves, "
                                   f"the value has {len(v) - 1})")
            leaves = v[1:]
            if not plain(map(type, leaves)):
                leaves = [_leaf(x) for x in leaves]
            return fn(take, iter(leaves).__next__)

        return one

    def _same(self, vals: Any) -> int | None:
        """The skeleton of ``vals`` when they are all the same leafless one, else None."""
        if type(vals) is list and vals and type(vals[0]) is int and 0 <= vals[0] < self.n \
                and vals.count(vals[0]) == len(vals) and all(type(x) is int for x in vals):
            return vals[0]
        return None

    def many(self, vals: Any) -> list:
        s = self._same(vals)
        if s is None or self.bulk[s] is None:
            return [self.one(v) for v in vals]
        out = self.bulk[s](len(vals))
        if len(out) != len(vals):
            raise StopIteration  # the values take more arrays than there are
        return out

    def cases(self, args: list, kwargs: list) -> tuple[list, list]:
        k = self._same(kwargs)
        if k is not None and not self.table[k][1]:  # the kwargs take no array: the args' are consecutive
            return self.many(args), self.many(kwargs)
        one = self.one
        pairs = [(one(a), one(kw)) for a, kw in zip(args, kwargs)]
        return [a for a, _ in pairs], [kw for _, kw in pairs]

    def done(self) -> bool:
        return next(self.it, None) is None


#: the header numpy writes (format 1.0): parsed here, numpy's parser (ast.literal_eval) is for the rest
_NPY_HEADER = re.compile(rb"\{'descr': '([<>|=]?[a-zA-Z]\d*)', 'fortran_order': (False|True), "
                         rb"'shape': \((|\d+,|\d+(?:, \d+)+)\), \} *\n\Z")


def _npy_header(raw: bytes) -> tuple[tuple, bool, np.dtype, int]:
    """(shape, fortran, dtype, data offset) of a .npy file's bytes."""
    if raw[:8] == b"\x93NUMPY\x01\x00" and len(raw) >= 10:
        end = 10 + int.from_bytes(raw[8:10], "little")
        mt = _NPY_HEADER.match(raw[10:end])
        if mt is not None:
            shape = tuple(int(d) for d in mt[3].replace(b",", b" ").split())
            return shape, mt[2] == b"True", np.dtype(mt[1].decode()), end
    f = io.BytesIO(raw)
    version = np.lib.format.read_magic(f)
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran, dt = read_header(f)
    return shape, fortran, dt, f.tell()


def _npy_load(z: zipfile.ZipFile, path: str, member: str, dtype: str, ndim: int) -> np.ndarray:
    """A member ``.npy`` of exactly ``dtype`` and ``ndim``: its data checked against its header before any
    allocation, then copied into a private, writable, aligned array."""
    try:
        raw = z.read(member)
    except KeyError:
        raise VectorsError(f"{path!r}: the vectors file has no {member}; rebuild it with "
                           f"`formulacheck vectors build`") from None
    try:
        shape, fortran, dt, start = _npy_header(raw)
    except (ValueError, TypeError, SyntaxError, EOFError) as e:
        raise VectorsError(f"{path!r}: {member} is not a readable .npy ({str(e).splitlines()[0][:120]})") from None
    if dt.str != dtype or len(shape) != ndim or (fortran and ndim > 1):
        raise VectorsError(f"{path!r}: {member} is a {'fortran ' if fortran else ''}{dt.str} array of shape "
                           f"{shape}, not the {ndim}-d {dtype} array it should be")
    n = math.prod(shape)
    if n * dt.itemsize != len(raw) - start:
        raise VectorsError(f"{path!r}: {member} holds {len(raw) - start} bytes of data, not the "
                           f"{n * dt.itemsize} its header says (shape {shape})")
    return np.frombuffer(raw, dtype=dt, count=n, offset=start).reshape(shape).copy()


def _arrays(z: zipfile.ZipFile, path: str, fid: str, dtypes: Any, groups: Any) -> Sequence[np.ndarray]:
    """Every array of a formula (format 3), in value order: views of its pools, no two sharing a byte."""
    where = f"{path!r}: the arrays of {fid}"
    if type(dtypes) is not list or not all(type(d) is str for d in dtypes):
        raise VectorsError(f"{where}: malformed pools (not a list of dtypes)")
    for dt in dtypes:
        if np.dtype(dt).kind not in _NPY_DTYPES or np.dtype(dt).str != dt:
            raise VectorsError(f"{where}: a pool of dtype {dt!r} (only bool, int, uint, float, complex)")
    pools = [_npy_load(z, path, f"arrays/{fid}/{k}.npy", dt, 1) for k, dt in enumerate(dtypes)]
    seq = _npy_load(z, path, f"arrays/{fid}/seq.npy", "<i8", 1)
    if type(groups) is not list:
        raise VectorsError(f"{where}: malformed groups (not a list)")
    flat: list[np.ndarray] = []
    counts = []
    pos = [0] * len(pools)
    for g in groups:
        if (type(g) is not list or len(g) != 3 or type(g[0]) is not int or type(g[1]) is not int
                or type(g[2]) is not list or not all(type(d) is int and d >= 0 for d in g[2])):
            raise VectorsError(f"{where}: malformed group {str(g)[:80]} (not [pool, count, shape])")
        p, c, shape = g[0], g[1], tuple(g[2])
        if not 0 <= p < len(pools) or c < 0 or len(shape) > 32:
            raise VectorsError(f"{where}: the group {str(g)[:80]} has no such pool, a negative count or too many dims")
        n = c * math.prod(shape)
        if pos[p] + n > pools[p].size:
            raise VectorsError(f"{where}: the group {str(g)[:80]} reaches past the end of pool {p} ({pools[p].size})")
        block = pools[p][pos[p]:pos[p] + n].reshape((c, *shape))
        pos[p] += n
        flat.extend(block if shape else [block[i, ...] for i in range(c)])
        counts.append(c)
    if pos != [p.size for p in pools]:
        raise VectorsError(f"{where}: the pools hold {[p.size for p in pools]} items, the groups {pos}")
    if seq.size and (seq.min() < 0 or seq.max() >= len(counts)):
        raise VectorsError(f"{where}: seq.npy names a group the formula does not have ({len(counts)} groups)")
    if np.bincount(seq, minlength=len(counts)).tolist() != counts:
        raise VectorsError(f"{where}: seq.npy does not take each group's arrays exactly once")
    if len(flat) < 2:
        return flat
    inv = np.empty(len(seq), dtype=np.int64)
    inv[np.argsort(seq, kind="stable")] = np.arange(len(seq))
    return operator.itemgetter(*inv.tolist())(flat)  # a tuple


# --------------------------------------------------------------------------
# reading values (format 2)
# --------------------------------------------------------------------------

class _Reader:
    """Decodes a format-2 value tree (each array a copy of a slice of its pool)."""

    def __init__(self, pools):
        self.arrays = pools  # pool index -> flat array (loaded on first use)

    def dec(self, t: Any) -> Any:
        tt = type(t)
        if tt is dict:
            tag = t.get("$")
            if tag == "nd":  # the most frequent value by far: first
                shape = tuple([int(d) for d in t["s"]])
                n = 1
                for d in shape:
                    n *= d
                o = int(t["o"])
                flat = self.arrays[int(t["a"])]
                if o < 0 or n < 0 or o + n > flat.size:
                    raise VectorsError("an array reaches past the end of its pool")
                return flat[o:o + n].reshape(shape).copy()  # its own memory: never a view of the pool
            if tag == "tuple":
                return tuple([self.dec(x) for x in t["v"]])
            if tag == "dict":
                return {k: self.dec(x) for k, x in t["v"]}
            if tag == "f":
                return float(t["v"])
            if tag == "int":
                return int(t["v"])
            if tag == "sc":
                return np.asarray(self.dec(t["v"]), dtype=np.dtype(t["d"]))[()]
            if tag == "gradfn":
                cls = gradfns.GRAD_FNS.get(t["type"])
                if cls is None:
                    raise VectorsError(f"unknown grad_fn type {t['type']!r} in the vectors file")
                return cls(**{k: self.dec(x) for k, x in t["v"].items()})
            if tag == "entry":
                return _resolve_entry(t)
            if tag == "ref":
                fn = resolve(t["fn"])
                kw = {k: self.dec(x) for k, x in t["kw"].items()}
                return functools.partial(fn, **kw) if kw else fn
            if tag is None:
                raise VectorsError(f"malformed value in the vectors file: {str(t)[:80]}")
            raise VectorsError(f"unknown tag {tag!r} in the vectors file")
        if tt is list:
            return [self.dec(x) for x in t]
        if t is None or tt is bool or tt is str or tt is int or tt is float:
            return t
        raise VectorsError(f"malformed value in the vectors file: {str(t)[:80]}")


def _npy(a: np.ndarray) -> bytes:
    b = io.BytesIO()
    np.save(b, a, allow_pickle=False)
    return b.getvalue()

class _Pools(dict):
    """A format-2 formula's flat array pools, each loaded on first use."""

    def __init__(self, z: zipfile.ZipFile, path: str, fid: str, dtypes: list):
        super().__init__()
        self.z, self.path, self.fid, self.dtypes = z, path, fid, dtypes

    def __missing__(self, k):
        dt = self.dtypes[int(k)]
        if type(dt) is not str or np.dtype(dt).kind not in _NPY_DTYPES:
            raise VectorsError(f"{self.path!r}: the pools of {self.fid} name the dtype {dt!r}")
        self[k] = a = _npy_load(self.z, self.path, f"arrays/{self.fid}/{int(k)}.npy", dt, 1)
        return a
