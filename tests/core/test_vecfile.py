"""The vectors file's format 3 (checks.core.vecfile): the same values as format 2, private arrays, strictness.

- a value of every kind (arrays of each dtype kind, 0-d and empty, numpy scalars, big ints,
  non-finite floats, tuples, lists, dicts, grad_fn objects, judges with keywords) comes back
  bit for bit, from a format-3 file and from a format-2 file (still read) alike; the public
  file too, through both formats; writing what was read gives the same bytes;
- every decoded array is a view of a private pool that no other value shares a byte of: a
  value changed in place changes no other;
- every hostile member or field (a missing member, a wrong dtype or ndim, a truncated or
  forged .npy header, an object array, a group past its pool, negative or absurd sizes,
  a seq that takes an array twice, a value with the wrong skeleton or leaves, unknown tags,
  code outside checks.judges, deep nesting) is a one-line VectorsError.
"""

from __future__ import annotations

import functools
import io
import json
import math
import zipfile

import numpy as np
import pytest

from checks import __version__
from checks.core import gradfns, vecfile
from checks.core.case import Case
from checks.core.compare import Tol
from checks.core.vecfile import FormulaVectors, OracleVectors, VectorsError
from checks.data import PUBLIC_VECTORS
from checks.judges.probability import rows_sum_to

MANIFEST = {"formulacheck": __version__, "profile": "given", "visibility": "hidden", "seed": "hidden"}
FID = "t.f"


# --------------------------------------------------------------------------
# format 2, as formulacheck wrote it before format 3 (kept here to prove the reader of old files)
# --------------------------------------------------------------------------

def _enc2(v, pools: dict):
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, np.ndarray):
        k = list(pools).index(v.dtype.str) if v.dtype.str in pools else len(pools)
        pool = pools.setdefault(v.dtype.str, [])
        off = sum(a.size for a in pool)
        pool.append(np.ascontiguousarray(v).reshape(-1))
        return {"$": "nd", "a": k, "o": off, "s": list(v.shape)}
    if isinstance(v, np.generic):
        return {"$": "sc", "d": v.dtype.str, "v": _enc2(np.asarray(v), pools)}
    if isinstance(v, int):
        return v if abs(v) < 2 ** 53 else {"$": "int", "v": str(v)}
    if isinstance(v, float):
        return v if math.isfinite(v) else {"$": "f", "v": repr(v)}
    if isinstance(v, tuple):
        return {"$": "tuple", "v": [_enc2(x, pools) for x in v]}
    if isinstance(v, list):
        return [_enc2(x, pools) for x in v]
    if isinstance(v, dict):
        return {"$": "dict", "v": [[k, _enc2(x, pools)] for k, x in v.items()]}
    if isinstance(v, gradfns._GradFn):
        return {"$": "gradfn", "type": type(v).__name__, "v": {k: _enc2(getattr(v, k), pools) for k in v._fields}}
    r = vecfile.ref_of(v)
    r["kw"] = {k: _enc2(x, pools) for k, x in r["kw"].items()}
    return r


def write_v2(path, manifest: dict, formulas: list[FormulaVectors]) -> None:
    """A format-2 file of ``formulas`` (what vecfile.write wrote before format 3)."""
    m = {**manifest, "format": vecfile.FORMAT, "format_version": 2, "order": [f.id for f in formulas], "formulas": {}}
    members = []
    for f in formulas:
        pools: dict = {}
        doc = {"id": f.id, "fn_name": f.fn_name, "outputs": list(f.outputs), "tol": [f.tol.rtol, f.tol.atol],
               "points": f.points, "fresh_outputs": f.fresh_outputs, "examples": f.examples,
               "compare": _enc2(f.compare, pools) if f.compare is not None else None,
               "cases": [{"args": _enc2(tuple(c.args), pools), "kwargs": _enc2(dict(c.kwargs), pools), "size": s,
                          "magnitude": g} for c, (s, g) in zip(f.cases, f.sizes)],
               "oracles": [{"name": o.name, "kind": o.kind, "tol": None if o.tol is None else [o.tol.rtol, o.tol.atol],
                            "fn": _enc2(o.fn, pools) if o.kind == "property" else None, "cases": o.cases,
                            "expected": [_enc2(e, pools) for e in o.expected]} for o in f.oracles]}
        doc["pools"] = list(pools)
        members.append((f"formulas/{f.id}.json", json.dumps(doc, sort_keys=True).encode()))
        for k, (dt, parts) in enumerate(pools.items()):
            members.append((f"arrays/{f.id}/{k}.npy", _npy(np.concatenate(parts).astype(dt))))
        m["formulas"][f.id] = {"examples": f.examples, "cases": len(f.cases), "oracles": [o.name for o in f.oracles],
                               "fn_name": f.fn_name}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", json.dumps(m, sort_keys=True, indent=1))
        for n, d in members:
            z.writestr(n, d)


