"""Hostile submissions at namespaces+seccomp: stealing the solution (the reference, the classmate,
the network, the hidden vectors file and the grader's memory).

Part of the split of test_hostile.py (the design of these tests: the docstring of
tests/grader/_hostile_run.py; the machinery: _hostile_run.py, _hostile_user.py, _hostile_checks.py).
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np
import pytest

from tests.grader._hostile_checks import BOTH, check_batch, grade_one, note
from tests.grader._hostile_run import (
    _env, _PROBLEM, ACTIVATIONS, CLI, HOSTILE, MARK, neighbour_source, parse_report,
)
from tests.grader._hostile_user import mode, realuser  # noqa: F401  fixtures
from tests.grader._hostile_checks import env  # noqa: F401  fixtures

pytestmark = pytest.mark.skipif(_PROBLEM is not None, reason=_PROBLEM or "")


# --------------------------------------------------------------------------
# stealing the solution
# --------------------------------------------------------------------------

STEALERS = ["read_reference", "bypass_guard_reference", "copy_classmate_cmdline", "copy_classmate_scan",
            "exec_interpreter", "bypass_guard_torch"]


@pytest.mark.parametrize("mode,stem", [("root", s) for s in STEALERS] + [("user", "copy_classmate_scan")],
                         indirect=["mode"])
def test_no_stolen_solution(env, stem):
    """The reference (open(), import, /bin/sh), torch (import, another interpreter) and the classmate's file are out of reach."""
    b = grade_one(env, stem, import_timeout=15.0)
    check_batch(b, env)
    assert b.hostile["score"] == 0


@BOTH
def test_no_download_and_no_network(env):
    served = {"tcp": 0, "unix": 0}
    src = neighbour_source().encode()
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(8)
    port = tcp.getsockname()[1]
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix.bind(f"\0{MARK}-solution-{port}")
    unix.listen(8)
    stop = threading.Event()

    def serve(s, key):
        s.settimeout(0.2)
        while not stop.is_set():
            try:
                c, _ = s.accept()
            except (socket.timeout, OSError):
                continue
            served[key] += 1
            with c:
                c.sendall(src)

    ts = [threading.Thread(target=serve, args=(tcp, "tcp"), daemon=True),
          threading.Thread(target=serve, args=(unix, "unix"), daemon=True)]
    for t in ts:
        t.start()
    try:
        env.subst["__FC_PORT__"] = str(port)
        b = grade_one(env, "download_socket")
    finally:
        stop.set()
        for t in ts:
            t.join(2)
        tcp.close()
        unix.close()
    assert served == {"tcp": 0, "unix": 0}, f"the submission reached the test's servers: {served}\n{b.say()}"
    rep = b.report
    links = rep.get("netlink_links", "")
    assert links.startswith("failed") or set(links.split(",")) <= {"lo", "(none)"}, f"netlink shows the machine's network: {links}"
    assert rep.get("af_packet", "").startswith("failed"), rep
    check_batch(b, env)


HIDDEN_SEED = 730_211_977  # the hidden file of these tests (not the public seed, not test_levels.py's)


@pytest.fixture(scope="module")
def hidden_vectors(tmp_path_factory) -> str:
    """A small HIDDEN vectors file of ACTIVATIONS (5 examples each), built once per module with the CLI
    (``formulacheck vectors build --seed``) in a separate process (torch stays out of pytest)."""
    d = tmp_path_factory.mktemp("fc-hidden-vectors")
    (d / "rubric.toml").write_text("[examples]\ndefault = 5\n")
    out = d / "hidden.zip"
    argv = [sys.executable, "-c", CLI, "vectors", "build", "--out", str(out), "--seed", str(HIDDEN_SEED),
            "--rubric", str(d / "rubric.toml"), *(a for fid in ACTIVATIONS for a in ("--id", fid))]
    r = subprocess.run(argv, capture_output=True, text=True, env=_env(), cwd=str(d), timeout=180)
    assert r.returncode == 0 and out.exists(), f"could not build the hidden vectors file:\n{r.stdout}{r.stderr}"
    return str(out)


