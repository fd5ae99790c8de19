"""The student kit, end to end: built from this clone, installed in a clean venv without torch, used in an
empty folder outside the clone (``formulacheck check`` and ``pytest --impl``).

Runs in the default suite (CI included): building the kit takes ~2 s; the clean venv gets the base
dependencies from the package index (pip's cache makes it ~15 s). Everything that needs the venv is one
test (``test_kit_in_a_clean_venv``) so that ``pytest -n auto`` builds it once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import pytest

from checks import data
from checks.cli import main as cli_main
from checks.core import vecfile
from checks.deploy import wheel as wheelmod
from checks.grader import refsub

#: a wrong conv1x1 (the bias left out), appended to the reference submission: only conv.conv1x1 changes
CONV_MUTANT = '''

def conv1x1(x, w, b):  # wrong: the bias is left out
    import numpy as np
    return np.einsum("oc,nchw->nohw", w, x)
'''
TORCHY = "import numpy as np\nimport torch\n\n\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n"


@pytest.fixture(scope="module")
def kit_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("kit") / "kit"
    assert cli_main(["student-kit", "--out", str(out)]) == 0
    return out


def _wheel(kit_dir) -> str:
    (w,) = [p for p in os.listdir(kit_dir) if p.endswith(".whl")]
    return os.path.join(kit_dir, w)


def test_kit_folder_and_wheel_hold_no_answer_key(kit_dir, tmp_path):
    assert sorted(os.listdir(kit_dir)) == sorted(["README.md", "public-vectors.zip", "template.py", os.path.basename(_wheel(kit_dir))])
    with zipfile.ZipFile(_wheel(kit_dir)) as z:
        names = z.namelist()
        meta = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        eps = z.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert not [n for n in names if n.startswith("reference/") or n.startswith("student/")], names
    assert "checks/grader/refsub.py" not in names and "checks/grader/grade.py" in names
    assert not [n for n in names if n.startswith(("checks/registry/", "checks/formulas/", "checks/oracles/",
                                                  "checks/mistakes/", "checks/audit/"))]
    # the reference's code is nowhere in the wheel (refsub's generated prelude, a reference function's source)
    with zipfile.ZipFile(_wheel(kit_dir)) as z:
        blob = b"".join(z.read(n) for n in names if n.endswith(".py"))
    assert b"_SOURCES[" not in blob and b"Row-wise softmax, stable for" not in blob
    assert "checks/_kit.py" in names and wheelmod.kit_problems(_wheel(kit_dir)) == []
    requires = [line for line in meta.splitlines() if line.startswith("Requires-Dist:")]
    assert requires and not [r for r in requires if any(p in r for p in ("torch", "hypothesis", "sympy"))], requires
    assert "[pytest11]" in eps and "formulacheck = checks.pytest_plugin" in eps
    # the listing check can fail: the full wheel has the answer key
    full = wheelmod.build_wheel(str(tmp_path / "full"), student=False)
    bad = wheelmod.kit_problems(full)
    assert any(b.startswith("reference/") for b in bad) and "checks/grader/refsub.py" in bad
    # the template and the README are the student's
    assert "raise NotImplementedError" in (kit_dir / "template.py").read_text()
    readme = (kit_dir / "README.md").read_text()
    assert "formulacheck check my_submission.py" in readme and "pytest --impl=my_submission.py" in readme


def test_student_kit_refuses_a_non_empty_folder(tmp_path, capsys):
    d = tmp_path / "k"
    d.mkdir()
    (d / "notes.txt").write_text("mine")
    assert cli_main(["student-kit", "--out", str(d)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--force" in err[0] and "not empty" in err[0], err
    assert os.listdir(d) == ["notes.txt"]


def _run_env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "PYTEST"))}


def _run(argv, cwd, timeout=120):
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=_run_env())


@pytest.fixture(scope="module")
def kit_venv(kit_dir, tmp_path_factory):
    """A clean venv (no system site-packages) with the kit wheel and pytest from the package index."""
    venv = tmp_path_factory.mktemp("kitvenv") / "venv"
    r = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=str(venv.parent))
    assert r.returncode == 0, r.stderr
    py = str(venv / "bin" / "python")
    r = _run([sys.executable, "-m", "pip", "--python", py, "install", "-q", "--no-compile", "--disable-pip-version-check",
              f"{_wheel(kit_dir)}[test]"], cwd=str(venv.parent), timeout=300)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    return venv


def test_kit_in_a_clean_venv(kit_venv, tmp_path):
    from checks.grader.grade import Grader

    bin_ = kit_venv / "bin"
    py, fc = str(bin_ / "python"), str(bin_ / "formulacheck")
    # no torch (nor the oracles, nor the answer key) in the kit's venv
    for mod in ("torch", "hypothesis", "sympy", "reference", "checks.registry", "checks.grader.refsub"):
        r = _run([py, "-c", f"import {mod}"], cwd=str(tmp_path))
        assert r.returncode != 0 and "ModuleNotFoundError" in r.stderr, (mod, r.stderr)
    # an empty folder outside the clone with the reference as a submission and a mutant of it
    work = tmp_path / "student"
    work.mkdir()
    ref = refsub.build()
    (work / "ref.py").write_text(ref)
    (work / "mutant.py").write_text(ref + CONV_MUTANT)
    (work / "torchy.py").write_text(TORCHY)

    # formulacheck check: the reference passes every formula the kit can judge
    r = _run([fc, "check", "ref.py", "--group", "conv,logistic,rnn,softmax"], cwd=str(work))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "FAIL" not in r.stdout and r.stdout.count("  ok    ") >= 8 and "isolation level" in r.stdout and "score:" in r.stdout, r.stdout
    # ... on every formula of the public file: the kit ships every judge (none needs the registry)
    r = _run([fc, "check", "ref.py"], cwd=str(work))
    n = len(vecfile.read_manifest(data.PUBLIC_VECTORS)[0]["order"])
    assert r.returncode == 0 and "not checked" not in r.stdout, r.stdout + r.stderr
    assert r.stdout.count("  ok    ") == n and "FAIL" not in r.stdout, r.stdout
    # ... the mutant fails on exactly its formula, with the grader's own feedback text
    r = _run([fc, "check", "mutant.py", "--group", "conv,logistic"], cwd=str(work))
    assert r.returncode == 1, r.stdout + r.stderr
    fails = [line.split()[1] for line in r.stdout.splitlines() if line.strip().startswith("FAIL")]
    assert fails == ["conv.conv1x1"], r.stdout
    assert "score: 7 / 8 (4 of 5 formulas passed)" in r.stdout, r.stdout
    with Grader(ids=["conv.conv1x1"]) as g:
        t = g.grade_file(str(work / "mutant.py")).tests[0]
    # the grader's text, but for its diagnosis: the kit has no library of mistakes (near-solutions)
    expected = t.feedback[: -len(t.diagnosis) - 1] if t.diagnosis else t.feedback
    assert "Likely mistake" not in r.stdout
    assert "Smallest failing input" in expected and expected in r.stdout, (expected, r.stdout)
    # ... a forbidden import is reported first, as the zero the grader gives
    r = _run([fc, "check", "torchy.py", "--group", "activations"], cwd=str(work))
    assert r.returncode == 1 and r.stdout.splitlines()[0] == "torchy.py: the grader would give 0 points for EVERY formula:"
    assert "importing 'torch' is forbidden" in r.stdout.splitlines()[1] and "score: 0 /" in r.stdout, r.stdout
    # bad input: one line
    r = _run([fc, "check", "nope.py"], cwd=str(work))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "nope.py" in r.stderr, r.stderr

    # pytest --impl in the empty folder: the plugin's own tests, one per formula
    r = _run([py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--impl=ref.py"], cwd=str(work))
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert " passed" in r.stdout and "failed" not in r.stdout, r.stdout[-2000:]
    assert "skipped" not in r.stdout, r.stdout[-2000:]  # the kit judges every formula of the public file
    r = _run([py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--impl=mutant.py"], cwd=str(work))
    assert r.returncode == 1, r.stdout[-3000:] + r.stderr
    failed = [line for line in r.stdout.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1 and failed[0].startswith("FAILED mutant.py::conv.conv1x1 "), r.stdout[-3000:]
    assert expected in r.stdout, r.stdout[-3000:]
    # a function not written fails its own test, "not implemented"
    (work / "partial.py").write_text("import numpy as np\n\n\ndef conv1x1(x, w, b):\n    raise NotImplementedError\n")
    r = _run([py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--impl=partial.py", "-k", "conv1x1 and not backward"],
             cwd=str(work))
    assert r.returncode == 1 and "1 failed" in r.stdout and "not implemented" in r.stdout, r.stdout[-2000:]

    # the same grade without Hypothesis (the kit) as with it (this install): byte-identical results.json
    # but the run time, under other hash seeds; the mutant's points and verdicts too (its feedback
    # differs only by the diagnosis, which the kit has no library of mistakes for)
    docs = {}
    for where, argv, seed in (("kit", [fc], "1"), ("dev", [sys.executable, "-m", "checks.cli"], "2")):
        for sub in ("ref", "mutant"):
            out = work / f"{where}-{sub}.json"
            r = subprocess.run([*argv, "grade", f"{sub}.py", "--json", str(out)], cwd=str(work), capture_output=True,
                               text=True, timeout=300, env={**_run_env(), "PYTHONHASHSEED": seed})
            assert r.returncode in (0, 1) and out.exists(), r.stdout[-2000:] + r.stderr[-2000:]
            doc = json.loads(out.read_text())
            doc.pop("execution_time")
            docs[where, sub] = doc
    assert json.dumps(docs["kit", "ref"], sort_keys=True) == json.dumps(docs["dev", "ref"], sort_keys=True)
    verdicts = {w: [(t["name"], t["score"], t["extra_data"]["verdict"]) for t in docs[w, "mutant"]["tests"]]
                for w in ("kit", "dev")}
    assert verdicts["kit"] == verdicts["dev"] and [v for v in verdicts["kit"] if v[2] != "passed"] == [
        ("conv.conv1x1", 0, v[2]) for v in verdicts["kit"] if v[0] == "conv.conv1x1"]

    # grade has no --write-reference in the kit, and cannot write the reference
    r = _run([fc, "grade", "--write-reference", "leak.py"], cwd=str(work))
    assert r.returncode != 0 and not (work / "leak.py").exists(), r.stdout + r.stderr
    r = _run([fc, "grade", "--help"], cwd=str(work))
    assert r.returncode == 0, r.stderr
    assert "write-reference" not in r.stdout, r.stdout


def test_plugin_adds_the_property_checks_where_the_oracles_are(tmp_path):
    """In a developer's install (torch, Hypothesis, the registry): the vectors test and the registry's property
    checks of the formula, on the submission, in an empty folder outside the clone."""
    (tmp_path / "mutant.py").write_text(refsub.build() + CONV_MUTANT)
    r = _run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "--impl=mutant.py",
              "-k", "conv1x1 and not backward"], cwd=str(tmp_path), timeout=300)
    assert r.returncode == 1, r.stdout[-3000:] + r.stderr
    failed = [line.split()[1] for line in r.stdout.splitlines() if line.startswith("FAILED")]
    assert "mutant.py::conv.conv1x1" in failed and len(failed) >= 2, r.stdout[-3000:]
    assert all(f == "mutant.py::conv.conv1x1" or f.startswith("mutant.py::conv.conv1x1-") for f in failed), failed
    assert "Hypothesis property checks: on" in r.stdout and "Minimal failing input" in r.stdout, r.stdout[-3000:]
