"""The grader as a normal user for the test_hostile_*.py files (modes root / user / realuser, Env).

The split of test_hostile.py: test_hostile_steal.py (the solution, the network, the vectors file),
test_hostile_procs.py (the worker's frames, other processes, resources, system calls),
test_hostile_outlive.py (what outlives a submission); their machinery: _hostile_run.py (constants,
the classmate, the grading process), _hostile_user.py (the grader as a normal user: modes, Env),
_hostile_checks.py (leftovers, the env fixture, the common verdict).

The design of these tests: the docstring of _hostile_run.py.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from tests.grader._hostile_run import (
    _cmdline, _env, _run_bounded, _status, ACTIVATIONS, Batch, DRIVER, HOSTILE, LEVEL, MARK, parse_report,
    REALUSER_UIDS, ROOT, USER_UID,
)

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
