"""The grading vectors file: reading and writing it (numpy and the standard library only).

A vectors file is a ZIP archive, written deterministically (fixed member
order and dates), with no pickle anywhere in it. Format version 3, members in
this order (per formula in ``order``: its JSON, its pools, its ``seq``):

``manifest.json``
    ``format`` ("formulacheck-vectors"), ``format_version`` (3), the
    ``formulacheck`` version that built it, ``profile``, ``seed`` (or
    ``"hidden"``), ``visibility`` (public / hidden), ``built_with`` (the
    versions of python, numpy, torch, SymPy, Hypothesis), ``order`` (the
    formula ids in file order) and per formula id its example count, number
    of cases, oracle names and function name (``formulas``).
``formulas/<id>.json``
    What the grader needs to judge one formula: ``id``, its contract
    (``fn_name``, ``outputs``, ``tol``, ``points``, ``fresh_outputs``),
    ``examples``, ``compare`` (its judge: a value, or null), ``cases`` (each
    ``{"args": value, "kwargs": value, "size": s, "magnitude": g}``),
    ``oracles`` (each ``name``, ``kind``, ``tol``, ``fn`` (property oracles:
    a value, else null), ``cases`` (indices) and ``expected`` (values: the
    answers, or the reference's results as templates)), ``pools`` (the dtype
    of each array pool), ``groups`` and ``skeletons``. ``groups`` lists the
    formula's arrays by dtype and shape: ``[pool, count, shape]`` each. Pool
    ``k`` holds its groups one after the other in list order, each group its
    ``count`` arrays one after the other, and is exactly that long.
``arrays/<id>/<k>.npy``
    Pool ``k``: every array of dtype ``pools[k]`` of the formula, flat (1-D).
``arrays/<id>/seq.npy``
    int64: the group of each array, in the order the values take them (a
    group's arrays are taken in their order in the pool).

A value is a JSON list ``[s, leaf, ...]``, or the int ``s`` alone when it has
no leaf: the skeleton ``skeletons[s]`` (the shape of the tree, shared by the
values of the same structure) and the leaves it takes, in order. A skeleton
node is ``"nd"`` (the next array), ``"x"`` (the next leaf), a list
(a list), or ``{"$": tag, ...}``: ``tuple`` (``v``: its items), ``dict``
(``v``: ``[key, node]`` pairs, in order), ``sc`` (a numpy scalar of dtype
``d``; ``v``: a 0-d array node), ``gradfn`` (a :mod:`checks.core.gradfns`
object: ``type``, ``v``: ``[field, node]`` pairs) or ``ref`` (a judge-time
function: ``fn`` is ``module:qualname`` under ``checks.judges`` or
``checks.core``, ``kw`` its ``[keyword, node]`` pairs: a ``functools.partial``).
A leaf is ``null``, a boolean, a string, a finite float, an int below 2**53,
or ``{"$": "f", "v": repr}`` (a non-finite float) / ``{"$": "int", "v": str}``
(a big int). The values are taken in the order compare, each case's args and
kwargs, each oracle's fn and expected answers: the arrays in that order.

Decoded arrays are views of their pool, one per array, which no two values
share and nothing else holds: each is private, like a copy of its own. A
version 2 file (one JSON tree per value, ``{"$": "nd", "a": pool, "o":
offset, "s": shape}`` per array, no groups or seq) is still read.

The values' encoding and decoding are :mod:`checks.core.vecvalues`. The file's identity is the
SHA-256 of its bytes (:attr:`Vectors.sha256`):
every result records it. Anything malformed raises :class:`VectorsError`
with what is wrong and how to get a good file.
"""

from __future__ import annotations

import hashlib
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
from checks.core.vecvalues import (  # noqa: F401  (REF_PACKAGES, ref_of, resolve: this module's API too)
    REF_PACKAGES, VectorsError, _arrays, _Decoder, _npy, _Pools, _Reader, _Writer, ref_of, resolve,
)

