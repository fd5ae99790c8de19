"""The grading vectors file: portable, pickle-free, deterministic, checked, and the grade a pure function of it.

- the same seed gives the same bytes (and a no-op edit of the pipeline's code too);
- a file holds only JSON and .npy members, none of them a pickle;
- a malformed file is a clear error, never a traceback;
- ``vectors check`` proves the stored answers, and catches a tampered one;
- grading from a file imports neither torch, nor Hypothesis, nor SymPy;
- the same file gives byte-identical results.json (but execution_time) in two
  fresh homes with different PYTHONHASHSEED;
- a hidden file (another seed) has other inputs in the same formulas.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from checks.core import vecfile
from checks.core.vecfile import VectorsError
from checks.data import PUBLIC_VECTORS
from checks.run import vectors

ROOT = Path(__file__).resolve().parents[2]
IDS = ["activations.sigmoid", "optim.nag_step", "norm.batchnorm_backward"]


def _build(path, seed=None, ids=IDS, rubric=None):
    from dataclasses import replace

    from checks.grader.rubric import Rubric

    rub = rubric or replace(Rubric(), examples_default=6)
    return vectors.build(str(path), seed=seed, ids=ids, rubric=rub)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    p = tmp_path_factory.mktemp("vec") / "small.zip"
    info = _build(p)
    return p, info


def test_the_same_seed_gives_the_same_bytes_and_the_hash_is_the_files(small, tmp_path):
    p, info = small
    again = _build(tmp_path / "again.zip")
    assert again["sha256"] == info["sha256"] == hashlib.sha256(p.read_bytes()).hexdigest()
    assert (tmp_path / "again.zip").read_bytes() == p.read_bytes()
    m, sha = vecfile.read_manifest(str(p))
    assert sha == info["sha256"] and m["visibility"] == "public" and sorted(m["order"]) == sorted(IDS)
    assert m["formulas"]["optim.nag_step"]["examples"] == 6


def test_members_are_json_and_npy_only_never_a_pickle(small):
    p, _ = small
    with zipfile.ZipFile(p) as z:
        names = z.namelist()
        assert names[0] == "manifest.json"
        for n in names:
            assert n == "manifest.json" or (n.startswith("formulas/") and n.endswith(".json")) or (
                n.startswith("arrays/") and n.endswith(".npy")), n
            data = z.read(n)
            assert b"\x80\x04\x95" not in data[:16] and b"\x80\x05\x95" not in data[:16], f"{n} is a pickle"
            if n.endswith(".npy"):
                np.load(io.BytesIO(data), allow_pickle=False)  # raises on an object array
            else:
                json.loads(data)


def test_cases_answers_and_judges_round_trip(small):
    from checks import registry
    from checks.core.case import same
    from checks.run.expect import expected_for

    p, _ = small
    v = vecfile.read(str(p))
    nag = v.formulas["optim.nag_step"]
    # the grad_fn objects come back as grad_fn objects, the judges as callables
    assert any(type(a).__name__ in ("QuadraticGrad", "LogisticGrad") for c in nag.cases for a in c.args)
    assert callable(nag.compare) and callable(v.formulas["norm.batchnorm_backward"].compare)
    f = registry.get("activations.sigmoid")
    fv = v.formulas[f.id]
    assert [s for s in fv.sizes] == sorted(fv.sizes), "cases are stored smallest first"
    for o, ov in zip(f.oracles, fv.oracles):
        for i, e in zip(ov.cases, ov.expected):
            assert same(expected_for(f, o, fv.cases[i]), e)


@pytest.mark.parametrize("damage, needle", [
    (lambda p: p.write_bytes(b"not a zip"), "not a zip archive"),
    (lambda p: p.write_bytes(p.read_bytes()[:200]), "not a zip archive"),
    (lambda p: _rewrite(p, "manifest.json", lambda b: b.replace(b'"format_version": 3', b'"format_version": 99')),
     "format version 99"),
    (lambda p: _rewrite(p, "formulas/optim.nag_step.json", None), "has no formulas/optim.nag_step.json"),
    (lambda p: _rewrite(p, "formulas/activations.sigmoid.json", lambda b: b[:-20]), "malformed"),
])
def test_a_malformed_file_is_a_clear_error(small, tmp_path, damage, needle):
    q = tmp_path / "bad.zip"
    shutil.copy(small[0], q)
    damage(q)
    with pytest.raises(VectorsError, match=needle) as ei:
        vecfile.read(str(q))
    assert "\n" not in str(ei.value)


def _rewrite(path: Path, member: str, fn) -> None:
    with zipfile.ZipFile(path) as z:
        items = [(n, z.read(n)) for n in z.namelist()]
    with zipfile.ZipFile(path, "w") as z:
        for n, d in items:
            if n == member:
                if fn is None:
                    continue
                d = fn(d)
            z.writestr(n, d)


def test_check_proves_the_answers_and_catches_a_tampered_one(small, tmp_path):
    p, _ = small
    rep = vectors.check(str(p), IDS)
    assert rep.ok and rep.answers > 0 and rep.identical == rep.answers, rep
    q = tmp_path / "tampered.zip"
    shutil.copy(p, q)
    v = vecfile.read(str(q), ["activations.sigmoid"])
    ans = v.formulas["activations.sigmoid"].oracles[0].expected[-1]  # the torch answer of the largest case
    pool = ans.base  # a view of its pool: the pool's member and the answer's offset in it
    k = json.loads(zipfile.ZipFile(q).read("formulas/activations.sigmoid.json"))["pools"].index(ans.dtype.str)
    off = (ans.__array_interface__["data"][0] - pool.__array_interface__["data"][0]) // ans.itemsize

    def bump(b):
        a = np.load(io.BytesIO(b), allow_pickle=False).copy()
        a[off] += 1e-3
        out = io.BytesIO()
        np.save(out, a, allow_pickle=False)
        return out.getvalue()

    _rewrite(q, f"arrays/activations.sigmoid/{k}.npy", bump)
    bad = vectors.check(str(q), IDS)
    assert not bad.ok and any("activations.sigmoid vs torch" in w for w in bad.wrong), bad.wrong


def test_a_hidden_file_has_other_inputs_in_the_same_formulas(small, tmp_path):
    hidden = _build(tmp_path / "hidden.zip", seed=12345)
    m, _ = vecfile.read_manifest(hidden["path"])
    assert m["visibility"] == "hidden" and m["seed"] == "hidden"
    a, b = vecfile.read(str(small[0])), vecfile.read(hidden["path"])
    assert a.ids == b.ids
    for fid in IDS:
        ra = {c.call_repr("f") for c in a.formulas[fid].cases}
        rb = {c.call_repr("f") for c in b.formulas[fid].cases}
        assert len(ra & rb) < len(ra) // 2, fid  # a few tiny shared edge cases at most


def test_the_public_file_matches_the_registry():
    from checks import registry

    m, _ = vecfile.read_manifest(PUBLIC_VECTORS)
    assert m["visibility"] == "public"
    assert m["order"] == [f.id for f in registry.all_formulas()]
    for f in registry.all_formulas():
        assert m["formulas"][f.id]["oracles"] == [o.name for o in f.oracles], f.id


_BLOCKED = r"""
import sys, importlib.abc
# the formula registry, its entries and oracles, the reference (refsub reads the reference's source files):
# a vectors file names its judges in checks.judges (the student kit has neither of these)
NOT_AT_GRADE_TIME = ("checks.registry", "checks.formulas", "checks.oracles", "checks.run", "reference.")
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "hypothesis", "sympy") or name.startswith(NOT_AT_GRADE_TIME):
            raise ImportError(f"blocked: {name}")
        return None
