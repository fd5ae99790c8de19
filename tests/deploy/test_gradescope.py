"""`formulacheck gradescope`: the autograder zip, run in a simulated Gradescope container.

The container: the zip unpacked into ``A/source`` with ``A/submission`` and ``A/results`` beside it,
``run_autograder`` copied to ``A/run_autograder`` (as Gradescope does), and every script run by
bubblewrap as root with ``A`` bound at ``/autograder`` (``bwrap --bind / / --bind A /autograder --dev
/dev --proc /proc --tmpfs /tmp --cap-add ALL``) and a clean environment. ``setup.sh`` really
creates ``/autograder/venv`` and pip-installs the wheel and its dependencies from the package index
(pip's own configuration and cache on this machine apply); ``run_autograder`` really grades with
``formulacheck grade --json`` in the grader's sandbox, nested inside that bubblewrap.

Everything that needs the installed venv is ONE test (``test_autograder_end_to_end``) so that
``pytest -n auto`` runs setup.sh once. It costs ~50 s (building 3 hidden formulas ~15 s, the zip
with its self-test ~10 s, setup.sh ~25 s, four run_autograder ~2 s each). Skipped, with the reason,
only where bubblewrap cannot run as root.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile

import pytest

from checks.cli import main as cli_main
from checks.deploy import gradescope as gs
from checks.grader import refsub

# pool.kmax_pool: a custom comparison (any tie-break) the kit judges by name, without the registry
IDS = ("activations.sigmoid", "logistic.log_likelihood", "pool.kmax_pool")
RUBRIC = """\
[points]
"activations.sigmoid" = 2

[visibility]
default = "after_due_date"
"activations.sigmoid" = "visible"
"""
#: a wrong sigmoid (the sign of the exponent flipped), appended to the reference: only activations.sigmoid changes
SIGMOID_MUTANT = '''

def sigmoid(x):  # wrong: exp(+x)
    import numpy as np
    return 1.0 / (1.0 + np.exp(x))
'''
ENV_KEEP = ("PIP_FIND_LINKS", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_CERT", "PIP_DEFAULT_TIMEOUT",
            "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "no_proxy", "NO_PROXY")
FORMULACHECK = os.path.join(os.path.dirname(sys.executable), "formulacheck")
#: Docker's default capabilities (no CAP_SYS_ADMIN: no namespaces for the grader's bwrap), as in Gradescope's container
DOCKER_CAPS = ("CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP", "NET_BIND_SERVICE",
               "NET_RAW", "SYS_CHROOT", "MKNOD", "AUDIT_WRITE", "SETFCAP")


def _bwrap_problem() -> str | None:
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed"
    if os.geteuid() != 0:
        return "the simulated Gradescope container runs setup.sh as root (apt, chown, private uids)"
    r = subprocess.run([bwrap, "--bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--cap-add", "ALL", "true"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return f"bwrap cannot run here: {r.stderr.strip()}"
    return None


def _container(A, *argv, timeout=600, docker_caps=False) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root",
           "LANG": "C.UTF-8", **{k: os.environ[k] for k in ENV_KEEP if k in os.environ}}
    cmd = ["bwrap", "--bind", "/", "/", "--bind", str(A), "/autograder", "--dev", "/dev", "--proc", "/proc",
           "--perms", "1777", "--tmpfs", "/tmp",
           *(["--cap-drop", "ALL", *[x for c in DOCKER_CAPS for x in ("--cap-add", "CAP_" + c)]] if docker_caps
             else ["--cap-add", "ALL"]), "--die-with-parent", "--chdir", "/autograder",
           "--clearenv", *[x for k, v in env.items() for x in ("--setenv", k, v)], *argv]
    return subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=timeout,
                          stdin=subprocess.DEVNULL)


def _notebook(source: str) -> str:
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    nb = new_notebook(cells=[new_markdown_cell("# Homework 1: my formulas"), new_code_cell("%matplotlib inline"),
                             new_code_cell(source)],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                                "language_info": {"name": "python"}})
    return nbformat.writes(nb)


def _grade(A, files: dict[str, str], docker_caps: bool = False) -> tuple[dict, str]:
    """Gradescope's run of one submission: a fresh submission/ and results/, run_autograder, results.json."""
    for d in ("submission", "results"):
        shutil.rmtree(A / d, ignore_errors=True)
        (A / d).mkdir()
    for name, text in files.items():
        p = A / "submission" / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    t0 = time.perf_counter()
    r = _container(A, "/autograder/run_autograder", docker_caps=docker_caps)
    seconds = time.perf_counter() - t0
    assert r.returncode == 0, r.stdout + r.stderr
    res = json.loads((A / "results" / "results.json").read_text(encoding="utf-8"))
    return res, f"{r.stdout}{r.stderr}\n(run_autograder took {seconds:.1f} s)"