def _npy(a) -> bytes:
    b = io.BytesIO()
    np.save(b, a, allow_pickle=False)
    return b.getvalue()


# --------------------------------------------------------------------------
# values, compared bit for bit
# --------------------------------------------------------------------------

def bits(a, b, where="value") -> None:
    """``a`` and ``b`` are the same value: types, dtypes, shapes and bytes (nan included)."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, (np.ndarray, np.generic)):
        assert (a.dtype.str, np.shape(a), a.tobytes()) == (b.dtype.str, np.shape(b), b.tobytes()), where
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            bits(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            bits(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, float):
        assert np.float64(a).tobytes() == np.float64(b).tobytes(), f"{where}: {a!r} vs {b!r}"
    elif isinstance(a, functools.partial):
        assert a.func is b.func and a.args == b.args == () and list(a.keywords) == list(b.keywords), where
        bits(dict(a.keywords), dict(b.keywords), where + ".keywords")
    elif isinstance(a, gradfns._GradFn):
        bits({k: getattr(a, k) for k in a._fields}, {k: getattr(b, k) for k in b._fields}, where)
    elif callable(a):
        assert a is b, where
    else:
        assert a == b, f"{where}: {a!r} vs {b!r}"


def same_formulas(va: vecfile.Vectors, vb: vecfile.Vectors) -> None:
    assert list(va.formulas) == list(vb.formulas)
    for fid, a in va.formulas.items():
        b = vb.formulas[fid]
        for attr in ("id", "fn_name", "outputs", "tol", "points", "fresh_outputs", "examples", "sizes"):
            assert getattr(a, attr) == getattr(b, attr), f"{fid}.{attr}"
        bits(a.compare, b.compare, f"{fid}.compare")
        bits([(c.args, c.kwargs) for c in a.cases], [(c.args, c.kwargs) for c in b.cases], f"{fid}.cases")
        assert [(o.name, o.kind, o.tol, o.cases) for o in a.oracles] == [(o.name, o.kind, o.tol, o.cases) for o in b.oracles]
        for oa, ob in zip(a.oracles, b.oracles):
            bits(oa.fn, ob.fn, f"{fid}.{oa.name}.fn")
            bits(oa.expected, ob.expected, f"{fid}.{oa.name}.expected")


def every_kind() -> FormulaVectors:
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal((2, 3)), np.array(2.5), np.zeros((0, 3)), np.arange(6, dtype=np.int32).reshape(3, 2),
              np.array([True, False]), np.arange(4, dtype=np.uint8), (rng.standard_normal(3) + 1j).astype(np.complex128),
              np.array([np.nan, -np.inf, 1e-310], dtype=np.float32), np.asfortranarray(rng.standard_normal((3, 2))),
              np.array([1.0, 2.0]).astype(">f8")]
    cases = [
        Case(tuple(arrays), {}),
        Case((arrays[0] * 2, 3, 2 ** 70, -(2 ** 60), float("nan"), float("-inf"), -0.0, 1.5, True, None, "s"),
             {"axis": 1, "keep": False, "eps": np.float32(1e-3), "n": np.int64(7), "w": [np.ones(2), (np.ones(1),)]}),
        Case((gradfns.QuadraticGrad(A=np.eye(2), b=np.ones(2)), np.ones(2), np.array([0.1])), {}),
        Case(([[np.ones(1)], []], {"a": {"b": np.zeros(2, dtype=np.int64)}}), {"k": ()}),
        Case((arrays[0] * 3, 4, 2 ** 70 + 1, -(2 ** 60), float("inf"), float("nan"), 0.0, 2.5, False, None, "t"),
             {"axis": 0, "keep": True, "eps": np.float32(2e-3), "n": np.int64(8), "w": [np.zeros(2), (np.zeros(1),)]}),
    ]
    judge = functools.partial(rows_sum_to, axis=np.int64(-1), target=1.0)  # keywords sorted, as stored
    return FormulaVectors(
        id=FID, fn_name="f", outputs=("y",), tol=Tol(rtol=1e-7, atol=1e-9), points=2.0, fresh_outputs=True,
        compare=functools.partial(rows_sum_to, target=np.array([1.0])), examples=2, cases=cases,
        sizes=[vecfile.size_of(c) for c in cases],
        oracles=[OracleVectors("value:torch", "value", Tol(rtol=1e-6, atol=0.0), None, [0, 1, 2, 4],
                               [np.ones(3), (np.array(1.0), [np.int64(3)]), {"x": np.zeros((1, 1))}, np.ones(3)]),
                 OracleVectors("property:rows", "property", None, judge, [3], [np.ones(2)])])


@pytest.fixture
def files(tmp_path):
    fv = every_kind()
    p3, p2 = tmp_path / "v3.zip", tmp_path / "v2.zip"
    vecfile.write(str(p3), MANIFEST, [fv])
    write_v2(p2, MANIFEST, [fv])
    return fv, p3, p2


def test_every_kind_of_value_comes_back_bit_for_bit_from_format_3_and_format_2(files):
    fv, p3, p2 = files
    v3, v2 = vecfile.read(str(p3)), vecfile.read(str(p2))
    assert (v3.manifest["format_version"], v2.manifest["format_version"]) == (3, 2)
    same_formulas(v3, v2)
    got = v3.formulas[FID]
    bits([(c.args, c.kwargs) for c in got.cases], [(c.args, c.kwargs) for c in fv.cases])
    bits([o.expected for o in got.oracles], [o.expected for o in fv.oracles])
    bits(got.compare, fv.compare)
    bits(got.oracles[1].fn, fv.oracles[1].fn)
    assert got.cases[1].args[2] == 2 ** 70 and type(got.cases[1].kwargs["eps"]) is np.float32
    assert type(got.cases[2].args[0]) is gradfns.QuadraticGrad and got.cases[0].args[8].flags.c_contiguous


def test_the_same_content_gives_the_same_bytes(files, tmp_path):
    fv, p3, _ = files
    vecfile.write(str(tmp_path / "again.zip"), MANIFEST, [fv])
    assert (tmp_path / "again.zip").read_bytes() == p3.read_bytes()
    back = vecfile.read(str(p3))
    vecfile.write(str(tmp_path / "reread.zip"), MANIFEST, list(back.formulas.values()))
    assert (tmp_path / "reread.zip").read_bytes() == p3.read_bytes()


def test_the_public_file_through_both_formats(tmp_path):
    """Format 3 -> values -> format 2 -> the same values; written again as format 3: the file's bytes."""
    v3 = vecfile.read(PUBLIC_VECTORS)
    assert v3.manifest["format_version"] == vecfile.FORMAT_VERSION == 3
    base = {k: x for k, x in v3.manifest.items() if k not in ("formulas", "order")}
    write_v2(tmp_path / "v2.zip", base, list(v3.formulas.values()))
    same_formulas(v3, vecfile.read(str(tmp_path / "v2.zip")))
    vecfile.write(str(tmp_path / "v3.zip"), base, list(v3.formulas.values()))
    assert vecfile.file_sha256(str(tmp_path / "v3.zip")) == v3.sha256