FORMAT = "formulacheck-vectors"
FORMAT_VERSION = 3
#: the versions this formulacheck reads
READS = (2, 3)
_DATE = (2020, 1, 1, 0, 0, 0)


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
        # the values in the order the reader takes them (their arrays too): compare, cases, oracles
        compare = None
        if f.compare is not None:
            _judge_ref(f.compare, f.id, "compare")
            compare = w.value(f.compare)
        cases = [{"args": w.value(tuple(c.args)), "kwargs": w.value(dict(c.kwargs)), "size": s, "magnitude": g}
                 for c, (s, g) in zip(f.cases, f.sizes)]
        oracles = []
        for o in f.oracles:
            fn = None
            if o.kind == "property":
                _judge_ref(o.fn, f.id, f"oracle:{o.name}")
                fn = w.value(o.fn)
            oracles.append({"name": o.name, "kind": o.kind, "tol": None if o.tol is None else [o.tol.rtol, o.tol.atol],
                            "fn": fn, "cases": o.cases, "expected": [w.value(e) for e in o.expected]})
        dtypes, pools, groups, seq = w.array_members()
        doc = {"id": f.id, "fn_name": f.fn_name, "outputs": list(f.outputs), "tol": [f.tol.rtol, f.tol.atol],
               "points": f.points, "fresh_outputs": f.fresh_outputs, "compare": compare, "examples": f.examples,
               "cases": cases, "oracles": oracles, "pools": dtypes, "groups": groups, "skeletons": w.skeletons}
        members.append((f"formulas/{f.id}.json", json.dumps(doc, sort_keys=True, allow_nan=False).encode()))
        for k, pool in enumerate(pools):
            members.append((f"arrays/{f.id}/{k}.npy", _npy(pool)))
        members.append((f"arrays/{f.id}/seq.npy", _npy(seq)))
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
    if m.get("format_version") not in READS or type(m.get("format_version")) is not int:
        raise VectorsError(f"{path!r} has vectors format version {m.get('format_version')!r}; this formulacheck reads "
                           f"versions {', '.join(map(str, READS))}: rebuild it with `formulacheck vectors build`")
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
        self._version = m["format_version"]
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
            if self._version == 2:
                dec = _Reader(_Pools(z, path, fid, list(d.get("pools", [])))).dec
                many = lambda vals: [dec(v) for v in vals]  # noqa: E731
                pairs = lambda a, k: ([dec(x) for x in a], [dec(x) for x in k])  # noqa: E731  (offsets: any order)
            else:
                r = _Decoder(d["skeletons"], _arrays(z, path, fid, d["pools"], d["groups"]))
                dec, many, pairs = r.one, r.many, r.cases
            compare = dec(d["compare"]) if d["compare"] is not None else None
            args, kwargs = pairs([c["args"] for c in d["cases"]], [c["kwargs"] for c in d["cases"]])
            fv = FormulaVectors(
                id=d["id"], fn_name=d["fn_name"], outputs=tuple(d["outputs"]), tol=_tol(d["tol"]),
                points=float(d["points"]), fresh_outputs=bool(d["fresh_outputs"]), compare=compare,
                examples=int(d["examples"]), cases=[Case(tuple(a), k) for a, k in zip(args, kwargs)],
                sizes=[(float(c["size"]), float(c["magnitude"])) for c in d["cases"]],
            )
            for o in d["oracles"]:
                fv.oracles.append(OracleVectors(
                    name=o["name"], kind=o["kind"], tol=_tol(o["tol"]),
                    fn=dec(o["fn"]) if o["fn"] is not None else None,
                    cases=[int(i) for i in o["cases"]], expected=many(o["expected"])))
            if self._version != 2 and not r.done():
                raise VectorsError(f"{path!r}: arrays/{fid}/seq.npy lists more arrays than the values of {fid} take")
        except VectorsError as e:
            if str(e).startswith(repr(path)):
                raise
            raise VectorsError(f"{path!r} ({fid}): {e}") from None
        except StopIteration:
            raise VectorsError(f"{path!r}: the values of {fid} take more arrays than arrays/{fid}/seq.npy lists") from None
        except RecursionError:
            raise VectorsError(f"{path!r}: malformed vectors file (the values of {fid} nest too deeply)") from None
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, zipfile.BadZipFile, zlib.error, EOFError) as e:
            raise VectorsError(f"{path!r}: malformed vectors file ({type(e).__name__}: {e}); rebuild it with "
                               f"`formulacheck vectors build`") from None
        if self.fn_names is not None and fv.fn_name != self.fn_names[fid]:
            raise VectorsError(f"{path!r}: malformed vectors file (the manifest names the function of {fid} "
                               f"{self.fn_names[fid]!r}, its formula file {fv.fn_name!r})")
        return fv


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