def _scores(res: dict) -> dict:
    return {t["name"]: (t["score"], t["max_score"]) for t in res["tests"]}


def test_autograder_end_to_end(tmp_path, capsys):
    why = _bwrap_problem()
    if why:
        pytest.skip(why)
    timings = {}
    t0 = time.perf_counter()
    hidden = tmp_path / "hidden.zip"
    r = subprocess.run([FORMULACHECK, "vectors", "build", "--out", str(hidden), "--seed", "97531", "--profile", "dev",
                        *[x for i in IDS for x in ("--id", i)]], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    (tmp_path / "rubric.toml").write_text(RUBRIC)
    timings["vectors build"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    zpath = tmp_path / "autograder.zip"
    assert cli_main(["gradescope", "--out", str(zpath), "--vectors", str(hidden),
                     "--rubric", str(tmp_path / "rubric.toml")]) == 0
    timings["formulacheck gradescope"] = time.perf_counter() - t0
    out = capsys.readouterr()
    assert "PUBLIC" not in out.err and "hidden, 3 formulas" in out.out
    with zipfile.ZipFile(zpath) as z:
        names = z.namelist()
        cfg = json.loads(z.read("autograder.json"))
        assert {"setup.sh", "run_autograder", "vectors.zip", "rubric.toml", cfg["wheel"]} <= set(names)
        assert z.read("vectors.zip") == hidden.read_bytes()
        z.extractall(tmp_path / "A" / "source")
    assert cfg["public"] is False and set(cfg["formulas"]) == set(IDS)
    assert cfg["wheel_kind"] == "kit", cfg  # never the wheel with the answer key
    assert oct(zpath.stat().st_mode & 0o777) == "0o600"  # the zip holds the hidden file

    A = tmp_path / "A"
    for d in ("submission", "results"):
        (A / d).mkdir()
    shutil.copy(A / "source" / "run_autograder", A / "run_autograder")  # what Gradescope does
    os.chmod(A / "run_autograder", 0o755)
    t0 = time.perf_counter()
    r = _container(A, "bash", "/autograder/source/setup.sh")
    timings["setup.sh"] = time.perf_counter() - t0
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "setup.sh: done in" in r.stdout and "formulacheck 0.1.0" in r.stdout
    assert not (A / "venv" / "bin" / "formulacheck").exists() and (A / "formulacheck" / "checks").is_dir()

    # the venv: formulacheck and numpy, no torch; the hidden file and the sources root-only
    py = A / "venv" / "bin" / "python"
    r = _container(A, "/autograder/venv/bin/python", "-I", "-c",
                   "import importlib.util as u, numpy, checks.grader.grade; "
                   "print([m for m in ('torch', 'hypothesis', 'sympy') if u.find_spec(m)])")
    assert r.returncode == 0 and r.stdout.strip() == "[]", r.stdout + r.stderr
    assert py.exists()
    assert (A / "source" / "vectors.zip").stat().st_mode & 0o777 == 0o600
    assert (A / "source").stat().st_mode & 0o777 == 0o700
    # ... as a private uid (the submission's, below namespaces): the worker's code runs, the secrets do not open
    probe = ("import glob, os, checks, checks.core.wire, checks.worker.frames, numpy\n"
             "site = os.path.dirname(os.path.dirname(checks.__file__))\n"
             "for p in ['/autograder/source/vectors.zip', '/autograder/source/rubric.toml', "
             "*glob.glob(site + '/reference/*.py'), site + '/checks/grader/grade.py', site + '/checks/data/public-vectors.zip']:\n"
             "    try:\n        open(p, 'rb').close(); print('READ', p)\n"
             "    except PermissionError:\n        pass\n"
             "print('worker ok')\n")
    r = _container(A, "setpriv", "--reuid=61999", "--regid=61999", "--clear-groups", "/autograder/venv/bin/python", "-I",
                   "-c", probe)
    assert r.stdout.strip() == "worker ok", r.stdout + r.stderr

    ref = refsub.build()
    t0 = time.perf_counter()
    res, log = _grade(A, {"hw1.py": ref})
    timings["run_autograder (reference .py)"] = time.perf_counter() - t0
    assert res["score"] == 4 and _scores(res) == {"activations.sigmoid": (2, 2), "logistic.log_likelihood": (1, 1),
                                                  "pool.kmax_pool": (1, 1)}, log
    assert "run_autograder: isolation level used: " in log and res["extra_data"]["isolation"] in log, log
    vis = {t["name"]: t.get("visibility") for t in res["tests"]}
    assert vis == {"activations.sigmoid": "visible", "logistic.log_likelihood": "after_due_date",
                   "pool.kmax_pool": "after_due_date"}, res

    # Docker's capabilities (Gradescope): no namespaces, the private uid keeps the hidden file hidden
    res, log = _grade(A, {"hw1.py": ref}, docker_caps=True)
    assert res["extra_data"]["isolation"] in ("seccomp+uid", "uid"), log
    assert res["score"] == 4 and "isolation level used: " + res["extra_data"]["isolation"] in log, log
    res, log = _grade(A, {"hw1.py": ref + SIGMOID_MUTANT}, docker_caps=True)
    assert res["score"] == 2 and _scores(res)["activations.sigmoid"] == (0, 2), log

    res, log = _grade(A, {"notebooks/hw1.ipynb": _notebook(ref), ".ipynb_checkpoints/hw1-checkpoint.ipynb": "{}",
                          "README.txt": "my notes"})
    assert res["score"] == 4 and all(s == m for s, m in _scores(res).values()), log

    res, log = _grade(A, {"hw1.py": ref + SIGMOID_MUTANT})
    assert _scores(res) == {"activations.sigmoid": (0, 2), "logistic.log_likelihood": (1, 1),
                            "pool.kmax_pool": (1, 1)} and res["score"] == 2, log
    (sig,) = [t for t in res["tests"] if t["name"] == "activations.sigmoid"]
    assert sig["extra_data"]["verdict"] == "mismatch", sig

    res, log = _grade(A, {"notes.pdf": "%PDF"})
    assert res["score"] == 0 and res["visibility"] == "visible" and "No .py or .ipynb file" in res["output"], res
    assert "notes.pdf" in res["output"] and res["extra_data"]["formulacheck"]["status"] == "no submission"
    res, log = _grade(A, {"a.py": ref, "b.ipynb": _notebook(ref)})
    assert res["score"] == 0 and "Several .py / .ipynb files" in res["output"] and "a.py, b.ipynb" in res["output"]
    res, log = _grade(A, {})
    assert res["score"] == 0 and "the submission is empty" in res["output"]

    with capsys.disabled():
        print("\n[gradescope] zip %.2f MB, wheel %s (%s); " % (zpath.stat().st_size / 1e6, cfg["wheel"],
                                                               cfg["wheel_kind"])
              + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))


@pytest.fixture(scope="module")
def kit_wheel(tmp_path_factory) -> str:
    from checks.deploy.wheel import build_wheel

    return build_wheel(str(tmp_path_factory.mktemp("wheel")), student=True)


def test_public_vectors_by_default_with_a_warning(tmp_path, kit_wheel):
    info = gs.build_autograder(str(tmp_path / "ag.zip"), wheel=kit_wheel, check=False)
    assert info.public and info.formulas > 50 and any("hidden file" in w and "--seed SECRET" in w for w in info.warnings)
    with zipfile.ZipFile(info.path) as z:
        cfg = json.loads(z.read("autograder.json"))
        setup = z.read("setup.sh").decode()
        run = z.read("formulacheck_autograder.py").decode()
        cons = z.read("constraints.txt").decode()
    assert cfg["public"] is True and cfg["rubric"] is None and cfg["submission_file"] is None
    assert "chmod 600 \"$SRC/vectors.zip\"" in setup and "torch" not in cons and "numpy==" in cons
    compile(run, "formulacheck_autograder.py", "exec")  # the helper is valid Python (stdlib only)
    assert subprocess.run(["bash", "-n"], input=setup, text=True).returncode == 0


def test_rubric_submission_file_is_what_run_autograder_looks_for(tmp_path, kit_wheel):
    (tmp_path / "r.toml").write_text('[submission]\nfile = "hw1.ipynb"\n')
    info = gs.build_autograder(str(tmp_path / "ag.zip"), rubric=str(tmp_path / "r.toml"), wheel=kit_wheel, check=False)
    with zipfile.ZipFile(info.path) as z:
        assert json.loads(z.read("autograder.json"))["submission_file"] == "hw1.ipynb"


@pytest.mark.parametrize("argv, message", [
    (["--out", "{d}/ag.tar"], "--out {d}/ag.tar: Gradescope takes a .zip file"),
    (["--out", "{d}/exists.zip"], "--out {d}/exists.zip: the file exists; --force overwrites it"),
    (["--out", "{d}/ag.zip", "--vectors", "{d}/nope.zip"], "nope.zip: no such file"),
    (["--out", "{d}/ag.zip", "--rubric", "{d}/bad.toml"], "rubric: [points] 'softmax.sofmax' is not a formula id"),
])
def test_bad_input_is_one_line(tmp_path, capsys, argv, message):
    (tmp_path / "exists.zip").write_bytes(b"x")
    (tmp_path / "bad.toml").write_text('[points]\n"softmax.sofmax" = 2\n')
    rc = cli_main(["gradescope", *[a.format(d=tmp_path) for a in argv]])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1, err
    assert err.startswith("formulacheck gradescope: error: ") and message.format(d=tmp_path) in err, err
    assert not (tmp_path / "ag.zip").exists() and (tmp_path / "exists.zip").read_bytes() == b"x"
