"""Leftovers, the env fixture and the common verdict of the test_hostile_*.py files.

The split of test_hostile.py: test_hostile_steal.py (the solution, the network, the vectors file),
test_hostile_procs.py (the worker's frames, other processes, resources, system calls),
test_hostile_outlive.py (what outlives a submission); their machinery: _hostile_run.py (constants,
the classmate, the grading process), _hostile_user.py (the grader as a normal user: modes, Env),
_hostile_checks.py (leftovers, the env fixture, the common verdict).

The design of these tests: the docstring of _hostile_run.py.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import time

import pytest

from tests.grader._hostile_run import (
    _cmdline, _status, Batch, HONEST, LEVEL, MARK, MODES, neighbour_source, REFERENCE_TEXT, SANDBOX_UIDS, USER_UID,
)
from tests.grader._hostile_user import Env, processes_in_userns

# --------------------------------------------------------------------------
# leftovers
# --------------------------------------------------------------------------


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