def _arrays_of(x, out: list) -> list:
    if isinstance(x, np.ndarray):
        out.append(x)
    elif isinstance(x, (tuple, list)):
        for y in x:
            _arrays_of(y, out)
    elif isinstance(x, dict):
        for y in x.values():
            _arrays_of(y, out)
    elif isinstance(x, functools.partial):
        _arrays_of(x.keywords, out)
    return out


def _all_arrays(v: vecfile.Vectors) -> list[np.ndarray]:
    out: list = []
    for fv in v.formulas.values():
        _arrays_of([fv.compare, [(c.args, c.kwargs) for c in fv.cases], [(o.fn, o.expected) for o in fv.oracles]], out)
    return out


@pytest.mark.parametrize("which", ["public", "every_kind"])
def test_no_two_decoded_arrays_share_a_byte_and_an_in_place_change_stays_in_its_value(which, files):
    path = PUBLIC_VECTORS if which == "public" else str(files[1])
    a, b = vecfile.read(path), vecfile.read(path)
    xs, ys = _all_arrays(a), _all_arrays(b)
    assert len(xs) == len(ys) > 0 and all(x.flags.writeable and x.flags.c_contiguous for x in xs)
    spans = sorted((x.__array_interface__["data"][0], x.nbytes) for x in xs if x.nbytes)
    assert len({s for s, _ in spans}) == len(spans)
    for (s0, n0), (s1, _) in zip(spans, spans[1:]):
        assert s0 + n0 <= s1, "two decoded arrays share bytes"
    # the pools are held by their views only (no cache of the reader keeps one)
    bases = {id(x.base): x.base for x in xs if x.base is not None}
    assert all(isinstance(p, np.ndarray) and p.ndim == 1 and p.base is None for p in bases.values())
    for x in xs[::2]:  # every other array overwritten in place: the others are unchanged
        x.reshape(-1).view(np.uint8)[...] = 0xA5
    for i, (x, y) in enumerate(zip(xs, ys)):
        if i % 2:
            assert x.tobytes() == y.tobytes() and x.shape == y.shape, i
        elif x.nbytes:
            assert x.tobytes() != y.tobytes() or set(y.reshape(-1).view(np.uint8).tolist()) == {0xA5}