sys.meta_path.insert(0, Block())
from checks.grader import refsub
from checks.grader.grade import Grader
refsub.write(sys.argv[1])
with Grader() as g:
    r = g.grade_file(sys.argv[1])
bad = [t.id + ': ' + t.reason for t in r.tests if not t.passed]
print(r.status, r.score, r.max_score, len(r.tests), bad)
print("LOADED", sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "hypothesis", "sympy")))
"""


def test_grading_from_vectors_imports_neither_torch_nor_hypothesis_nor_sympy(tmp_path):
    """... nor the registry, the oracles or the reference: every judge of the public file is named code."""
    sub = tmp_path / "ref_submission.py"
    r = subprocess.run([sys.executable, "-c", _BLOCKED, str(sub)], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    status, score, max_score, n, *bad = r.stdout.splitlines()[0].split(" ", 4)
    assert status == "ok" and float(score) == float(max_score) and int(n) > 50, r.stdout
    assert "LOADED []" in r.stdout, r.stdout


def test_the_same_file_gives_byte_identical_results_in_two_fresh_homes(small, tmp_path):
    sub = tmp_path / "sub.py"
    sub.write_text("import numpy as np\n\ndef sigmoid(x):\n    return np.exp(x) / (1.0 + np.exp(x))\n")
    outs = []
    for k, hashseed in enumerate(("0", "12345")):
        home = tmp_path / f"home{k}"
        home.mkdir()
        env = {**os.environ, "HOME": str(home), "PYTHONHASHSEED": hashseed, "XDG_CACHE_HOME": str(home / ".cache")}
        out = tmp_path / f"results{k}.json"
        r = subprocess.run([sys.executable, "-m", "checks.cli", "grade", str(sub), "--vectors", str(small[0]),
                            "--json", str(out)], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
        assert r.returncode == 0, r.stderr[-2000:]
        doc = json.loads(out.read_text())
        assert doc["extra_data"]["vectors"] == small[1]["sha256"]
        doc.pop("execution_time")
        outs.append(json.dumps(doc, sort_keys=True))
    assert outs[0] == outs[1]
    doc = json.loads(outs[0])
    by = {t["name"]: t for t in doc["tests"]}
    assert by["activations.sigmoid"]["status"] == "failed"  # nan at x >> 0: the smallest failing vector shown
    assert "Smallest failing input:" in by["activations.sigmoid"]["output"]


def test_a_judge_that_is_not_named_code_is_refused_at_build_with_the_formula_named():
    """A closure (or lambda, or code outside checks/judges) cannot be stored: the file would need the registry."""
    import functools

    from checks.judges.probability import rows_sum_to

    def closure(case, y):
        return rows_sum_to(case, y, target=1.0)

    for fn, needle in ((closure, "closures or lambdas"), (lambda case, y: None, "closures or lambdas"),
                       (functools.partial(rows_sum_to, 1.0), "keywords only"), (sys.exit, "must live in checks/judges/")):
        with pytest.raises(VectorsError, match=needle) as ei:
            vecfile._judge_ref(fn, "softmax.softmax", "oracle:property:rows-sum-to-1")
        assert str(ei.value).startswith("softmax.softmax (oracle:property:rows-sum-to-1): ") and "\n" not in str(ei.value)
    ref = vecfile._judge_ref(functools.partial(rows_sum_to, target=1.0), "softmax.softmax", "compare")
    assert ref == {"$": "ref", "fn": "checks.judges.probability:rows_sum_to", "kw": {"target": 1.0}}
    assert vecfile.resolve(ref["fn"]) is rows_sum_to


def test_a_file_storing_a_judge_by_registry_entry_is_refused_with_the_fix(small, tmp_path):
    """Files built before every judge was named code stored some by registry entry: refused, with the fix.

    (Such files are format 2: a format-2 file of the same content, with one judge stored so.)"""
    from tests.core.test_vecfile import write_v2

    q = tmp_path / "old.zip"
    v = vecfile.read(str(small[0]))
    write_v2(q, {k: x for k, x in v.manifest.items() if k not in ("formulas", "order")}, list(v.formulas.values()))
    assert vecfile.read(str(q)).manifest["format_version"] == 2
    entry = b'{"$": "entry", "formula": "norm.batchnorm_backward", "what": "compare"}'
    _rewrite(q, "formulas/norm.batchnorm_backward.json",
             lambda b: json.dumps({**json.loads(b), "compare": json.loads(entry)}).encode())
    with pytest.raises(VectorsError, match=r"'norm.batchnorm_backward' by registry entry.*rebuild it with this version"):
        vecfile.read(str(q))
