"""The grading vectors file: reading and writing it (numpy and the standard library only).

A vectors file is a ZIP archive, written deterministically (fixed member
order and dates), with no pickle anywhere in it:

``manifest.json``
    ``format`` ("formulacheck-vectors"), ``format_version``, the
    ``formulacheck`` version that built it, ``profile``, ``seed`` (or
    ``"hidden"``), ``visibility`` (public / hidden), ``built_with`` (the
    versions of python, numpy, torch, SymPy, Hypothesis), and per formula id
    its example count, number of cases and oracles (``formulas``).
``formulas/<id>.json``
    What the grader needs to judge one formula: its contract (function name,
    output names, tolerance, points, whether results must be fresh arrays),
    its judge (a custom comparison, by reference), its cases (inputs, each
    with its size and magnitude) and per oracle the expected answers
    (value oracles) or the reference's result as the template of the types
    and the property to check (property oracles, by reference).
``arrays/<id>/<k>.npy``
    Every array of a formula, in one flat pool per dtype (``pools`` in its
    JSON lists the dtypes): a value ``{"$": "nd", "a": k, "o": offset, "s":
    shape}`` is a slice of pool ``k``. Plain ``.npy`` files
    (``np.load(..., allow_pickle=False)``); one member per pool, not per
    array, so a file of thousands of cases reads in a fraction of a second.

Values are JSON trees: ``null``, booleans, strings, finite floats and ints as
themselves, and ``{"$": tag, ...}`` for the rest: ``nd`` (a slice of an array pool),
``f`` (a non-finite float), ``int`` (a big int), ``tuple``, ``dict`` (keys
in order), ``sc`` (a numpy scalar), ``gradfn`` (a :mod:`checks.core.gradfns`
object), ``ref`` (a judge-time function: ``module:qualname`` under
``checks.judges`` or ``checks.core``, with keyword arguments: a
``functools.partial``).

The file's identity is the SHA-256 of its bytes (:attr:`Vectors.sha256`):
every result records it. Anything malformed raises :class:`VectorsError`
with what is wrong and how to get a good file.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import io
import json
import math
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from checks.core import gradfns
from checks.core.case import Case
from checks.core.compare import Tol

FORMAT = "formulacheck-vectors"
FORMAT_VERSION = 2
#: judge-time code may only be referenced from these packages (numpy/scipy only)
REF_PACKAGES = ("checks.judges.", "checks.core.")
_DATE = (2020, 1, 1, 0, 0, 0)
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
    """Encodes one formula's values; its arrays go into one flat pool per dtype (one .npy each)."""

    def __init__(self):
        self.pools: list[list[np.ndarray]] = []
        self.sizes: list[int] = []
        self.kinds: dict[str, int] = {}

    def enc(self, v: Any) -> Any:
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, np.ndarray):
            if v.dtype.kind not in _NPY_DTYPES:
                raise VectorsError(f"cannot store an array of dtype {v.dtype} (only bool, int, uint, float, complex)")
            k = self.kinds.setdefault(v.dtype.str, len(self.kinds))
            if k == len(self.pools):
                self.pools.append([])
                self.sizes.append(0)
            off = self.sizes[k]
            self.pools[k].append(np.ascontiguousarray(v).reshape(-1))
            self.sizes[k] += v.size
            return {"$": "nd", "a": k, "o": off, "s": list(v.shape)}
        if isinstance(v, np.generic):
            return {"$": "sc", "d": v.dtype.str, "v": self.enc(np.asarray(v))}
        if isinstance(v, int):
            return v if abs(v) < 2 ** 53 else {"$": "int", "v": str(v)}
        if isinstance(v, float):
            return v if math.isfinite(v) else {"$": "f", "v": repr(v)}
        if isinstance(v, tuple):
            return {"$": "tuple", "v": [self.enc(x) for x in v]}
        if isinstance(v, list):
            return [self.enc(x) for x in v]
        if isinstance(v, dict):
            if not all(isinstance(k, str) for k in v):
                raise VectorsError(f"cannot store a dict with non-str keys: {list(v)[:5]!r}")
            return {"$": "dict", "v": [[k, self.enc(x)] for k, x in v.items()]}
        if isinstance(v, gradfns._GradFn):
            return {"$": "gradfn", "type": type(v).__name__, "v": {k: self.enc(getattr(v, k)) for k in v._fields}}
        if callable(v):
            r = ref_of(v)
            r["kw"] = {k: self.enc(x) for k, x in r["kw"].items()}
            return r
        raise VectorsError(f"cannot store a value of type {type(v).__name__} in a vectors file")