# --------------------------------------------------------------------------
# hostile files: every one a one-line VectorsError
# --------------------------------------------------------------------------

def _members(p) -> dict:
    with zipfile.ZipFile(p) as z:
        return {n: z.read(n) for n in z.namelist()}


def _save(p, members: dict) -> None:
    with zipfile.ZipFile(p, "w") as z:
        for n, d in members.items():
            z.writestr(n, d)


def _doc(edit):
    def f(ms):
        d = json.loads(ms[f"formulas/{FID}.json"])
        edit(d)
        ms[f"formulas/{FID}.json"] = json.dumps(d).encode()
    return f


def _npy_edit(name, fn):
    def f(ms):
        ms[f"arrays/{FID}/{name}"] = fn(np.load(io.BytesIO(ms[f"arrays/{FID}/{name}"])))
    return f


def _drop(name):
    return lambda ms: ms.pop(name)


def _set(name, data):
    def f(ms):
        ms[name] = data
    return f


def _nest(ms, depth: int) -> None:
    k = f"formulas/{FID}.json"
    ms[k] = ms[k].replace(b'"skeletons": [', b'"skeletons": [' + b"[" * depth + b"]" * depth + b", ", 1)


def _grow_group(d):
    d["groups"][0][1] += 1


def _absurd(d):
    d["groups"][0][2] = [2 ** 62, 2 ** 62, 2 ** 62]


def _seq_twice(s):
    s = s.copy()
    s[1] = s[0] if s[1] != s[0] else s[2]
    return _npy(s)


