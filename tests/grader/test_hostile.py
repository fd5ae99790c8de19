"""Hostile submissions (tests/submissions/hostile/) against the sandbox, at its strongest level.

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
import contextlib
import csv
import fcntl
import functools
import hashlib
import inspect
import io
import json
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
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
pytestmark = pytest.mark.skipif(_PROBLEM is not None, reason=_PROBLEM or "")


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


# --------------------------------------------------------------------------
# the grader as a normal user
# --------------------------------------------------------------------------

UNSHARE = shutil.which("unshare") or "/usr/bin/unshare"
SETPRIV = shutil.which("setpriv") or "/usr/bin/setpriv"
#: "user" mode: the grading process in a user namespace where the current uid is USER_UID
USER_WRAP = [UNSHARE, "--user", f"--map-user={USER_UID}", f"--map-group={USER_UID}", "--"]
NS_GET_PARENT = 0xB702  # _IO(0xb7, 0x2): the parent of a user namespace (ioctl on its nsfs descriptor)
#: "realuser" mode: in a private mount namespace the interpreter's tree is made reachable by other
#: users (the closed folder on its way, e.g. /root, becomes a tmpfs holding only that tree), then
#: the grading process is started as the unprivileged uid $1
REACH_SH = """set -e
uid=$1 blocker=$2 child=$3 stash=$4
shift 4
if [ -n "$blocker" ]; then
  mount --rbind "$blocker/$child" "$stash"
  mount -t tmpfs -o mode=0755,size=1m fchostile-reach "$blocker"
  mkdir -m 0755 "$blocker/$child"
  mount --move "$stash" "$blocker/$child"
fi
exec "$FCHOSTILE_SETPRIV" --reuid="$uid" --regid="$uid" --clear-groups -- "$@"
"""
PROBE = """
import json, os
from checks.grader import isolation
c = isolation.detect()
print("FCHPROBE " + json.dumps({"euid": os.geteuid(), "root": c.root, "cgroup": c.cgroup, "bwrap": c.bwrap,
                                "bwrap_why": c.bwrap_why, "seccomp_why": c.seccomp_why}))
"""


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


def _userns_chain(pid: str) -> list[int]:
    """Inodes of ``pid``'s user namespace and of each of its ancestors (NS_GET_PARENT), innermost first."""
    try:
        fd = os.open(f"/proc/{pid}/ns/user", os.O_RDONLY)
    except OSError:
        return []
    out = []
    try:
        for _ in range(40):
            out.append(os.fstat(fd).st_ino)
            try:
                parent = fcntl.ioctl(fd, NS_GET_PARENT)
            except OSError:  # the initial namespace (EPERM)
                break
            os.close(fd)
            fd = parent
    finally:
        os.close(fd)
    return out


def processes_in_userns(roots: set[int]) -> dict[str, str]:
    """Live processes (zombies aside) whose user namespace is one of ``roots`` or nested in one."""
    out = {}
    if not roots:
        return out
    for d in os.listdir("/proc"):
        if not d.isdigit() or d == str(os.getpid()):
            continue
        st = _status(d)
        if not st or st.get("State", ["?"])[0] == "Z":
            continue
        if roots & set(_userns_chain(d)):
            cmd = _cmdline(d).replace(b"\0", b" ").decode(errors="replace")[:120]
            out[d] = f"in the grading run's user namespace: {cmd}"
    return out


