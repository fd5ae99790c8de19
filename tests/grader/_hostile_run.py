"""Hostile submissions (tests/submissions/hostile/) against the sandbox, at its strongest level:
the constants, the classmate and the grading process of the test_hostile_*.py files.

The split of test_hostile.py: test_hostile_steal.py (the solution, the network, the vectors file),
test_hostile_procs.py (the worker's frames, other processes, resources, system calls),
test_hostile_outlive.py (what outlives a submission); their machinery: _hostile_run.py (constants,
the classmate, the grading process), _hostile_user.py (the grader as a normal user: modes, Env),
_hostile_checks.py (leftovers, the env fixture, the common verdict).

Each hostile file is graded IN THE SAME BATCH as a correct classmate (the
activations of reference/activations.py without their docstrings), with
``Grader(rubric, ids=ACTIVATIONS, jobs=2).grade_many`` (or the CLI
``formulacheck grade DIR --out grades.csv --json-dir D``) run in a separate
process: an attack on "the grader" then hits that process, never pytest.
Every test asserts:

- the hostile file earns no point it did not earn honestly (HONEST below:
  the formulas it implements for real), and the reference's text never
  shows in what it printed;
- the classmate keeps full marks;
- the grader neither crashes nor hangs (a time bound per batch);
- nothing is left behind: no process of a sandbox uid (61000-64999) or
  with "fchostile" in its command line, no new file in /tmp, /var/tmp,
  /dev/shm named fchostile* or owned by a sandbox uid, no System V IPC
  object of a sandbox uid;
- every result says ``isolation == "namespaces+seccomp"``: the grader is
  asked for that level (``Grader(..., isolation=...)``, refusing to grade
  below it) whenever it accepts the argument.

The tests need bubblewrap (/usr/bin/bwrap, usable here); they skip with the
reason otherwise. Against a grader that has no ``isolation`` yet they still
run (without asking for a level), so each attack that works there fails on
its own assertion before the isolation one; a grader that refuses the level
(IsolationError: no seccomp, no cgroups...) makes them skip with its reason.

The grading runs use the tree this file is in (PYTHONPATH), not whatever the
venv has installed, and tolerate concurrent runs of this file: batch folders
(/tmp/fchostile-batch-*) are never another test's leftovers, processes under
another live grader are not this test's.

The grader as a NORMAL USER (the tests parametrised with ``mode`` "user"):
CI runs as root and the interpreter lives under /root (0700), so the grading
process runs in a user namespace that maps the current uid to uid 1000
(``unshare --user --map-user=1000 --map-group=1000``): there ``geteuid()`` is
1000, ``isolation.detect()`` says root=False and cgroup=None, and the grader
takes its non-root path (bwrap unprivileged, with its own user namespace; no
private uid; RLIMITs instead of cgroups). The same assertions hold, plus
``resources == "rlimit"``, and "nothing left behind" also means: no process
in that user namespace or in one nested in it (bwrap's), the grader's $TMPDIR
(private to the test) empty. One limit of that emulation: the kernel still
sees uid 0, and it never enforces RLIMIT_NPROC for uid 0 (``copy_process``:
``real_cred->user == INIT_USER``), so the fork bomb also runs with the grader
as a REAL unprivileged uid (``mode`` "realuser": in a private mount namespace
/root becomes a tmpfs holding only the interpreter's tree, then ``setpriv``
to an unused uid in 59000-59999; also used for the PID-1 injection below).
Where an attack still has an effect at the normal-user level (no cgroups:
memory and CPU limited per process), the test asserts what does hold and
records the numbers (``record_property``; printed with FCHOSTILE_VERBOSE=1).
A grader bug found this way (PID 1 of the sandbox without a filter, see
``test_no_code_runs_outside_the_seccomp_filter``) was fixed.
"""

from __future__ import annotations

import ast
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ROOT / "tests" / "submissions" / "hostile"
BWRAP = "/usr/bin/bwrap"
LEVEL = "namespaces+seccomp"
SANDBOX_UIDS = range(61000, 65000)
USER_UID = 1000                          # the normal user's uid in the emulating user namespace
REALUSER_UIDS = range(59000, 60000)      # "realuser" mode: an unused uid from here (not a sandbox uid)
MODES = ("root", "user")                 # the grading process as this test / as a normal user
MARK = "fchostile"
CANARY = ("FCHOSTILE_CANARY", "fchostile-canary-3f9a1c")
ACTIVATIONS = ["activations.sigmoid", "activations.sigmoid_backward", "activations.tanh_backward",
               "activations.relu_backward", "activations.leaky_relu_backward", "activations.prelu_backward"]