HOSTILE = [
    ("no seq", _drop(f"arrays/{FID}/seq.npy"), "has no arrays/t.f/seq.npy"),
    ("no pool", _drop(f"arrays/{FID}/0.npy"), "has no arrays/t.f/0.npy"),
    ("seq int32", _npy_edit("seq.npy", lambda s: _npy(s.astype(np.int32))), "not the 1-d <i8 array"),
    ("seq 2-d", _npy_edit("seq.npy", lambda s: _npy(s.reshape(1, -1))), "not the 1-d <i8 array"),
    ("pool f4", _npy_edit("0.npy", lambda a: _npy(a.astype(np.float32) if a.dtype == np.float64 else a.astype(np.float64))),
     "not the 1-d"),
    ("object pool", _set(f"arrays/{FID}/0.npy", None), "not the 1-d"),
    ("truncated npy", _npy_edit("0.npy", lambda a: _npy(a)[:-3]), "bytes of data, not the"),
    ("npy forged header", _npy_edit("0.npy", lambda a: _npy(a).replace(b"'shape': (", b"'shape': (999999999999, ", 1)),
     "0.npy"),
    ("not an npy", _set(f"arrays/{FID}/0.npy", b"garbage, not an npy file at all"), "not a readable .npy"),
    ("group past its pool", _doc(_grow_group), "reaches past the end of pool"),
    ("negative count", _doc(lambda d: d["groups"][0].__setitem__(1, -1)), "negative count"),
    ("negative dim", _doc(lambda d: d["groups"][0].__setitem__(2, [-1, 2])), "malformed group"),
    ("absurd shape", _doc(_absurd), "reaches past the end of pool"),
    ("too many dims", _doc(lambda d: d["groups"][0].__setitem__(2, [1] * 40)), "too many dims"),
    ("group of no pool", _doc(lambda d: d["groups"][0].__setitem__(0, 9)), "no such pool"),
    ("group not a list", _doc(lambda d: d["groups"].__setitem__(0, {"pool": 0})), "malformed group"),
    ("float count", _doc(lambda d: d["groups"][0].__setitem__(1, 1.0)), "malformed group"),
    ("pool longer than its groups", _doc(lambda d: d["groups"].pop()), "the pools hold"),
    ("seq names no group", _npy_edit("seq.npy", lambda s: _npy(np.where(np.arange(s.size) == 0, 999, s))), "seq.npy names a group"),
    ("seq takes an array twice", _npy_edit("seq.npy", _seq_twice), "exactly once"),
    ("negative seq", _npy_edit("seq.npy", lambda s: _npy(-s - 1)), "seq.npy names a group"),
    ("pool dtype object", _doc(lambda d: d["pools"].__setitem__(0, "|O")), "only bool, int, uint, float, complex"),
    ("pool dtype garbage", _doc(lambda d: d["pools"].__setitem__(0, "<not-a-dtype")), "malformed"),
    ("skeleton out of range", _doc(lambda d: d["oracles"][0].__setitem__("expected", [999] * 4)), "malformed value"),
    ("bool as skeleton", _doc(lambda d: d["cases"][0].__setitem__("kwargs", True)), "malformed value"),
    ("missing leaves", _doc(lambda d: d["cases"][1].__setitem__("args", d["cases"][1]["args"][:-1])), "takes 10 leaves"),
    ("a leaf that is a list", _doc(lambda d: d["cases"][1]["args"].__setitem__(1, [1, 2])), "malformed leaf"),
    ("unknown leaf tag", _doc(lambda d: d["cases"][1]["args"].__setitem__(1, {"$": "zz"})), "malformed leaf"),
    ("unknown skeleton tag", _doc(lambda d: d["skeletons"].__setitem__(0, {"$": "zz"})), "unknown tag 'zz'"),
    ("skeleton not a node", _doc(lambda d: d["skeletons"].__setitem__(0, 3)), "malformed skeleton"),
    ("unknown grad_fn", _doc(lambda d: [s.__setitem__("type", "Evil") for s in d["skeletons"]
                                        if isinstance(s, dict) and s.get("$") == "tuple"
                                        and isinstance(s["v"][0], dict) and s["v"][0].get("$") == "gradfn"
                                        for s in [s["v"][0]]]), "unknown grad_fn type 'Evil'"),
    ("code outside checks.judges", _doc(lambda d: [s.__setitem__("fn", "os:system") for s in d["skeletons"]
                                                   if isinstance(s, dict) and s.get("$") == "ref"]), "'os:system'"),
    ("scalar of dtype object", _doc(lambda d: [s["v"][2].__setitem__("d", "|O") for s in d["skeletons"]
                                               if isinstance(s, dict) and s.get("$") == "dict"
                                               and len(s["v"]) > 2 and s["v"][2][0] == "eps"
                                               for s in [{"v": [p[1] for p in s["v"]]}]]), "numpy scalar"),
    ("deep nesting (JSON)", lambda ms: _nest(ms, 5000), "nest too deeply"),
    ("deep nesting (skeleton)", lambda ms: _nest(ms, 600), "nest too deeply"),
    ("more arrays than the values take", _doc(lambda d: d["cases"].pop()), "lists more arrays"),
    ("fewer arrays than the values take", _doc(lambda d: d["cases"].append(d["cases"][0])), "take more arrays"),
    ("no groups", _doc(lambda d: d.pop("groups")), "malformed"),
    ("skeletons not a list", _doc(lambda d: d.__setitem__("skeletons", {})), "skeletons are not a list"),
    ("format version '3'", _set("manifest.json", None), "format version '3'"),
]