class _Reader:
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


# --------------------------------------------------------------------------
# the file's content, in memory
# --------------------------------------------------------------------------

@dataclass
class OracleVectors:
    name: str
    kind: str                    # "value" | "property"
    tol: Tol | None
    fn: Any = None               # property oracles: fn(case, result) (resolved reference)
    cases: list[int] = field(default_factory=list)      # indices into FormulaVectors.cases
    expected: list[Any] = field(default_factory=list)   # the answers (value) / templates (property)


@dataclass
class FormulaVectors:
    """One formula's grading data; quacks like a registry ``Formula`` for :mod:`checks.core.judge`."""

    id: str
    fn_name: str
    outputs: tuple[str, ...]
    tol: Tol
    points: float
    fresh_outputs: bool = False
    compare: Any = None
    examples: int = 0
    cases: list[Case] = field(default_factory=list)
    sizes: list[tuple[float, float]] = field(default_factory=list)   # (size, magnitude) of each case
    oracles: list[OracleVectors] = field(default_factory=list)


@dataclass
class Vectors:
    manifest: dict
    formulas: dict[str, FormulaVectors]
    sha256: str = ""
    path: str = ""

    @property
    def ids(self) -> list[str]:
        return list(self.formulas)


def _tol(t) -> Tol | None:
    return None if t is None else Tol(rtol=float(t[0]), atol=float(t[1]))