SIG = {"activations.sigmoid"}
#: per hostile file: the formulas it implements honestly (the only points it may get)
HONEST = {
    "read_reference": set(), "bypass_guard_reference": set(), "bypass_guard_torch": set(),
    "copy_classmate_cmdline": set(), "copy_classmate_scan": set(), "download_socket": set(),
    "patch_worker_compare": SIG, "forge_fatal_frame": SIG, "forge_late_frames": SIG,
    "read_vectors_memory": set(), "kill_grader": SIG, "daemon_rewrite": SIG, "plant_files": SIG,
    "plant_check": set(), "starve_cpu": SIG, "memory_hog": SIG, "fill_tmp": SIG, "libc_syscalls": SIG,
    "exec_interpreter": set(), "fork_bomb": SIG, "signals_threads": SIG, "huge_reply": set(),
    "tamper_files": SIG, "env_passwd": SIG, "inject_sandbox_init": SIG,
}
#: text that only the reference has (its docstrings): must never reach a submission's output
REFERENCE_TEXT = ("Logistic sigmoid, stable for", "Activations and their backward passes", "LEAK-BEGIN")


def _bwrap_problem() -> str | None:
    if not os.path.exists(BWRAP):
        return f"bubblewrap ({BWRAP}) is not installed: the {LEVEL!r} sandbox level cannot be tested"
    try:
        r = subprocess.run([BWRAP, "--ro-bind", "/", "/", "--unshare-all", "true"], capture_output=True, timeout=20)
    except (OSError, subprocess.SubprocessError) as e:
        return f"bubblewrap cannot run here: {e}"
    if r.returncode != 0:
        return f"bubblewrap cannot create namespaces here: {r.stderr.decode(errors='replace').strip()[:200]}"
    return None


_PROBLEM = _bwrap_problem()


def _status(pid: str) -> dict:
    out = {}
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                k, _, v = line.partition(":")
                out[k] = v.split()
    except OSError:
        pass
    return out


def _cmdline(pid) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read()
    except OSError:
        return b""


# --------------------------------------------------------------------------
# the classmate
# --------------------------------------------------------------------------

def neighbour_source(burn_cpu: float = 0.0) -> str:
    """reference/activations.py without its docstrings (so that its text is not the reference's);
    with ``burn_cpu`` s of CPU in the first call of each function (a correct but slow classmate)."""
    tree = ast.parse((ROOT / "reference" / "activations.py").read_text())
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]
    src = "# a classmate's correct activations\n" + ast.unparse(tree) + "\n"
    if burn_cpu:
        src += f'''

import time as _time
_first = set()


def _slow(f):
    def g(*a, **k):
        if f.__name__ not in _first:
            _first.add(f.__name__)
            end = _time.process_time() + {burn_cpu!r}
            while _time.process_time() < end:
                pass
        return f(*a, **k)
    g.__name__ = f.__name__
    return g


for _n in {[f.split(".")[1] for f in ACTIVATIONS]!r}:
    globals()[_n] = _slow(globals()[_n])
'''
    return src


# --------------------------------------------------------------------------
# grading in a separate process
# --------------------------------------------------------------------------