def attack_control(source: str) -> tuple[dict, dict]:
    """Part 1 of read_vectors_memory (its definitions, then ``_load_vectors()``) run in THIS process,
    outside any sandbox: (its FCH report, its namespace). Part 2 (the memory of the ancestors) is not run."""
    tree = ast.parse(source)
    tree.body = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef, ast.Assign))]
    ns: dict = {"__name__": f"{MARK}_control"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(tree, "read_vectors_memory.py", "exec"), ns)
        ns["_load_vectors"]()
    return parse_report(out.getvalue()), ns


def _same_answer(got, exp) -> bool:
    if isinstance(exp, (tuple, list)):
        return type(got) is type(exp) and len(got) == len(exp) and all(map(_same_answer, got, exp))
    return (type(got) is type(exp) and np.shape(got) == np.shape(exp)
            and np.array_equal(np.asarray(got), np.asarray(exp), equal_nan=True))


@pytest.mark.parametrize("mode,where", [("root", "tmp"), ("user", "tmp"), ("user", "home")], indirect=["mode"])
def test_no_expected_answers_from_the_vectors_file_or_the_graders_memory(env, where, hidden_vectors, request):
    """The instructor's HIDDEN vectors file (0600, owned by the grading user, in /tmp or in the grader's
    $HOME; its real path written into the attack, and given to the grader as ``vectors``) and the memory
    of the processes above the submission are out of reach.

    Control: the same attack code run here, outside the sandbox, on the same file finds the answer of
    every case (so inside the sandbox it had a real target). Memory: inside the sandbox's PID namespace
    the runner's parent is PID 1 (the supervisor), so the attack sees no ancestor to read (recorded:
    ``memory_reads_tried``); whatever it tries must fail."""
    from checks.core import vecfile

    place = env.home if where == "home" else Path(tempfile.mkdtemp(prefix=f"{MARK}-batch-vectors-", dir="/tmp"))
    owner = env.realuid if env.realuid is not None else os.getuid()  # the user that runs the grader
    try:
        path = place / "hidden.zip"
        # 0600 from its creation: never readable by others, not even for a moment (a concurrent test's
        # submission globbing /tmp would find it)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(Path(hidden_vectors).read_bytes())
        os.chown(path, owner, owner)
        os.chmod(path, 0o600)
        os.chmod(place, 0o755)  # a folder others may list and traverse (mkdtemp made it 0700)
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        hidden = vecfile.read(str(path))
        assert hidden.manifest["visibility"] == "hidden" and set(hidden.formulas) == set(ACTIVATIONS), hidden.manifest
        env.subst["__FC_VECTORS__"] = str(path)
        source = (HOSTILE / "read_vectors_memory.py").read_text().replace("__FC_VECTORS__", str(path))
        ctl, ns = attack_control(source)
        assert int(ctl.get("vectors_files_read", "0")) >= 1, f"the attack cannot read the file even outside: {ctl}"
        looked = missed = 0
        for fv in hidden.formulas.values():
            f = ns["_make"](fv.fn_name)
            for o in fv.oracles:
                for i, exp in zip(o.cases, o.expected):
                    c = fv.cases[i]
                    try:
                        ok = _same_answer(f(*c.args, **c.kwargs), exp)
                    except KeyError:
                        ok = False
                    looked, missed = looked + 1, missed + (not ok)
        assert looked and not missed, f"outside the sandbox the attack's lookup missed {missed} of {looked} answers"
        b = grade_one(env, "read_vectors_memory", vectors=str(path))
    finally:
        if where == "tmp":
            shutil.rmtree(place, ignore_errors=True)
    rep = b.report
    assert (b.grader.get("vectors"), b.grader.get("vectors_sha256")) == (str(path), sha), b.grader
    graded_with = {r["name"]: r["vectors"] for r in (b.hostile, b.neighbour)}
    assert set(graded_with.values()) == {sha}, f"not graded against the hidden file {sha[:16]}: {graded_with}"
    assert rep.get("vectors_files_read") == "0", f"the hidden vectors file was read\n{b.say()}"
    peeks = {k: v for k, v in rep.items() if k.split("_")[0] in ("maps", "proc", "process", "ptrace")}
    ok = {k: v for k, v in peeks.items() if not v.startswith("failed")}
    assert not ok, f"the grader's memory was readable: {ok}\n{b.say()}"
    note(request, control_answers=looked, vectors_candidates=rep.get("vectors_candidates"),
         vectors_seen=rep.get("vectors_seen"), memory_reads_tried=len(peeks))
    check_batch(b, env)
