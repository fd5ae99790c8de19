"""The sandbox's levels, their refusal, and the grader's own robustness (zygote timeouts).

The attacks themselves are in test_hostile_*.py (strongest level) and
test_levels_*.py (the lower ones).
"""

from __future__ import annotations

import csv
import json
import os
import signal
import time
from dataclasses import replace
from pathlib import Path

import pytest

from checks import registry

from checks.cli import main as cli_main
from checks.grader import isolation, report, sandbox, zygote
from checks.grader.grade import Grader
from checks.grader.rubric import Limits, Rubric, RubricError, parse

REF = Path(__file__).parent.parent.parent / "reference" / "activations.py"
IDS = ["activations.sigmoid", "activations.relu_backward"]
SRC = ("import numpy as np\n\n"
       "def sigmoid(x):\n    return 1.0 / (1.0 + np.exp(-x))\n\n"
       "def relu_backward(x, dy):\n    return dy * (x > 0)\n")
HAVE_BWRAP = isolation.detect().bwrap is not None


def _rubric():
    return replace(Rubric(), examples_default=3, limits=replace(Limits(), timeout=20.0, import_timeout=20.0))


def test_levels_are_ordered_and_parsed():
    assert [isolation.rank(x) for x in isolation.LEVELS] == list(range(len(isolation.LEVELS)))
    assert isolation.parse_requirement("require=namespaces+seccomp") == "namespaces+seccomp"
    assert isolation.parse_requirement("uid") == "uid"
    assert isolation.parse_requirement(None) is None
    with pytest.raises(isolation.IsolationError, match="unknown level 'require=namespace'.*namespaces\\+seccomp"):
        isolation.parse_requirement("require=namespace")


def test_level_for_each_machine():
    full = isolation.Capabilities("/usr/bin/bwrap", "", "", True, "v1", "")
    docker = isolation.Capabilities(None, "no namespaces", "", True, None, "no cgroup")
    bare = isolation.Capabilities(None, "no bwrap", "no libseccomp", False, None, "no cgroup")
    assert isolation.level_for(full, True) == "namespaces+seccomp"
    assert isolation.level_for(full, True, seccomp=False) == "namespaces"
    assert isolation.level_for(docker, True) == "seccomp+uid"
    assert isolation.level_for(docker, False) == "seccomp"
    assert isolation.level_for(bare, False) == "none"


def test_rubric_sandbox_key():
    assert parse({"sandbox": {"isolation": "require=namespaces"}}).isolation == "namespaces"
    assert parse({}).isolation is None
    with pytest.raises(RubricError, match=r"\[sandbox\].*unknown level"):
        parse({"sandbox": {"isolation": "strong"}})
    with pytest.raises(RubricError, match="level"):
        parse({"sandbox": {"level": "uid"}})


def test_a_required_level_that_cannot_be_had_is_refused_with_the_way_up():
    with pytest.raises(isolation.IsolationError) as e:
        Grader(_rubric(), ids=IDS, isolation="require=namespaces+seccomp", namespaces=False)
    msg = str(e.value)
    assert "refusing to grade at isolation level" in msg and "'namespaces+seccomp' is required" in msg
    assert "bubblewrap" in msg and "docs/grading.md" in msg


@pytest.mark.skipif(not HAVE_BWRAP, reason="bubblewrap is not usable here")
def test_the_level_is_recorded_in_every_output(tmp_path):
    d = tmp_path / "class"
    d.mkdir()
    (d / "a.py").write_text(SRC)
    (d / "b.py").write_text("raise SystemExit(3)\n")
    out, js = tmp_path / "g.csv", tmp_path / "js"
    assert cli_main(["grade", str(d), "--group", "activations", "--out", str(out),
                     "--json-dir", str(js), "--isolation", "require=namespaces+seccomp"]) == 0
    rows = list(csv.DictReader(out.open()))
    assert {r["isolation"] for r in rows} == {"namespaces+seccomp"}
    for f in js.iterdir():
        assert json.loads(f.read_text())["extra_data"]["isolation"] == "namespaces+seccomp"


def test_a_batch_refuses_level_none_unless_asked(tmp_path, monkeypatch, capsys):
    """Without bubblewrap, seccomp or root (the CLI as a normal user on a bare machine): refused, then allowed."""
    bare = isolation.Capabilities(None, "bubblewrap (bwrap) is not installed", "libseccomp is not usable", False,
                                  None, "no cgroup")
    monkeypatch.setattr(isolation, "detect", lambda refresh=False: bare)
    monkeypatch.setattr(sandbox, "can_drop_privileges", lambda: False)
    d = tmp_path / "class"
    d.mkdir()
    (d / "a.py").write_text(SRC)
    (d / "b.py").write_text(SRC)
    out = tmp_path / "g.csv"
    argv = ["grade", str(d), "--group", "activations", "--out", str(out)]
    assert cli_main(argv) == 2
    err = capsys.readouterr().err
    assert "refusing to grade at isolation level 'none'" in err and "--isolation require=none" in err
    assert "apt-get install bubblewrap" in err and not out.exists()
    assert cli_main(argv + ["--isolation", "require=none"]) == 0
    rows = list(csv.DictReader(out.open()))
    assert [r["isolation"] for r in rows] == ["none", "none"]
    assert [r["total"] for r in rows] == ["2", "2"]  # sigmoid and relu_backward