DRIVER = r'''
import inspect, json, os, resource, sys, time
from dataclasses import replace
from checks.grader import isolation
from checks.grader.grade import Grader
from checks.grader.rubric import Limits, Rubric

cfg = json.load(open(sys.argv[1]))
paths = sys.argv[3:]
rub = replace(Rubric(), examples_default=cfg["examples"], examples=cfg.get("examples_by_id", {}),
              limits=replace(Limits(), timeout=cfg["timeout"], import_timeout=cfg["import_timeout"]))
kw = {}
supports = "isolation" in inspect.signature(Grader).parameters
if supports:
    kw["isolation"] = cfg["isolation"]
t0 = time.monotonic()
try:
    g = Grader(rub, vectors=cfg.get("vectors"), ids=cfg["ids"], jobs=cfg["jobs"], **kw)
except Exception as e:
    if type(e).__name__ != "IsolationError":
        raise
    with open(cfg["out"], "w") as fh:  # this machine cannot give the level: the test skips, saying why
        json.dump({"refused": str(e)}, fh)
    sys.exit(0)
with g:
    results = g.grade_many(paths)
caps = isolation.detect()
out = {"supports_isolation": supports, "seconds": time.monotonic() - t0,
       "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "results": [],
       "grader": {"euid": os.geteuid(), "root": caps.root, "cgroup": caps.cgroup,
                  "vectors": g.vectors_path, "vectors_sha256": g.vectors.sha256 if g.vectors else None}}
for r in results:
    out["results"].append({
        "name": r.name, "status": r.status, "message": r.message, "score": r.score, "max_score": r.max_score,
        "output": r.output, "isolation": getattr(r, "isolation", None), "resources": getattr(r, "resources", None),
        "vectors": getattr(r, "vectors", None), "tests": [{"id": t.id, "score": t.score, "max_score": t.max_score, "verdict": t.verdict,
                   "reason": t.reason, "feedback": t.feedback} for t in r.tests]})
with open(cfg["out"], "w") as fh:
    json.dump(out, fh)
'''


@dataclass
class Batch:
    results: dict                  # file name -> result dict (see DRIVER)
    hostile: dict
    neighbour: dict
    seconds: float
    maxrss_kb: int = 0
    supports_isolation: bool = False
    report: dict = field(default_factory=dict)   # the hostile file's "FCH key=value" lines
    grader: dict = field(default_factory=dict)   # the grading process: euid, root, cgroup, vectors (DRIVER)

    def say(self) -> str:
        h = self.hostile
        lines = [f"hostile {h['name']}: {h['status']} {h['score']}/{h['max_score']} {h['message'][:300]}"]
        lines += [f"  {t['id']}: {t['verdict']} {t['score']} {t['reason'][:160]}" for t in h["tests"]]
        n = self.neighbour
        lines += [f"neighbour {n['name']}: {n['status']} {n['score']}/{n['max_score']} {n['message'][:200]}"]
        lines += [f"  {t['id']}: {t['verdict']} {t['reason'][:160]}" for t in n["tests"] if t["score"] < t["max_score"]]
        lines += [f"report: {self.report}"]
        return "\n".join(lines)


def parse_report(output: str) -> dict:
    rep = {}
    for m in re.finditer(r"^FCH ([^=\s]+)=(.*)$", output, re.M):
        rep[m.group(1)] = m.group(2).strip()
    return rep


def _env() -> dict:
    env = dict(os.environ)
    env[CANARY[0]] = CANARY[1]
    env["PYTHONPATH"] = str(ROOT)  # the tree under test, whatever the venv has installed
    return env


def _run_bounded(argv: list[str], env: dict, bound: float, cwd: str, namespaces: list[int] | None = None,
                 sampler: "Sampler | None" = None) -> tuple[int, str, float]:
    """Run ``argv`` in its own session; kill its process group after ``bound`` seconds.

    ``namespaces``: ``argv`` starts with ``unshare --user``; a descriptor of the user namespace it
    creates is appended there (held open, so that its inode stays its own until the test ends).
    ``sampler`` (a :class:`Sampler`) runs while the process does."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True)
    if namespaces is not None:
        fd = _catch_userns(p.pid)
        if fd is not None:
            namespaces.append(fd)
    if sampler is not None:
        sampler.start()
    try:
        out, _ = p.communicate(timeout=bound)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, _ = p.communicate()
        pytest.fail(f"the grader hung: still running after {bound:g} s\n{out.decode(errors='replace')[-3000:]}")
    finally:
        if sampler is not None:
            sampler.stop.set()
            sampler.join(5)
    return p.returncode, out.decode(errors="replace"), time.monotonic() - t0


def _catch_userns(pid: int, seconds: float = 10.0) -> int | None:
    """A descriptor of ``pid``'s user namespace once it has left ours (``unshare --user`` did its work)."""
    own, end = os.readlink("/proc/self/ns/user"), time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            if os.readlink(f"/proc/{pid}/ns/user") != own:
                return os.open(f"/proc/{pid}/ns/user", os.O_RDONLY)
        except OSError:
            return None  # already gone (then it failed, and the test says so)
        time.sleep(0.0005)
    return None


CLI = "import sys; from checks.cli import main; sys.exit(main(sys.argv[1:]))"  # `formulacheck` of this tree