@pytest.mark.parametrize("name, damage, needle", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_member_or_field_is_a_one_line_error(files, tmp_path, name, damage, needle):
    _, p3, _ = files
    ms = _members(p3)
    if name == "object pool":
        ms[f"arrays/{FID}/0.npy"] = _npy_obj()
    elif name.startswith("format version"):
        ms["manifest.json"] = ms["manifest.json"].replace(b'"format_version": 3', b'"format_version": "3"')
    else:
        damage(ms)
    q = tmp_path / "hostile.zip"
    _save(q, ms)
    with pytest.raises(VectorsError, match=needle.replace("(", r"\(").replace(")", r"\)")) as ei:
        vecfile.read(str(q))
    assert "\n" not in str(ei.value) and str(ei.value).startswith("'")


def _npy_obj() -> bytes:
    b = io.BytesIO()
    np.save(b, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)  # a pickle inside: never loaded
    return b.getvalue()


def test_format_2_hostile_offsets_and_pools_are_one_line_errors(files, tmp_path):
    _, _, p2 = files
    for edit, needle in ((lambda t: t.__setitem__("o", 10 ** 9), "reaches past the end of its pool"),
                         (lambda t: t.__setitem__("o", -1), "reaches past the end of its pool"),
                         (lambda t: t.__setitem__("s", [-1]), "reaches past the end of its pool"),
                         (lambda t: t.__setitem__("a", 99), "malformed")):
        ms = _members(p2)
        d = json.loads(ms[f"formulas/{FID}.json"])
        edit(d["oracles"][0]["expected"][0])
        ms[f"formulas/{FID}.json"] = json.dumps(d).encode()
        _save(tmp_path / "bad2.zip", ms)
        with pytest.raises(VectorsError, match=needle) as ei:
            vecfile.read(str(tmp_path / "bad2.zip"))
        assert "\n" not in str(ei.value)
    ms = _members(p2)
    ms[f"arrays/{FID}/0.npy"] = _npy_obj()
    _save(tmp_path / "bad2.zip", ms)
    with pytest.raises(VectorsError, match="not the 1-d"):
        vecfile.read(str(tmp_path / "bad2.zip"))


def test_stream_decodes_each_formula_when_reached(files, tmp_path):
    fv, _, _ = files
    other = FormulaVectors(id="t.g", fn_name="g", outputs=("y",), tol=Tol(), points=1.0,
                           cases=[Case((np.ones(2),))], sizes=[(2.0, 1.0)],
                           oracles=[OracleVectors("value:torch", "value", None, None, [0], [np.ones(2)])])
    p = tmp_path / "two.zip"
    vecfile.write(str(p), MANIFEST, [fv, other])
    ms = _members(p)
    ms["arrays/t.g/seq.npy"] = b"broken"
    _save(p, ms)
    s = vecfile.Stream(str(p))
    assert s.ids == [FID, "t.g"] and s.fn_names == {FID: "f", "t.g": "g"}
    it = iter(s)
    assert next(it).id == FID  # the first formula decodes; the broken second only when reached
    with pytest.raises(VectorsError, match="t.g/seq.npy"):
        next(it)


def test_values_of_one_skeleton_decoded_at_once_are_the_same_and_as_strict(tmp_path):
    """Cases all ``(array, array)`` with no kwargs, answers all one array: decoded in bulk, the same values
    (tuples, a fresh dict per case), and a file whose values take more arrays than it has, or fewer, is refused."""
    rng = np.random.default_rng(3)
    cases = [Case((rng.standard_normal(n), rng.standard_normal((n, 2)))) for n in (1, 2, 2, 3)]
    fv = FormulaVectors(id=FID, fn_name="f", outputs=("y",), tol=Tol(), points=1.0, cases=cases,
                        sizes=[vecfile.size_of(c) for c in cases],
                        oracles=[OracleVectors("value:torch", "value", None, None, [0, 1, 2, 3],
                                               [c.args[0] * 2 for c in cases])])
    p = tmp_path / "flat.zip"
    vecfile.write(str(p), MANIFEST, [fv])
    got = vecfile.read(str(p)).formulas[FID]
    bits([(c.args, c.kwargs) for c in got.cases], [(c.args, c.kwargs) for c in cases])
    bits(got.oracles[0].expected, fv.oracles[0].expected)
    assert len({id(c.kwargs) for c in got.cases}) == len(cases)
    d = json.loads(_members(p)[f"formulas/{FID}.json"])
    assert len({c["args"] for c in d["cases"]}) == 1 and len(set(d["oracles"][0]["expected"])) == 1
    for edit, needle in ((lambda d: d["cases"].append(dict(d["cases"][0])), "take more arrays"),
                         (lambda d: d["oracles"][0]["expected"].append(d["oracles"][0]["expected"][0]), "take more arrays"),
                         (lambda d: d["oracles"][0]["expected"].pop(), "lists more arrays"),
                         (lambda d: d["oracles"][0].__setitem__("expected", [True] * 4), "malformed value")):
        ms = _members(p)
        _doc(edit)(ms)
        _save(tmp_path / "bad.zip", ms)
        with pytest.raises(VectorsError, match=needle) as ei:
            vecfile.read(str(tmp_path / "bad.zip"))
        assert "\n" not in str(ei.value)