def _probe(argv: list[str], env: dict) -> dict | str:
    code = f"import sys; sys.path.insert(0, {str(ROOT)!r})\n" + PROBE
    try:
        r = subprocess.run(argv + [sys.executable, "-I", "-c", code], capture_output=True, timeout=60, env=env,
                           cwd=str(ROOT), stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as e:
        return f"could not run {argv[0]}: {e}"
    m = re.search(rb"^FCHPROBE (.*)$", r.stdout, re.M)
    if r.returncode != 0 or m is None:
        return f"exit {r.returncode}: {(r.stderr or r.stdout).decode(errors='replace').strip()[-300:]}"
    return json.loads(m.group(1))


def _check_probe(got: dict | str, uid: int, how: str) -> str | None:
    if isinstance(got, str):
        return f"{how} does not work here: {got}"
    if got["euid"] != uid:
        return f"{how}: geteuid() is {got['euid']} there, not {uid}"
    if got["root"] or got["cgroup"] is not None:
        return f"{how}: the grader would not take its non-root path (root={got['root']}, cgroup={got['cgroup']})"
    if got["bwrap"] is None:
        return f"{how}: bubblewrap does not work nested in it: {got['bwrap_why']}"
    if got["seccomp_why"]:
        return f"{how}: seccomp is not available in it: {got['seccomp_why']}"
    return None


@functools.lru_cache(maxsize=None)
def user_mode_problem() -> str | None:
    """None when ``unshare --user --map-user=1000`` gives the grader its non-root path with a working nested bwrap."""
    how = f"unshare --user --map-user={USER_UID} --map-group={USER_UID}"
    if not os.path.exists(UNSHARE):
        return f"{how}: util-linux's unshare is not installed"
    return _check_probe(_probe(USER_WRAP, dict(os.environ, PYTHONPATH=str(ROOT))), USER_UID, how)


def _reach_points() -> tuple[str, str] | str:
    """(folder, child): the folder on the interpreter's way that other users cannot traverse (e.g. /root)
    and its child that holds the interpreter; ("", "") when there is none; else why it cannot be done."""
    base = Path(os.path.realpath(sys.base_prefix))
    found = []
    for i in range(1, len(base.parts)):
        d = Path(*base.parts[:i])
        if not os.stat(d).st_mode & stat.S_IXOTH:
            found.append((str(d), base.parts[i]))
    if len(found) > 1:
        return f"more than one folder on the way to {base} is closed to other users: {found}"
    for other in (Path(sys.prefix), ROOT):  # the venv and the project must be reachable already
        for i in range(1, len(other.parts) + 1):
            d = Path(*other.parts[:i])
            if not os.stat(d).st_mode & stat.S_IXOTH and not (found and str(d) == found[0][0]):
                return f"{d} (on the way to {other}) is closed to other users"
    return found[0] if found else ("", "")


def realuser_argv(uid: int, stash: str) -> list[str]:
    blocker, child = _reach_points()
    return [UNSHARE, "--mount", "--propagation", "private", "--", "/bin/sh", "-c", REACH_SH, "sh",
            str(uid), blocker, child, stash]


def _uid_free(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
        return False
    except KeyError:
        pass
    return not any(d.isdigit() and _status(d).get("Uid", ["-1"])[0] == str(uid) for d in os.listdir("/proc"))


@pytest.fixture(scope="module")
def realuser(tmp_path_factory):
    """An unused unprivileged uid (59000-59999) that can run the grader here (a lock held per test process)."""
    if os.geteuid() != 0:
        pytest.skip("the realuser mode starts the grader as another uid: it needs root")
    if not (os.path.exists(UNSHARE) and os.path.exists(SETPRIV)):
        pytest.skip("the realuser mode needs util-linux's unshare and setpriv")
    reach = _reach_points()
    if isinstance(reach, str):
        pytest.skip(f"the realuser mode cannot make the interpreter reachable: {reach}")
    locks = tmp_path_factory.getbasetemp().parent / f"{MARK}-realuser-uids"  # shared by pytest-xdist's workers
    locks.mkdir(mode=0o700, exist_ok=True)
    for uid in REALUSER_UIDS:
        fh = open(locks / f"{uid}.lock", "a")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            continue
        if _uid_free(uid):
            break
        fh.close()
    else:
        pytest.skip(f"no unused uid in {REALUSER_UIDS.start}..{REALUSER_UIDS.stop - 1}")
    stash = Path(tempfile.mkdtemp(prefix=f"{MARK}-batch-pytest-stash-", dir="/tmp"))
    try:
        env = dict(os.environ, PYTHONPATH=str(ROOT), HOME="/nonexistent", FCHOSTILE_SETPRIV=SETPRIV)
        problem = _check_probe(_probe(realuser_argv(uid, str(stash)), env), uid, f"the unprivileged uid {uid}")
        if problem:
            pytest.skip(problem)
        yield uid
    finally:
        stash.rmdir()
        fh.close()


class Sampler(threading.Thread):
    """While a grading run lasts: how many processes each sandbox had at once and the memory they
    held together (the sum of their PSS, from /proc/<pid>/smaps_rollup), every 0.2 s.

    A sandbox's processes: those running the worker's code (``checks.worker.serve``: the supervisor,
    the runner and what it forked) in the run's user namespaces ("user") or of the run's uid
    ("realuser"), grouped by their innermost user namespace (bubblewrap gives each sandbox its own)."""

    def __init__(self, roots: list[int] | None = None, uid: int | None = None):
        super().__init__(daemon=True)
        self.roots, self.uid = roots, uid
        self.stop = threading.Event()
        self.max_procs = 0
        self.max_mb = 0.0

    @staticmethod
    def _pss_kb(pid: str) -> int:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        return int(line.split()[1])
        except (OSError, ValueError, IndexError):
            pass
        return 0

    def sample(self) -> None:
        roots = {os.fstat(fd).st_ino for fd in self.roots} if self.roots else set()
        groups: dict[int, list[str]] = {}
        for d in os.listdir("/proc"):
            if not d.isdigit() or b"checks.worker.serve" not in _cmdline(d):
                continue
            chain = _userns_chain(d)
            if not chain:
                continue
            if self.uid is not None and _status(d).get("Uid", ["-1"])[0] != str(self.uid):
                continue
            if self.uid is None and not roots & set(chain):
                continue
            groups.setdefault(chain[0], []).append(d)
        for pids in groups.values():
            self.max_procs = max(self.max_procs, len(pids))
            self.max_mb = max(self.max_mb, sum(self._pss_kb(p) for p in pids) / 1024)

    def run(self) -> None:
        while not self.stop.wait(0.2):
            self.sample()

    def numbers(self) -> dict:
        return {"sandbox_max_processes": self.max_procs, "sandbox_max_mb": round(self.max_mb)}


class Env:
    """One test's batch folder (world-readable, like a class folder), output folder and helpers.

    ``mode``: "root" (the grading process runs as this test, root in CI), "user" (in a user
    namespace where this uid is USER_UID: the grader's non-root path) or "realuser" (as the
    unprivileged uid ``realuid``; its folders then live under /tmp, owned by it)."""

    def __init__(self, tmp_path: Path, mode: str = "root", realuid: int | None = None):
        self.tmp = tmp_path
        self.mode = mode
        self.realuid = realuid
        self.batch = Path(tempfile.mkdtemp(prefix=f"{MARK}-batch-", dir="/tmp"))
        os.chmod(self.batch, 0o755)
        self.subst: dict[str, str] = {}
        self.namespaces: list[int] = []     # "user": descriptors of the grading runs' user namespaces
        self.sampler: Sampler | None = None  # not "root": the last run's numbers
        self.work = tmp_path                # the runs' configs, outputs, $HOME, $TMPDIR
        if mode == "realuser":
            # out of pytest's 0700 folders; "pytest" in the name: a live run is no other test's stray
            self.work = Path(tempfile.mkdtemp(prefix=f"{MARK}-batch-pytest-realuser-", dir="/tmp"))
        self.home, self.tmpdir = self.work / "home", self.work / "tmpdir"
        if mode != "root":
            self.home.mkdir()
            self.tmpdir.mkdir()
        if mode == "realuser":
            (self.work / "stash").mkdir()
            for p in (self.work, self.home, self.tmpdir):
                os.chown(p, realuid, realuid)

    def run(self, argv: list[str], bound: float, cwd: str) -> tuple[int, str, float]:
        """``argv`` (a grading process) in this test's mode."""
        env = _env()
        if self.mode == "root":
            return _run_bounded(argv, env, bound, cwd)
        env.update(HOME=str(self.home), TMPDIR=str(self.tmpdir))
        if self.mode == "user":
            fresh: list[int] = []
            self.sampler = Sampler(roots=fresh)
            try:
                return _run_bounded(USER_WRAP + argv, env, bound, cwd, namespaces=fresh, sampler=self.sampler)
            finally:
                self.namespaces += fresh
        env["FCHOSTILE_SETPRIV"] = SETPRIV
        self.sampler = Sampler(uid=self.realuid)
        return _run_bounded(realuser_argv(self.realuid, str(self.work / "stash")) + argv, env, bound, cwd,
                            sampler=self.sampler)

    def put(self, name: str, text: str) -> str:
        for k, v in self.subst.items():
            text = text.replace(k, v)
        p = self.batch / name
        p.write_text(text, encoding="utf-8")
        os.chmod(p, 0o644)
        return str(p)

    def put_hostile(self, stem: str) -> str:
        return self.put(f"{stem}.py", (HOSTILE / f"{stem}.py").read_text())

    def grade(self, files: list[str], hostile: str, neighbour: str, *, ids=ACTIVATIONS, jobs=2, timeout=3.0,
              import_timeout=5.0, examples=5, examples_by_id=None, bound=60.0, vectors: str | None = None) -> Batch:
        """Grade ``files`` in one batch; ``vectors``: the vectors file (None: the package's public one)."""
        cfg_path, out_path = self.work / f"cfg-{time.monotonic_ns()}.json", self.work / f"out-{time.monotonic_ns()}.json"
        cfg_path.write_text(json.dumps({"ids": ids, "jobs": jobs, "timeout": timeout, "import_timeout": import_timeout,
                                        "examples": examples, "examples_by_id": examples_by_id or {},
                                        "isolation": LEVEL, "vectors": vectors, "out": str(out_path)}))
        os.chmod(cfg_path, 0o644)
        rc, out, secs = self.run([sys.executable, "-c", DRIVER, str(cfg_path), f"{MARK}-driver", *files],
                                 bound, str(ROOT))
        assert rc == 0 and out_path.exists(), f"the grader crashed (exit {rc}):\n{out[-4000:]}"
        data = json.loads(out_path.read_text())
        if "refused" in data:
            pytest.skip(f"the grader cannot give the {LEVEL!r} level here: {data['refused'][:300]}")
        res = {r["name"]: r for r in data["results"]}
        h = res[os.path.basename(hostile)]
        return Batch(res, h, res[os.path.basename(neighbour)], secs, data["maxrss_kb"], data["supports_isolation"],
                     parse_report(h["output"]), data.get("grader", {}))

    def close(self) -> None:
        shutil.rmtree(self.batch, ignore_errors=True)
        if self.mode == "realuser":
            shutil.rmtree(self.work, ignore_errors=True)

    def release(self) -> None:
        """After the leftovers' cleanup (which looks into these namespaces)."""
        for fd in self.namespaces:
            os.close(fd)
        self.namespaces = []


@pytest.fixture
def mode(request) -> str:
    """"root" unless the test is parametrised with ``mode`` (indirect); skips when the mode cannot be had."""
    m = getattr(request, "param", "root")
    if m == "user":
        problem = user_mode_problem()
        if problem:
            pytest.skip(f"the normal-user mode cannot be tested here: {problem}")
    return m


# --------------------------------------------------------------------------
# leftovers
# --------------------------------------------------------------------------

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


def _is_sandbox_root(cmd: bytes) -> bool:
    """A grader's zygote / bwrap / worker supervisor, or another test's grading process (its driver, its CLI)."""
    return (b"zygote_main" in cmd or b"bwrap" in cmd or b"checks.worker" in cmd or f"{MARK}-driver".encode() in cmd
            or (b"checks.cli" in cmd and f"{MARK}-batch-".encode() in cmd))


def _foreign_sandbox_descendant(pid: str, mine: set[str]) -> bool:
    """Under a live zygote / bwrap that is not part of this test (another grader running on the machine)?"""
    p = pid
    for _ in range(50):
        st = _status(p)
        pp = st.get("PPid", ["0"])[0]
        if pp in ("0", "1"):
            return False
        c = _cmdline(pp)
        if _is_sandbox_root(c) and pp not in mine and _status(pp).get("PPid", ["1"])[0] != "1":
            return True  # a live grader's zygote / bwrap (an orphaned one is a leftover, not foreign)
        p = pp
    return False


def stray_processes(baseline: set[str]) -> dict[str, str]:
    me = {str(os.getpid())}
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit() or d in me:
            continue
        st = _status(d)
        if not st or st.get("State", ["?"])[0] == "Z":
            continue
        uid = int(st.get("Uid", ["0"])[0])
        cmd = _cmdline(d)
        orphan_zygote = _is_sandbox_root(cmd) and st.get("PPid", ["0"])[0] == "1"
        if uid in SANDBOX_UIDS or orphan_zygote or (MARK.encode() in cmd and b"pytest" not in cmd):
            if d in baseline or _foreign_sandbox_descendant(d, set()):
                continue
            text = cmd.replace(b"\0", b" ").decode(errors="replace")[:120]
            out[d] = f"uid {uid}: {text}"
    return out


PLACES = ("/tmp", "/var/tmp", "/dev/shm")


def _entries() -> dict[str, os.stat_result]:
    out = {}
    for d in PLACES:
        try:
            for e in os.scandir(d):
                try:
                    out[e.path] = e.stat(follow_symlinks=False)
                except OSError:
                    pass
        except OSError:
            pass
    return out


def _sysv() -> list[tuple[str, str, int, int]]:
    """(kind, id, key, uid) of every System V IPC object of a sandbox uid or with an fchostile key (0xFC05....)."""
    out = []
    for kind in ("shm", "msg", "sem"):
        try:
            with open(f"/proc/sysvipc/{kind}") as fh:
                head = fh.readline().split()
                for line in fh:
                    row = dict(zip(head, line.split()))
                    key, uid = int(row["key"]), int(row["uid"])
                    if uid in SANDBOX_UIDS or (key & 0xFFFF0000) == 0xFC050000:
                        out.append((kind, row[{"shm": "shmid", "msg": "msqid", "sem": "semid"}[kind]], key, uid))
        except (OSError, KeyError, ValueError):
            pass
    return out


def _batch_dir(path: str) -> bool:
    """A test's batch folder (this test's or a concurrent one's): infrastructure, not a leftover."""
    return os.path.dirname(path) == "/tmp" and os.path.basename(path).startswith(f"{MARK}-batch-")


class Leftovers:
    def __init__(self):
        self.files0 = set(_entries())
        self.procs0 = set(stray_processes(set()))  # not ours: there before the test
        self.sysv0 = set(_sysv())
        self.env: Env | None = None                # not "root": its namespaces, $TMPDIR, uid

    def _extra_uid(self) -> int | None:
        return self.env.realuid if self.env is not None else None

    def files(self) -> list[str]:
        out = []
        for path, st in _entries().items():
            if path in self.files0 or _batch_dir(path):
                continue
            if MARK in os.path.basename(path) or st.st_uid in SANDBOX_UIDS or st.st_uid == self._extra_uid():
                out.append(f"{path} (uid {st.st_uid}, {stat.filemode(st.st_mode)}, {st.st_size} bytes)")
        if self.env is not None and self.env.mode != "root":  # the grader's own temporary folders
            out += [f"{e.path} (in the grader's $TMPDIR)" for e in os.scandir(self.env.tmpdir)]
        return sorted(out)

    def _procs(self) -> dict[str, str]:
        left = dict(stray_processes(self.procs0))
        if self.env is not None and self.env.namespaces:
            left.update(processes_in_userns({os.fstat(fd).st_ino for fd in self.env.namespaces}))
        uid = self._extra_uid()
        if uid is not None:
            for d in os.listdir("/proc"):
                if d.isdigit():
                    st = _status(d)
                    if st.get("Uid", ["-1"])[0] == str(uid) and st.get("State", ["?"])[0] != "Z":
                        left[d] = f"uid {uid}: " + _cmdline(d).replace(b"\0", b" ").decode(errors="replace")[:120]
        return left

    def procs(self, wait: float = 3.0) -> dict[str, str]:
        end = time.monotonic() + wait
        while True:
            left = self._procs()
            if not left or time.monotonic() > end:
                return left
            time.sleep(0.1)

    def sysv(self) -> list:
        return sorted(set(_sysv()) - self.sysv0)

    def all(self) -> list[str]:
        return ([f"process {k}: {v}" for k, v in self.procs().items()] + [f"file {f}" for f in self.files()]
                + [f"sysv {s}" for s in self.sysv()])

    def clean(self) -> None:
        """Remove what this test's submissions left (by pid / path / id; only fchostile, sandbox-uid or
        this test's own grading runs' things)."""
        for pid in self.procs(wait=0):
            try:
                os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass
        for path, st in _entries().items():
            if path in self.files0 or _batch_dir(path):  # batch folders: each test removes its own
                continue
            if MARK in os.path.basename(path) or st.st_uid in SANDBOX_UIDS or st.st_uid == self._extra_uid():
                try:
                    if stat.S_ISDIR(st.st_mode):
                        shutil.rmtree(path, ignore_errors=True)
                    else:
                        os.unlink(path)
                except OSError:
                    pass
        for kind, ident, key, uid in self.sysv():
            if (key & 0xFFFF0000) == 0xFC050000 or uid in SANDBOX_UIDS:
                subprocess.run(["ipcrm", {"shm": "-m", "msg": "-q", "sem": "-s"}[kind], ident], capture_output=True)


@pytest.fixture
def env(request, tmp_path, mode):
    left = Leftovers()
    realuid = request.getfixturevalue("realuser") if mode == "realuser" else None
    e = Env(tmp_path, mode, realuid)
    e.leftovers = left
    left.env = e
    t0 = time.monotonic()
    yield e
    e.close()
    left.clean()
    e.release()
    assert time.monotonic() - t0 < 120


# --------------------------------------------------------------------------
# the common verdict
# --------------------------------------------------------------------------

def check_batch(b: Batch, env: Env, honest: set[str] | None = None, *, leftovers: bool = True,
                neighbour_may_time_out: bool = False) -> None:
    """The common assertions. ``neighbour_may_time_out``: only where the mode cannot share the CPU
    fairly (no cgroup): the classmate may lose formulas, as "timed out" only (the caller records how many)."""
    stem = os.path.splitext(b.hostile["name"])[0]
    honest = HONEST[stem] if honest is None else honest
    info = b.say()
    if os.environ.get("FCHOSTILE_VERBOSE"):  # pytest -s: every batch's verdicts and the attack's own report
        print(f"\n{info}")
    # the hostile file: nothing it did not earn
    unearned = {t["id"]: t["verdict"] for t in b.hostile["tests"] if t["score"] > 0 and t["id"] not in honest}
    assert not unearned, f"{stem} earned points it did not implement honestly: {unearned}\n{info}"
    assert b.hostile["status"] != "grader error", f"{stem} made the grader report its own failure\n{info}"
    text = b.hostile["output"] + b.hostile["message"] + "".join(t["feedback"] for t in b.hostile["tests"])
    leaked = [s for s in REFERENCE_TEXT if s in text]
    assert not leaked, f"{stem}: the reference's text reached the submission's output: {leaked}\n{info}"
    # the classmate: untouched
    n = b.neighbour
    if neighbour_may_time_out:
        lost = {t["id"]: t["verdict"] for t in n["tests"] if t["score"] < t["max_score"]}
        assert n["status"] == "ok" and set(lost.values()) <= {"timed out"}, f"{stem} hurt its classmate: {lost}\n{info}"
    else:
        assert n["status"] == "ok" and n["score"] == n["max_score"], f"{stem} hurt its classmate\n{info}"
    if leftovers:
        left = env.leftovers.all()
        assert not left, f"{stem} left things behind:\n" + "\n".join(left) + f"\n{info}"
    # the isolation level
    assert b.supports_isolation, f"the grader has no `isolation` argument (cannot ask for {LEVEL!r})\n{info}"
    for r in (b.hostile, b.neighbour):
        assert r["isolation"] == LEVEL, f"{r['name']} was graded at isolation {r['isolation']!r}, not {LEVEL!r}"
    if env.mode != "root":  # the grader's non-root path: no private uid, no cgroup
        for r in (b.hostile, b.neighbour):
            assert r["resources"] == "rlimit", f"{r['name']}: resources {r['resources']!r} as a normal user"
        uid = USER_UID if env.mode == "user" else env.realuid
        if b.grader:  # the DRIVER's own view (the CLI runs report only the results' resources)
            assert (b.grader["euid"], b.grader["root"], b.grader["cgroup"]) == (uid, False, None), b.grader


def grade_one(env: Env, stem: str, *, slow_neighbour: float = 0.0, **kw) -> Batch:
    h = env.put_hostile(stem)
    n = env.put("zz_neighbour.py", neighbour_source(slow_neighbour))
    return env.grade([h, n], h, n, **kw)


def note(request, **numbers) -> None:
    """Record what an attack still achieves (junit properties; printed with FCHOSTILE_VERBOSE=1)."""
    for k, v in numbers.items():
        request.node.user_properties.append((k, v))
    if os.environ.get("FCHOSTILE_VERBOSE"):
        print(f"\n{request.node.name}: " + ", ".join(f"{k}={v}" for k, v in numbers.items()))


#: the tests that also run with the grader as a normal user (``mode``, indirect)
BOTH = pytest.mark.parametrize("mode", MODES, indirect=True)


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


# --------------------------------------------------------------------------
# the worker's own reports and frames
# --------------------------------------------------------------------------

def test_patching_the_worker_cannot_hide_an_in_place_change(env):
    b = grade_one(env, "patch_worker_compare")
    v = {t["id"]: t["verdict"] for t in b.hostile["tests"]}
    for fid in ("activations.relu_backward", "activations.tanh_backward", "activations.leaky_relu_backward"):
        assert v[fid] == "modified its arguments", f"{fid}: {v[fid]} (patched: {b.report.get('patched')})\n{b.say()}"
    check_batch(b, env)


def test_a_forged_fatal_frame_is_not_a_grader_error(env):
    b = grade_one(env, "forge_fatal_frame")
    for r in (b.hostile["message"], *(t["reason"] for t in b.hostile["tests"])):
        assert "regrade" not in r, f"the forged text reached the result: {r}\n{b.say()}"
    check_batch(b, env)


def test_late_frames_from_threads_atexit_and_del(env):
    b = grade_one(env, "forge_late_frames")
    assert all("regrade" not in t["reason"] for t in b.hostile["tests"]), b.say()
    check_batch(b, env)


def test_huge_and_deep_replies_do_not_exhaust_the_grader(env):
    ids = ["activations.sigmoid", "activations.sigmoid_backward", "activations.tanh_backward", "activations.relu_backward"]
    b = grade_one(env, "huge_reply", ids=ids, timeout=20.0, examples_by_id={"activations.sigmoid_backward": 12}, bound=90)
    v = {t["id"]: t["verdict"] for t in b.hostile["tests"]}
    assert all(t["score"] == 0 for t in b.hostile["tests"]), v
    mb = b.maxrss_kb / 1024
    assert mb < 700, f"the grader's peak memory reached {mb:.0f} MB on one submission's replies\n{b.say()}"
    check_batch(b, env)


# --------------------------------------------------------------------------
# other processes: the grader, the zygote, the classmate
# --------------------------------------------------------------------------

@BOTH
def test_cannot_kill_or_freeze_the_grader_or_the_classmate(env):
    b = grade_one(env, "kill_grader")
    ok = {k: v for k, v in b.report.items() if v == "ok"}
    assert not ok, f"signals got through: {ok}\n{b.say()}"
    check_batch(b, env)


@BOTH
def test_cpu_starvation_does_not_time_out_a_slow_classmate(env, request):
    """14 busy processes vs a correct classmate needing 0.6 s of CPU per formula (3 s allowed), --jobs 2.

    As a normal user there is no cgroup to share the CPU fairly between the workers: the classmate
    may time out. What holds there, asserted: the grader finishes, the hostile file gets at most its
    sigmoid point, the classmate loses formulas only as "timed out" (none wrong, no crash), nothing
    is left; how many it lost is recorded (``neighbour_timed_out``)."""
    b = grade_one(env, "starve_cpu", slow_neighbour=0.6, timeout=3.0, bound=90)
    lost = sorted(t["id"] for t in b.neighbour["tests"] if t["score"] < t["max_score"])
    note(request, hogs=b.report.get("hogs"), neighbour_timed_out=len(lost), neighbour_formulas=len(b.neighbour["tests"]),
         neighbour_score=f"{b.neighbour['score']:g}/{b.neighbour['max_score']:g}", seconds=round(b.seconds, 1))
    check_batch(b, env, neighbour_may_time_out=env.mode != "root")


@BOTH
def test_memory_across_children_is_capped(env, request):
    """12 children x 256 MB against a 2048 MB limit.

    As a normal user there is no memory cgroup: RLIMIT_AS limits each process, not the sandbox, so
    the children may hold more than the limit together. What holds there, asserted: each process
    stays under the limit (the attack's 256 MB each succeed, a 2 GB one would not), the grader and
    the classmate are unaffected, nothing is left; what was held at once is recorded (``held_mb``
    as the attack counted it within its 15 s, ``sandbox_max_mb``: the sum of the sandbox's PSS
    sampled from outside)."""
    b = grade_one(env, "memory_hog", import_timeout=20.0)
    held = int(b.report.get("held_mb", "0"))
    numbers = env.sampler.numbers() if env.sampler is not None else {}
    note(request, children=b.report.get("children"), held_mb=held, **numbers)
    if env.mode == "root":
        assert held <= 2048, f"the submission held {held} MB at once (limit 2048 MB)\n{b.say()}"
    else:  # per process only: 12 x 256 MB may all be held; never more than the processes x the limit
        assert held <= int(b.report.get("children", "0")) * 256, b.say()
    check_batch(b, env)


@pytest.mark.parametrize("mode", [*MODES, "realuser"], indirect=True)
def test_fork_bomb_is_bounded(env, request):
    """At most max_processes (16) at once. In "user" mode the kernel cannot show it: the emulating user
    namespace keeps the kernel uid 0, which RLIMIT_NPROC never applies to (``copy_process`` exempts
    INIT_USER), so there the bound is asserted by "realuser" (a real unprivileged uid); "user" asserts
    the rest (the grader, the classmate, nothing left behind of its up to 400 processes) and records
    the count."""
    b = grade_one(env, "fork_bomb", import_timeout=10.0)
    alive = int(b.report.get("alive", "0"))
    note(request, forked=b.report.get("forked"), alive=alive)
    if env.mode != "user":
        assert alive <= 16, f"{alive} processes at once (max_processes 16)\n{b.say()}"
    check_batch(b, env)


def test_signal_handlers_and_threads_do_not_hang_the_grader(env):
    b = grade_one(env, "signals_threads", timeout=2.0)
    v = {t["id"]: t["verdict"] for t in b.hostile["tests"]}
    assert v["activations.sigmoid"] == "passed" and v["activations.sigmoid_backward"] == "timed out", v
    assert v["activations.tanh_backward"] != "passed", v
    check_batch(b, env)


@BOTH
def test_dangerous_syscalls_are_refused(env):
    b = grade_one(env, "libc_syscalls")
    rep = b.report
    allowed_anyway = {"personality"}
    ok = {k: v for k, v in rep.items() if k not in allowed_anyway and v.startswith("ok")}
    assert not ok, f"these calls succeeded inside the sandbox: {ok}\n{b.say()}"
    check_batch(b, env)


class OutsideSeccomp(AssertionError):
    """The submission's code ran in a process without the seccomp filter."""


# Found by this test (fixed): on the normal-user path the sandbox's PID 1 was bubblewrap's own init,
# under the submission's uid, dumpable and without a seccomp filter; the runner wrote code into it
# through /proc/1/mem. The supervisor is now PID 1 itself (bwrap --as-pid-1): non-dumpable, filtered.


@pytest.mark.parametrize("mode", ["root", "user", "realuser"], indirect=True)
def test_no_code_runs_outside_the_seccomp_filter(env, request):
    """The sandbox's PID 1 (bubblewrap's init) cannot be made to run the submission's code.

    The common assertions come first (they hold in every mode: no point, the classmate, nothing
    left); only the bug itself is the expected failure (``OutsideSeccomp``)."""
    b = grade_one(env, "inject_sandbox_init")
    check_batch(b, env)
    rep = b.report
    ran = {k: v for k, v in rep.items() if k.startswith("pid1_") and k != "pid1_syscall" and v.startswith("ok")}
    note(request, **{k: v for k, v in rep.items() if k.startswith("pid1_")})
    if ran:
        raise OutsideSeccomp(f"code ran in the sandbox's PID 1, outside the seccomp filter: {ran}\n{b.say()}")


@BOTH
def test_environment_of_the_grader_is_not_visible(env):
    b = grade_one(env, "env_passwd")
    assert b.report.get("canary_seen") == "no", f"the grader's environment leaked: {b.report}\n{b.say()}"
    check_batch(b, env)


# --------------------------------------------------------------------------
# what outlives a submission
# --------------------------------------------------------------------------

@BOTH
def test_files_and_ipc_do_not_survive_into_a_later_submission(env):
    b = grade_one(env, "plant_files")
    left = env.leftovers.all()
    # a later batch (slot 2 of 2: another private uid as root, the same uid as a normal user)
    # tries to use what was planted
    check = env.put_hostile("plant_check")
    n = str(env.batch / "zz_neighbour.py")
    b2 = env.grade([n, check], check, n)
    rep = b2.report
    used = {k: rep.get(k) for k in ("seen_files", "seen_sysv", "seen_key", "setuid_gained")}
    assert used == {"seen_files": "0", "seen_sysv": "0", "seen_key": "no", "setuid_gained": "no"}, \
        f"a later submission found what plant_files left: {used}\nleft: {left}\n{b.say()}"
    assert not left, "plant_files left:\n" + "\n".join(left) + f"\n{b.say()}"
    check_batch(b, env)
    check_batch(b2, env)


@BOTH
def test_filling_tmp_and_shm_leaves_nothing(env):
    b = grade_one(env, "fill_tmp", import_timeout=20.0)
    check_batch(b, env)


CLI = "import sys; from checks.cli import main; sys.exit(main(sys.argv[1:]))"  # `formulacheck` of this tree


def _cli(env: Env, stem: str, *, jobs: int, wait_after: float) -> tuple[dict, dict, dict, dict, float]:
    """``formulacheck grade DIR --out grades.csv --json-dir D`` on [hostile, classmate]; the outputs
    right after the run and again ``wait_after`` s later (a daemon's time to act)."""
    if not (env.batch / f"{stem}.py").exists():
        env.put_hostile(stem)
        env.put("zz_neighbour.py", neighbour_source())
    out_dir = env.work / "out"
    out_dir.mkdir()
    if env.realuid is not None:
        os.chown(out_dir, env.realuid, env.realuid)
    csv_path, json_dir = out_dir / "grades.csv", out_dir / "json"
    rubric = env.work / "rubric.toml"
    rubric.write_text("[limits]\ntimeout = 3.0\nimport_timeout = 5.0\n[examples]\ndefault = 5\n")
    exe = [sys.executable, "-c", CLI]
    argv = [*exe, "grade", str(env.batch), "--out", str(csv_path), "--json-dir", str(json_dir), "--jobs", str(jobs),
            "--group", "activations", "--rubric", str(rubric)]
    helptext = subprocess.run([*exe, "grade", "--help"], capture_output=True, text=True, env=_env()).stdout
    supports = "--isolation" in helptext
    if supports:
        argv += ["--isolation", LEVEL]
    rc, out, secs = env.run(argv, 60.0, str(env.work))
    if rc != 0 and "refusing to grade at isolation level" in out:
        pytest.skip(f"the grader cannot give the {LEVEL!r} level here: {out.strip()[-300:]}")
    assert rc == 0, f"the CLI failed (exit {rc}):\n{out[-3000:]}"

    def read():
        rows = {r["submission"]: r for r in csv.DictReader(open(csv_path))}
        js = {p.name: p.read_text() for p in sorted(json_dir.iterdir())}
        return rows, js

    first = read()
    time.sleep(wait_after)
    second = read()
    return first[0], first[1], second[0], second[1], supports


def _batch_from_cli(rows: dict, js: dict, stem: str, supports: bool) -> Batch:
    def res(name):
        data = json.loads(js[name[:-3] + ".json"])
        row = rows[name]
        return {"name": name, "status": row["status"], "message": row.get("message", ""), "score": float(row["total"]),
                "max_score": float(row["max_total"]), "output": data.get("output", ""),
                # the CLI asked for the level (--isolation) and refuses to grade below it
                "isolation": (data.get("extra_data") or {}).get("isolation") or row.get("isolation")
                             or (LEVEL if supports else None),
                "resources": (data.get("extra_data") or {}).get("resources"),
                "tests": [{"id": t["name"], "score": t["score"], "max_score": t["max_score"],
                           "verdict": t["status"], "reason": "", "feedback": t.get("output", "")} for t in data["tests"]]}

    h, n = res(f"{stem}.py"), res("zz_neighbour.py")
    return Batch({h["name"]: h, n["name"]: n}, h, n, 0.0, 0, supports, parse_report(h["output"]))


@BOTH
def test_a_daemon_cannot_rewrite_results_or_kill_the_next_submission(env):
    """--jobs 1: the classmate is the NEXT submission of the daemon's job slot; outputs re-read 3 s later."""
    rows, js, rows2, js2, supports = _cli(env, "daemon_rewrite", jobs=1, wait_after=3.0)
    assert (rows2, js2) == (rows, js), "the outputs changed after the batch (a daemon rewrote them)"
    b = _batch_from_cli(rows, js, "daemon_rewrite", supports)
    check_batch(b, env)


@BOTH
def test_the_batch_files_and_outputs_cannot_be_tampered_with(env):
    env.put_hostile("tamper_files")
    env.put("zz_neighbour.py", neighbour_source())
    before = {p.name: p.read_bytes() for p in env.batch.iterdir()}
    rows, js, _, _, supports = _cli(env, "tamper_files", jobs=2, wait_after=0.0)
    after = {p.name: p.read_bytes() for p in env.batch.iterdir()}
    assert after == before, f"the batch folder changed: {sorted(set(after) ^ set(before)) or [k for k in after if after[k] != before.get(k)]}"
    assert all("FAKE" not in t for t in js.values()) and set(js) == {"tamper_files.json", "zz_neighbour.json"}, sorted(js)
    b = _batch_from_cli(rows, js, "tamper_files", supports)
    check_batch(b, env)