def write(path: str, manifest: dict, formulas: list[FormulaVectors]) -> str:
    """Write a vectors file (deterministic bytes for the same content); return its SHA-256."""
    members: list[tuple[str, bytes]] = []
    m = dict(manifest)
    m.update(format=FORMAT, format_version=FORMAT_VERSION)
    m["formulas"] = {}
    m["order"] = [f.id for f in formulas]
    for f in formulas:
        w = _Writer()
        doc = {
            "id": f.id, "fn_name": f.fn_name, "outputs": list(f.outputs), "tol": [f.tol.rtol, f.tol.atol],
            "points": f.points, "fresh_outputs": f.fresh_outputs,
            "compare": _judge_ref(f.compare, f.id, "compare") if f.compare is not None else None,
            "examples": f.examples,
            "cases": [{"args": w.enc(tuple(c.args)), "kwargs": w.enc(dict(c.kwargs)), "size": s, "magnitude": g}
                      for c, (s, g) in zip(f.cases, f.sizes)],
            "oracles": [{"name": o.name, "kind": o.kind, "tol": None if o.tol is None else [o.tol.rtol, o.tol.atol],
                         "fn": _judge_ref(o.fn, f.id, f"oracle:{o.name}") if o.kind == "property" else None,
                         "cases": o.cases, "expected": [w.enc(e) for e in o.expected]} for o in f.oracles],
        }
        if doc["compare"] is not None and "kw" in doc["compare"]:
            doc["compare"]["kw"] = {k: w.enc(x) for k, x in doc["compare"]["kw"].items()}
        for o, od in zip(f.oracles, doc["oracles"]):
            if od["fn"] is not None and "kw" in od["fn"]:
                od["fn"]["kw"] = {k: w.enc(x) for k, x in od["fn"]["kw"].items()}
        doc["pools"] = [dt for dt, _ in sorted(w.kinds.items(), key=lambda kv: kv[1])]
        members.append((f"formulas/{f.id}.json", json.dumps(doc, sort_keys=True, allow_nan=False).encode()))
        for k, dt in enumerate(doc["pools"]):
            pool = np.concatenate(w.pools[k]) if w.pools[k] else np.zeros(0, dtype=np.dtype(dt))
            members.append((f"arrays/{f.id}/{k}.npy", _npy(pool.astype(np.dtype(dt), copy=False))))
        m["formulas"][f.id] = {"examples": f.examples, "cases": len(f.cases), "oracles": [o.name for o in f.oracles],
                               "fn_name": f.fn_name}
    members.insert(0, ("manifest.json", json.dumps(m, sort_keys=True, indent=1, allow_nan=False).encode()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    data = buf.getvalue()
    with open(path, "wb") as fh:
        fh.write(data)
    return hashlib.sha256(data).hexdigest()


def _judge_ref(fn, formula_id: str, what: str) -> dict:
    try:
        return ref_of(fn)
    except VectorsError as e:
        raise VectorsError(f"{formula_id} ({what}): {e}") from None


def read_manifest(path: str) -> tuple[dict, str]:
    """The manifest and the SHA-256 of a vectors file, without decoding its cases."""
    data = _read_bytes(path)
    with _open_zip(data, path) as z:
        return _manifest(z, path), hashlib.sha256(data).hexdigest()


def file_sha256(path: str) -> str:
    """The SHA-256 of a file (a vectors file's identity, as every result records it), read in 1 MB chunks.

    Raises OSError when it cannot be read.
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as e:
        raise VectorsError(f"cannot read the vectors file {path!r}: {e.strerror or e}") from None


def _open_zip(data: bytes, path: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise VectorsError(f"{path!r} is not a vectors file (not a zip archive); build one with "
                           f"`formulacheck vectors build --out FILE`") from None


def _manifest(z: zipfile.ZipFile, path: str) -> dict:
    try:
        m = json.loads(z.read("manifest.json"))
    except (KeyError, ValueError) as e:
        raise VectorsError(f"{path!r} is not a vectors file (no readable manifest.json: {e})") from None
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        raise VectorsError(f"{path!r} is not a formulacheck vectors file (format {m.get('format') if isinstance(m, dict) else None!r})")
    if m.get("format_version") != FORMAT_VERSION:
        raise VectorsError(f"{path!r} has vectors format version {m.get('format_version')!r}; this formulacheck reads "
                           f"version {FORMAT_VERSION}: rebuild it with `formulacheck vectors build`")
    return m


class Stream:
    """A vectors file opened for reading its formulas one at a time, in the file's order.

    The manifest, the SHA-256 and the formula ids (``ids``: those asked for, in the file's order) are
    known at once; iterating decodes and yields each formula's :class:`FormulaVectors` (once). The
    grader starts grading the first formula while the rest are decoded. ``fn_names`` maps every id
    to its function name when the manifest has them (files built since formulacheck records them
    there), else it is None. Anything malformed raises :class:`VectorsError`, at open or on the
    formula that is.
    """

    def __init__(self, path: str, ids: list[str] | None = None):
        data = _read_bytes(path)
        self.path = path
        self.sha256 = hashlib.sha256(data).hexdigest()
        self._z = _open_zip(data, path)
        self.manifest = m = _manifest(self._z, path)
        order = m.get("order")
        entries = m.get("formulas")
        if not isinstance(order, list) or not isinstance(entries, dict) or set(order) != set(entries):
            raise VectorsError(f"{path!r}: malformed manifest (order and formulas disagree)")
        self.ids = [fid for fid in order if ids is None or fid in ids]
        names = {fid: entries[fid].get("fn_name") if isinstance(entries[fid], dict) else None for fid in self.ids}
        self.fn_names = names if all(isinstance(n, str) and n for n in names.values()) else None
        self._used = False

    def __iter__(self):
        if self._used:
            raise RuntimeError("a vectors Stream is read once")
        self._used = True
        try:
            for fid in self.ids:
                yield self._formula(fid)
        finally:
            self._z.close()

    def _formula(self, fid: str) -> FormulaVectors:
        path, z = self.path, self._z
        try:
            member = f"formulas/{fid}.json"
            try:
                raw = z.read(member)
            except KeyError:
                raise VectorsError(f"{path!r}: the manifest lists {fid} but the file has no {member}") from None
            d = json.loads(raw)
            r = _Reader(_Pools(z, path, fid, list(d.get("pools", []))))
            fv = FormulaVectors(
                id=d["id"], fn_name=d["fn_name"], outputs=tuple(d["outputs"]), tol=_tol(d["tol"]),
                points=float(d["points"]), fresh_outputs=bool(d["fresh_outputs"]),
                compare=r.dec(d["compare"]) if d["compare"] is not None else None, examples=int(d["examples"]),
                cases=[Case(tuple(r.dec(c["args"])), r.dec(c["kwargs"])) for c in d["cases"]],
                sizes=[(float(c["size"]), float(c["magnitude"])) for c in d["cases"]],
            )
            for o in d["oracles"]:
                fv.oracles.append(OracleVectors(
                    name=o["name"], kind=o["kind"], tol=_tol(o["tol"]),
                    fn=r.dec(o["fn"]) if o["fn"] is not None else None,
                    cases=[int(i) for i in o["cases"]], expected=[r.dec(e) for e in o["expected"]]))
        except VectorsError:
            raise
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, zipfile.BadZipFile, zlib.error, EOFError) as e:
            raise VectorsError(f"{path!r}: malformed vectors file ({type(e).__name__}: {e}); rebuild it with "
                               f"`formulacheck vectors build`") from None
        if self.fn_names is not None and fv.fn_name != self.fn_names[fid]:
            raise VectorsError(f"{path!r}: malformed vectors file (the manifest names the function of {fid} "
                               f"{self.fn_names[fid]!r}, its formula file {fv.fn_name!r})")
        return fv


class _Pools(dict):
    """A formula's flat array pools, each loaded on first use."""

    def __init__(self, z: zipfile.ZipFile, path: str, fid: str, dtypes: list):
        super().__init__()
        self.z, self.path, self.fid, self.dtypes = z, path, fid, dtypes

    def __missing__(self, k):
        member = f"arrays/{self.fid}/{int(k)}.npy"
        try:
            a = np.load(io.BytesIO(self.z.read(member)), allow_pickle=False)
        except (KeyError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as e:
            raise VectorsError(f"{self.path!r}: {member} is missing or unreadable ({e})") from None
        if a.ndim != 1 or a.dtype.str != self.dtypes[int(k)]:
            raise VectorsError(f"{self.path!r}: {member} is not the flat {self.dtypes[int(k)]} pool it should be")
        self[k] = a
        return a


def read(path: str, ids: list[str] | None = None) -> Vectors:
    """Read a vectors file (only the formulas ``ids`` if given)."""
    s = Stream(path, ids)
    return Vectors(s.manifest, {fv.id: fv for fv in s}, s.sha256, path)


def size_of(case: Case) -> tuple[float, float]:
    """(size, magnitude) of an input: the number of scalars in it, its largest finite |value|."""
    n, mag = 0, 0.0
    stack = [case.args, case.kwargs]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            stack.extend(x.values())
        elif isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, np.ndarray):
            n += x.size
            if x.size and x.dtype.kind in "iuf":
                fin = np.abs(x[np.isfinite(x)]) if x.dtype.kind == "f" else np.abs(x)
                if fin.size:
                    mag = max(mag, float(fin.max()))
        elif isinstance(x, gradfns._GradFn):
            stack.extend(getattr(x, k) for k in x._fields)
        elif isinstance(x, (int, float)) and not isinstance(x, bool):
            n += 1
            if math.isfinite(x):
                mag = max(mag, abs(float(x)))
    return float(n), mag