def _zygote_pids(g: Grader) -> int:
    return g._zygote.proc.pid


def test_a_stopped_zygote_is_replaced_within_its_timeout(tmp_path, monkeypatch):
    """SIGSTOP of the zygote (possible below namespaces): the request times out, a new zygote takes it."""
    monkeypatch.setattr(zygote, "ZYGOTE_TIMEOUT", 2.0)
    p = tmp_path / "a.py"
    p.write_text(SRC)
    with Grader(_rubric(), ids=IDS) as g:
        assert g.grade_file(str(p)).score == 2
        zpid = _zygote_pids(g)
        os.kill(zpid, signal.SIGSTOP)
        t0 = time.monotonic()
        r = g.grade_file(str(p))
        assert time.monotonic() - t0 < 20  # never a hang
        assert r.status == "ok" and r.score == 2, r.message  # never the submission's loss, nor a grader error
        assert g._zygote.restarts == 1
        with pytest.raises(ProcessLookupError):  # the stopped one was killed, not left behind
            for _ in range(100):
                os.kill(zpid, 0)
                time.sleep(0.02)
        assert g.grade_file(str(p)).score == 2


def test_the_cpu_backstop_leaves_room_for_the_feedbacks_searches():
    """RLIMIT_CPU of a worker covers every formula's budget AND the shrinking of failed ones."""
    from checks.grader.grade import SHRINK_MAX_SECONDS

    z = sandbox.Zygote()
    try:
        lim = Limits(timeout=2.0, import_timeout=5.0)
        n = len(registry.all_formulas())
        sb = sandbox.Sandbox(z, lim, Rubric().policy, "/tmp", n, shrink_seconds=SHRINK_MAX_SECONDS)
        try:
            assert sb.cpu_seconds >= lim.import_timeout + n * (lim.timeout + SHRINK_MAX_SECONDS)
        finally:
            sb.close()
    finally:
        z.close()


@pytest.mark.skipif(not HAVE_BWRAP, reason="bubblewrap is not usable here")
def test_what_the_submission_sees(tmp_path):
    """The file system, processes and network of a sandbox, as the submission reports them."""
    probe = SRC + '''
import os, json, socket, glob
ROOTS = ["/fc", "/tmp", "/etc", "/root", "/opt", "/home", "/work"] + glob.glob("/usr/lib/python3*") + glob.glob("/usr/local/lib/python3*")
def find(pattern):
    out = []
    for top in ROOTS:
        out += glob.glob(top + "/**/" + pattern, recursive=True)
    return out
seen = {
    "root": sorted(os.listdir("/")),
    "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
    "net": open("/proc/net/dev").read().count(":"),
    "torch": find("torch/_C*.so")[:3],  # the real torch (scipy ships an array-API shim named torch)
    "reference": find("reference/softmax.py")[:3],
    "site": {p: os.listdir(p) for p in find("site-packages") + find("dist-packages")},
    "cwd": os.getcwd(),
}
try:
    socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    seen["socket"] = "created"
except OSError as e:
    seen["socket"] = e.errno
try:
    open("/dev/shm/x", "w")
    seen["shm"] = "written"
except OSError as e:
    seen["shm"] = e.errno
try:
    with open("/tmp/big", "wb") as fh:
        for _ in range(100):
            fh.write(b"x" * (1 << 20))
    seen["tmp"] = "100 MB written"
except OSError as e:
    seen["tmp"] = e.errno
print("SEEN" + json.dumps(seen))
'''
    p = tmp_path / "probe.py"
    p.write_text(probe)
    rub = replace(_rubric(), limits=replace(_rubric().limits, tmpfs_mb=16, fsize_mb=200))
    with Grader(rub, ids=IDS) as g:
        r = g.grade_file(str(p))
    assert r.status == "ok" and r.score == 2 and r.isolation == "namespaces+seccomp"
    seen = json.loads(r.output.split("SEEN", 1)[1].splitlines()[0])
    top = isolation.interpreter().split("/")[1]  # where the interpreter lives (/usr, /root, /opt...)
    assert set(seen["root"]) <= {"dev", "etc", "fc", "lib", "lib32", "lib64", "libx32", "proc", "tmp", "usr", top}
    assert len(seen["pids"]) <= 4          # bwrap's init, the supervisor, the runner (+ the glob's own nothing)
    assert seen["net"] <= 2                # the header's "Inter-|" line and lo: no host interface
    assert seen["torch"] == [] and seen["reference"] == []
    assert seen["socket"] == 1             # EPERM: seccomp
    assert seen["shm"] in (2, 13, 30)      # ENOENT / EACCES / EROFS: /dev is read-only
    assert seen["tmp"] == 28               # ENOSPC: /tmp is a 16 MB tmpfs
    assert seen["cwd"] == "/tmp"
    assert all(v == [] for v in seen["site"].values()), seen["site"]  # every Python's packages: hidden
