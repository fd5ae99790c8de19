"""Hostile submissions (tests/submissions/hostile/) at the isolation levels BELOW namespaces.

Where bubblewrap cannot create namespaces (e.g. Docker's default seccomp
profile) the grader falls back to a lower level (checks/grader/isolation.py):

``seccomp+uid``  root, no namespaces: seccomp filters + a private uid per job slot
``uid``          root, no namespaces, no seccomp
``seccomp``      a normal user without namespaces (here: root with ``drop_privileges=False``)
``none``         nothing

This root machine produces each of them with ``Grader(..., namespaces=False[,
seccomp=False][, drop_privileges=False])`` (``LAYERS``), graded in a separate
process with a time bound, the hostile files in the same batch as the
correct classmate of test_hostile.py. Each test asserts, at the levels where
the design promises it, one property:

- seccomp (seccomp+uid, seccomp): no socket at all (download_socket gets no
  solution), ptrace / process_vm_readv refused, unshare / mount / keyctl /
  bpf / perf_event_open / io_uring / userfaultfd refused, no execve (no
  other program, no other interpreter with torch);
- a private uid (seccomp+uid, uid): the grader's memory (/proc/<pid>/mem),
  environment (the test's canary) and a hidden vectors file (0600 of the
  grader's user, in a world-readable folder of /tmp, its path known to the
  attack) are out of reach;
  the classmate keeps full marks whatever the hostile file does (signals,
  fork bomb, endless threads, 900 MB in /tmp); the batch folder and the
  CLI's outputs cannot be rewritten; nothing of the uid is left after the
  batch (processes, a setsid daemon, files in /tmp, /var/tmp, /dev/shm);
- every level: the in-place rule is judged by the supervisor process, out of
  the submission's reach (patching the worker's comparison changes nothing),
  and forged frames never become a "grader error";
- documentation (every level): what is NOT stopped below namespaces -- the
  reference read with open() or imported past the import hook, torch
  imported past it, a classmate copied from the grader's command line or
  from /tmp, and below seccomp sockets, exec and the dangerous system calls --
  still leaves every result saying the level it was graded at
  (``res.isolation``); what each attack got is recorded with the test
  (``record_property("outcome", ...)``: in ``--junitxml``; printed with
  ``FCLEVELS_VERBOSE=1 pytest -s``).

Bugs found here: the zygote could be killed into a "grader error" at
``seccomp`` (fixed: the client replaces it and retries once); System V IPC
objects of a private uid outlived the submission (fixed: removed with its
files). Still strict xfails (documented gaps of the lower levels):

- ``seccomp`` as root with drop_privileges=False: the worker is root, so
  /proc/<grader pid>/mem is readable even though the grader and the zygote are
  now non-dumpable (which protects them from a normal user's worker);
- ``seccomp`` / ``none`` (no private uid): the submission runs as the grader's
  own user and reads any file the grader can read: the hidden vectors file
  (0600) is read and read_vectors_memory gets full marks (docs/grading.md:
  never grade with a hidden file at these levels);
- ``seccomp+uid`` / ``uid``: System V IPC objects (and, at ``uid``, user-keyring
  keys) of the private uid outlive the submission: Sandbox.kill sweeps the
  uid's processes and files only; plant_check, graded later in the batch,
  finds plant_files' shm / msg / sem (and its key, same slot at ``uid``).

Not run here: memory_hog, starve_cpu and huge_reply test the resource layer
(cgroups) and the grader's own memory; measured at all four levels (the
commit message of this file has the whole attack x level matrix) they are
stopped the same way at each (memory_hog: "ran out of memory", 2048 MB for the
tree; the slow classmate beside starve_cpu keeps 7/7; the grader peaks at
~424 MB on huge_reply), and they take 10-25 s each. inject_sandbox_init runs at
the uid levels only (``ONLY_WITH_UID``): without namespaces its /proc/1 is the
machine's init, and at seccomp / none this root machine's runner is root --
it would patch the machine's PID 1. As a normal user (the real seccomp level)
PID 1 belongs to root and the kernel refuses, as at the uid levels. The batches
name their attack files explicitly: a file added to tests/submissions/hostile/
is not run here (as root below the uid layer) before it is read for that risk.

Safe under ``pytest -n 2`` and beside test_hostile.py: every name an attack
makes on the machine is renamed per batch (``fchostile`` -> ``fclevels<tag>``,
SysV keys 0xFC05.... -> 0xFC<tag>....), the private uids come from 65100-65499
(``UIDS``, not the grader's default range that test_hostile.py watches; each
batch has a block of them to itself, ``_uid_block``), the
grader's TMPDIR is a folder of the batch's own, leftovers are looked for and
removed by that tag, by the batch's private uids (their lock files held
meanwhile) and by the batch's folders -- never by a global sweep. A batch shared by several tests runs once per test
run (a file lock in the run's shared temporary folder).
"""

from __future__ import annotations

import ast
import csv
import dataclasses
import fcntl
import hashlib
import json
import os
import re
import secrets
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

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ROOT / "tests" / "submissions" / "hostile"
UID_LOCKS = "/tmp/formulacheck-uids"
#: the private uids of these batches: the grader's own mechanism (checks.grader.uids.reserve_uid),
#: given a range outside its default 61000-64999, which test_hostile.py watches for leftovers
#: (a file of a uid-level batch in /tmp is there until the grader removes it)
UIDS = (65100, 65500)
#: how many of UIDS each batch (kind x level) has to itself: a block no other batch of the run reserves from
#: (one range for all let a batch starting right after another's grader exited take that grader's uid,
#: the lowest free, and write as it into /tmp while the first batch looked for its own leftovers)
UID_BLOCK = 16
#: the Grader keyword arguments that produce each level on a root machine
LAYERS = {
    "seccomp+uid": {"namespaces": False},
    "uid": {"namespaces": False, "seccomp": False},
    "seccomp": {"namespaces": False, "drop_privileges": False},
    "none": {"namespaces": False, "seccomp": False, "drop_privileges": False},
}
LEVELS = tuple(LAYERS)
WITH_SECCOMP = ("seccomp+uid", "seccomp")
WITH_UID = ("seccomp+uid", "uid")
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
REFERENCE_TEXT = ("Logistic sigmoid, stable for", "Activations and their backward passes", "LEAK-BEGIN")
CANARY = ("FCHOSTILE_CANARY", "fchostile-canary-3f9a1c")
PLACES = ("/tmp", "/var/tmp", "/dev/shm")
NEIGHBOUR = "zz_neighbour.py"

#: the batches (each graded once per test run, shared by the tests that read it)
REACH = ("read_reference", "bypass_guard_reference", "bypass_guard_torch", "copy_classmate_cmdline",
         "copy_classmate_scan", "download_socket", "exec_interpreter", "libc_syscalls", "read_vectors_memory",
         "env_passwd")
FRAMES = ("patch_worker_compare", "forge_fatal_frame", "forge_late_frames")
CLASSMATE = ("kill_grader", "fill_tmp", "fork_bomb", "signals_threads", "inject_sandbox_init")
#: never graded where the runner keeps the grader's uid: without namespaces /proc/1 is the MACHINE's
#: init, and a runner that is root (drop_privileges=False on this machine) could write its memory
ONLY_WITH_UID = {"inject_sandbox_init"}


# --------------------------------------------------------------------------
# the classmate, the drivers
# --------------------------------------------------------------------------

def neighbour_source() -> str:
    """reference/activations.py without its docstrings (so that its text is not the reference's)."""
    tree = ast.parse((ROOT / "reference" / "activations.py").read_text())
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]
    return "# a classmate's correct activations\n" + ast.unparse(tree) + "\n"


# Grader(..., **layers).grade_many(files) in its own process; the private uids of its job slots are
# written (<out>.uids) as soon as they are reserved, so that the test finds what they leave
DRIVER = r'''
import json, sys, time
from dataclasses import replace
from checks.grader import sandbox, uids
from checks.grader.grade import Grader
from checks.grader.rubric import Limits, Rubric

cfg = json.load(open(sys.argv[1]))
uids.UID_RANGE = range(*cfg["uids"])
paths = sys.argv[3:]
rub = replace(Rubric(), examples_default=cfg["examples"],
              limits=replace(Limits(), timeout=cfg["timeout"], import_timeout=cfg["import_timeout"]))
t0 = time.monotonic()
g = Grader(rub, vectors=cfg.get("vectors"), ids=cfg["ids"], jobs=cfg["jobs"], **cfg["layers"])
out = {"level": g.isolation, "results": []}
with g:
    g._ensure()
    with open(cfg["out"] + ".uids", "w") as fh:
        json.dump(g.slot_uids, fh)
    results = g.grade_many(paths)
out["seconds"] = time.monotonic() - t0
for r in results:
    out["results"].append({
        "name": r.name, "status": r.status, "message": r.message, "score": r.score, "max_score": r.max_score,
        "output": r.output, "isolation": r.isolation, "vectors": r.vectors,
        "tests": [{"id": t.id, "score": t.score, "verdict": t.verdict, "reason": t.reason, "feedback": t.feedback}
                  for t in r.tests]})
with open(cfg["out"], "w") as fh:
    json.dump(out, fh)
'''

# `formulacheck grade DIR --out CSV --json-dir D` of this tree, its Grader given the level's layers
DRIVER_CLI = r'''
import json, sys
import checks.grader.grade as G
from checks.grader import sandbox, uids
cfg = json.load(open(sys.argv[1]))
uids.UID_RANGE = range(*cfg["uids"])

class Leveled(G.Grader):
    def __init__(self, *a, **k):
        k.update(cfg["layers"])
        super().__init__(*a, **k)

    def _ensure(self):
        super()._ensure()
        with open(cfg["out"] + ".uids", "w") as fh:
            json.dump(self.slot_uids, fh)

G.Grader = Leveled
from checks.cli import main
sys.exit(main(sys.argv[3:]))
'''


def parse_report(output: str) -> dict:
    """The hostile file's ``FCH key=value`` lines."""
    return {m.group(1): m.group(2).strip() for m in re.finditer(r"^FCH ([^=\s]+)=(.*)$", output, re.M)}


class BatchDidNotRun(RuntimeError):
    """The grading process crashed or hung (not the property a test looks at: never an expected failure)."""


@dataclass
class Outcome:
    """One graded batch, as JSON (shared between the tests, and xdist workers, that read it)."""

    level: str
    results: dict = field(default_factory=dict)     # file name -> result (see DRIVER)
    seconds: float = 0.0
    uids: list = field(default_factory=list)        # the private uids of its job slots
    crashed: str = ""                               # the grading process's output when it failed
    hung: bool = False
    left: list = field(default_factory=list)        # processes and files left after the batch
    sysv: list = field(default_factory=list)        # System V IPC objects left after the batch
    extra: dict = field(default_factory=dict)

    def ok(self) -> "Outcome":
        if self.hung or self.crashed:
            raise BatchDidNotRun(f"[{self.level}] the grader {'hung' if self.hung else 'crashed'}:\n{self.crashed[-3000:]}")
        if "uid" in self.level and not (self.uids and all(isinstance(u, int) and UIDS[0] <= u < UIDS[1] for u in self.uids)):
            raise BatchDidNotRun(f"[{self.level}] the job slots' uids {self.uids} are not private uids in {UIDS}")
        return self

    def r(self, stem: str) -> dict:
        return self.ok().results[stem if stem.endswith(".py") else f"{stem}.py"]

    def rep(self, stem: str) -> dict:
        return parse_report(self.r(stem)["output"])

    def unearned(self, stem: str) -> dict:
        return {t["id"]: t["verdict"] for t in self.r(stem)["tests"] if t["score"] > 0 and t["id"] not in HONEST[stem]}

    def say(self) -> str:
        if self.hung or self.crashed:
            return f"[{self.level}] grader {'hung' if self.hung else 'crashed'}:\n{self.crashed[-2500:]}"
        lines = [f"[{self.level}] {self.seconds:.1f} s, uids {self.uids}"]
        for name, r in sorted(self.results.items()):
            lines.append(f"{name}: {r['status']} {r['score']}/{r['max_score']} {r['message'][:200]}")
            lines += [f"  {t['id']}: {t['verdict']} {t['score']} {t['reason'][:140]}" for t in r["tests"] if t["score"] or t["verdict"] not in ("not implemented", "passed")]
            rep = parse_report(r["output"])
            if rep:
                lines.append(f"  report: {rep}")
        lines += [f"left: {self.left}", f"sysv left: {self.sysv}", f"extra: {self.extra}"]
        return "\n".join(lines)


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


def _under_a_live_sandbox_root(pid: str) -> bool:
    """Under a live zygote or bwrap: another grader's (this batch's are gone when this is asked)."""
    p = pid
    for _ in range(64):
        pp = _status(p).get("PPid", ["0"])[0]
        if pp in ("0", "1"):
            return False
        c = _cmdline(pp)
        if b"checks.worker.zygote" in c or b"bwrap" in c:
            return True
        p = pp
    return False


class Run:
    """One batch: a tag that names everything it makes (files, keys, processes), its folders, its cleanup.

    The attack files are put in the batch with ``fchostile`` replaced by
    ``fclevels<tag>`` and their System V keys (0xFC05....) by this batch's own
    prefix: what an attack leaves on the machine is this batch's alone (never
    another test's: test_hostile.py's scanner looks for ``fchostile`` names and
    0xFC05 keys). The grader's TMPDIR (its root and the zygote's folder) is a
    folder of the batch too: a process whose cwd is under it is the batch's.
    """

    def __init__(self, tmp: Path, vectors: str | None = None, uid_range: tuple[int, int] = UIDS):
        self.tag = secrets.token_hex(3)
        self.mark = f"fclevels{self.tag}"
        self.key16 = 0xFC00 | (int(self.tag[:2], 16) or 1)
        if self.key16 == 0xFC05:
            self.key16 = 0xFCA5
        self.tmp = tmp
        self.vectors = vectors  # the vectors file the batch is graded with (None: the package's public one)
        self.batch = Path(tempfile.mkdtemp(prefix=f"{self.mark}-batch-", dir="/tmp"))
        os.chmod(self.batch, 0o755)  # world-readable, like a class folder
        self.gtmp = Path(tempfile.mkdtemp(prefix=f"{self.mark}-tmp-", dir="/tmp"))
        os.chmod(self.gtmp, 0o711)   # the private uids must reach their working folders below it
        # read_vectors_memory is told the hidden vectors file's real path (an attacker who knows the layout)
        self.subst = {"fchostile": self.mark, "0xFC05": f"0x{self.key16:04X}", "__FC_VECTORS__": vectors or ""}
        self.uid_range = uid_range  # where its job slots' private uids come from (_uid_block)
        self.uids: set[int] = set()
        self._locks: list = []

    # ---------------------------------------------------------------- the batch

    def put(self, name: str, text: str) -> str:
        for k, v in self.subst.items():
            text = text.replace(k, v)
        p = self.batch / name
        p.write_text(text, encoding="utf-8")
        os.chmod(p, 0o644)
        return str(p)

    def put_hostile(self, stem: str) -> str:
        return self.put(f"{stem}.py", (HOSTILE / f"{stem}.py").read_text())

    def env(self) -> dict:
        env = dict(os.environ)
        env[CANARY[0]] = CANARY[1]
        env["PYTHONPATH"] = str(ROOT)  # the tree under test, whatever the venv has installed
        env["TMPDIR"] = str(self.gtmp)
        return env

    def _run(self, argv: list[str], bound: float, cwd: str) -> tuple[int | None, str]:
        """``argv`` in its own session, killed (process group) after ``bound`` s: (exit code or None, output)."""
        p = subprocess.Popen(argv, cwd=cwd, env=self.env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, start_new_session=True)
        try:
            out, _ = p.communicate(timeout=bound)
            rc = p.returncode
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            out, _ = p.communicate()
            rc = None
        return rc, out.decode(errors="replace")

    def _read_uids(self, path: str) -> list:
        try:
            uids = json.loads(Path(path + ".uids").read_text())
        except (OSError, ValueError):
            uids = []
        self.uids |= {u for u in uids if isinstance(u, int)}
        return uids

    def grade(self, level: str, files: list[str], *, jobs: int = 2, timeout: float = 3.0,
              import_timeout: float = 5.0, examples: int = 5, bound: float = 90.0) -> Outcome:
        unsafe = {Path(f).stem for f in files} & ONLY_WITH_UID
        if unsafe and "uid" not in level:
            raise AssertionError(f"{sorted(unsafe)} must not run at {level!r} on this machine (see ONLY_WITH_UID)")
        n = time.monotonic_ns()
        cfg_path, out_path = self.tmp / f"cfg-{n}.json", self.tmp / f"out-{n}.json"
        cfg_path.write_text(json.dumps({"ids": ACTIVATIONS, "jobs": jobs, "timeout": timeout,
                                        "import_timeout": import_timeout, "examples": examples,
                                        "layers": LAYERS[level], "uids": self.uid_range, "vectors": self.vectors,
                                        "out": str(out_path)}))
        t0 = time.monotonic()
        rc, out = self._run([sys.executable, "-c", DRIVER, str(cfg_path), f"{self.mark}-driver", *files],
                            bound, str(ROOT))
        uids = self._read_uids(str(out_path))
        if rc != 0 or not out_path.exists():
            return Outcome(level, seconds=time.monotonic() - t0, uids=uids, hung=rc is None,
                           crashed=f"exit {rc}\n{out}")
        data = json.loads(out_path.read_text())
        if data["level"] != level:
            return Outcome(level, uids=uids, crashed=f"Grader(**{LAYERS[level]}) gave the level {data['level']!r}")
        return Outcome(level, {r["name"]: r for r in data["results"]}, data["seconds"], uids)

    def cli(self, level: str, *, jobs: int, wait_after: float, bound: float = 90.0) -> Outcome:
        """``formulacheck grade <batch> --out CSV --json-dir D --jobs N --isolation LEVEL``; the outputs
        right after the run and ``wait_after`` s later, and the batch folder before and after."""
        n = time.monotonic_ns()
        out_dir = self.tmp / f"cli-{n}"
        out_dir.mkdir()
        csv_path, json_dir = out_dir / "grades.csv", out_dir / "json"
        rubric = out_dir / "rubric.toml"
        rubric.write_text("[limits]\ntimeout = 3.0\nimport_timeout = 5.0\n[examples]\ndefault = 5\n")
        cfg_path = out_dir / "cfg.json"
        cfg_path.write_text(json.dumps({"layers": LAYERS[level], "uids": self.uid_range, "out": str(out_dir / "driver")}))
        before = {p.name: p.read_bytes() for p in self.batch.iterdir()}
        argv = [sys.executable, "-c", DRIVER_CLI, str(cfg_path), f"{self.mark}-driver", "grade", str(self.batch),
                "--out", str(csv_path), "--json-dir", str(json_dir), "--jobs", str(jobs), "--group", "activations",
                "--rubric", str(rubric), "--isolation", level]
        t0 = time.monotonic()
        rc, out = self._run(argv, bound, str(out_dir))
        uids = self._read_uids(str(out_dir / "driver"))
        secs = time.monotonic() - t0
        if rc != 0:
            return Outcome(level, seconds=secs, uids=uids, hung=rc is None, crashed=f"exit {rc}\n{out}")

        def read():
            rows = {r["submission"]: r for r in csv.DictReader(open(csv_path))}
            js = {p.name: p.read_text(errors="replace") for p in sorted(json_dir.iterdir())}
            return rows, js

        rows, js = read()
        time.sleep(wait_after)
        rows2, js2 = read()
        after = {p.name: p.read_bytes() for p in self.batch.iterdir()}
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        results = {}
        for name, row in rows.items():
            data = json.loads(js.get(name[:-3] + ".json", "{}") or "{}")
            results[name] = {"name": name, "status": row["status"], "message": row["message"],
                             "score": float(row["total"] or 0), "max_score": float(row["max_total"] or 0),
                             "isolation": row["isolation"],
                             "output": "\n".join(ln for ln in data.get("output", "").splitlines() if ln.startswith("FCH ")),
                             "tests": [{"id": t["name"], "score": t["score"], "verdict": t["status"], "reason": "",
                                        "feedback": t.get("output", "")} for t in data.get("tests", [])]}
        return Outcome(level, results, secs, uids, extra={
            "outputs_changed_later": (rows2, js2) != (rows, js), "batch_changed": changed,
            "json_files": sorted(js2), "forged_outputs": sorted(k for k, t in js2.items() if "FAKE" in t or "rewritten by a daemon" in t)})

    # ---------------------------------------------------------------- what is left behind

    def hold_uids(self) -> None:
        """Take the lock files of the batch's private uids: no other grader reserves them while we look."""
        os.makedirs(UID_LOCKS, mode=0o700, exist_ok=True)
        for uid in sorted(self.uids):
            fh = open(os.path.join(UID_LOCKS, f"{uid}.lock"), "a")
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._locks.append((uid, fh))
            except OSError:  # another grader has it already: its processes are told apart by their ancestry
                fh.close()

    def release_uids(self) -> None:
        for _uid, fh in self._locks:
            fh.close()
        self._locks = []

    def _mine(self, pid: str) -> bool:
        st = _status(pid)
        if not st or st.get("State", ["?"])[0] == "Z":
            return False
        if self.mark.encode() in _cmdline(pid):
            return True
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            cwd = ""
        if cwd.startswith((str(self.gtmp) + "/", str(self.batch))):
            return True
        return int(st.get("Uid", ["-1"])[0]) in self.uids and not _under_a_live_sandbox_root(pid)

    def procs(self, wait: float = 2.0) -> dict[str, str]:
        end = time.monotonic() + wait
        me = str(os.getpid())
        while True:
            left = {}
            for d in os.listdir("/proc"):
                if d.isdigit() and d != me and self._mine(d):
                    cmd = _cmdline(d).replace(b"\0", b" ").decode(errors="replace")[:100]
                    left[d] = f"uid {_status(d).get('Uid', ['?'])[0]}: {cmd}"
            if not left or time.monotonic() > end:
                return left
            time.sleep(0.1)

    def _entries(self):
        for d in PLACES:
            try:
                entries = list(os.scandir(d))
            except OSError:
                continue
            for e in entries:
                if e.path in (str(self.batch), str(self.gtmp)):
                    continue
                try:
                    st = e.stat(follow_symlinks=False)
                except OSError:
                    continue
                if self.mark in e.name or st.st_uid in self.uids:
                    yield e.path, st

    def files(self) -> list[str]:
        out = [f"{p} (uid {st.st_uid}, {stat.filemode(st.st_mode)}, {st.st_size} bytes)" for p, st in self._entries()]
        try:  # the grader's own temporary folders (its root, the zygote's folder) must be gone too
            out += [f"{self.gtmp}/{n} (the grader's)" for n in os.listdir(self.gtmp)]
        except OSError:
            pass
        return sorted(out)

    def sysv_objects(self) -> list[tuple[str, str, int, int]]:
        out = []
        for kind in ("shm", "msg", "sem"):
            try:
                with open(f"/proc/sysvipc/{kind}") as fh:
                    head = fh.readline().split()
                    for line in fh:
                        row = dict(zip(head, line.split()))
                        key, uid = int(row["key"]) & 0xFFFFFFFF, int(row["uid"])
                        if uid in self.uids or (key >> 16) == self.key16:
                            out.append((kind, row[{"shm": "shmid", "msg": "msqid", "sem": "semid"}[kind]], key, uid))
            except (OSError, KeyError, ValueError):
                pass
        return out

    def clean(self) -> None:
        """Remove what the batch left: by pid, by path, by IPC id, the private uids' keys (lock held)."""
        for pid in self.procs(wait=0):
            try:
                os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass
        for path, st in list(self._entries()):
            if stat.S_ISDIR(st.st_mode):
                shutil.rmtree(path, ignore_errors=True)
            else:
                try:
                    os.unlink(path)
                except OSError:
                    pass
        for kind, ident, _key, _uid in self.sysv_objects():
            subprocess.run(["ipcrm", {"shm": "-m", "msg": "-q", "sem": "-s"}[kind], ident], capture_output=True)
        for uid, _fh in self._locks:  # a key planted in the uid's user keyring (it has a 2-minute timeout too)
            pid = os.fork()
            if pid == 0:
                try:
                    import ctypes

                    os.setgid(uid)
                    os.setuid(uid)
                    libc = ctypes.CDLL(None, use_errno=True)
                    libc.syscall(250, 7, ctypes.c_long(-4))  # keyctl(KEYCTL_CLEAR, KEY_SPEC_USER_KEYRING)
                finally:
                    os._exit(0)
            os.waitpid(pid, 0)
        shutil.rmtree(self.batch, ignore_errors=True)
        shutil.rmtree(self.gtmp, ignore_errors=True)


# --------------------------------------------------------------------------
# the batches
# --------------------------------------------------------------------------

def _serve_solution(run: Run):
    """A correct solution on 127.0.0.1 and on an abstract unix socket; (connection counts, stop)."""
    served = {"tcp": 0, "unix": 0}
    src = neighbour_source().encode()
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(8)
    port = tcp.getsockname()[1]
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix.bind(f"\0{run.mark}-solution-{port}")  # the attack's name, renamed like the rest
    unix.listen(8)
    done = threading.Event()

    def serve(s, key):
        s.settimeout(0.2)
        while not done.is_set():
            try:
                c, _ = s.accept()
            except OSError:
                continue
            served[key] += 1
            with c:
                c.sendall(src)

    ts = [threading.Thread(target=serve, args=(tcp, "tcp"), daemon=True),
          threading.Thread(target=serve, args=(unix, "unix"), daemon=True)]
    for t in ts:
        t.start()
    run.subst["__FC_PORT__"] = str(port)

    def stop():
        done.set()
        for t in ts:
            t.join(2)
        tcp.close()
        unix.close()

    return served, stop


def batch_reach(run: Run, level: str) -> Outcome:
    """Everything that reaches for what a sandbox hides: files, imports, sockets, exec, syscalls, memory, env;
    graded with the hidden vectors file (``run.vectors``)."""
    served, stop = _serve_solution(run)
    try:
        files = [run.put_hostile(s) for s in REACH] + [run.put(NEIGHBOUR, neighbour_source())]
        out = run.grade(level, files, import_timeout=15.0)
    finally:
        stop()
    out.extra["served"] = served
    out.extra["vectors"] = run.vectors
    out.extra["vectors_sha256"] = hashlib.sha256(Path(run.vectors).read_bytes()).hexdigest() if run.vectors else None
    return out


def batch_frames(run: Run, level: str) -> Outcome:
    """The worker's own machinery: its comparison patched, its frames forged."""
    return run.grade(level, [run.put_hostile(s) for s in FRAMES] + [run.put(NEIGHBOUR, neighbour_source())])


def batch_classmate(run: Run, level: str) -> Outcome:
    """Signals, /tmp filled, a fork bomb, endless threads: in the classmate's batch."""
    files = [run.put_hostile(s) for s in CLASSMATE] + [run.put(NEIGHBOUR, neighbour_source())]
    return run.grade(level, files, import_timeout=10.0)


def batch_kill(run: Run, level: str) -> Outcome:
    return run.grade(level, [run.put_hostile("kill_grader"), run.put(NEIGHBOUR, neighbour_source())])


def batch_cli(run: Run, level: str) -> Outcome:
    """The CLI, --jobs 1: a daemon that outlives its submission, then a file that rewrites the batch, then the classmate."""
    for s in ("daemon_rewrite", "tamper_files"):
        run.put_hostile(s)
    run.put(NEIGHBOUR, neighbour_source())
    return run.cli(level, jobs=1, wait_after=3.0)


def batch_plant(run: Run, level: str) -> Outcome:
    """--jobs 1: plant_files, then plant_check in the same job slot (the same private uid)."""
    return run.grade(level, [run.put_hostile("plant_files"), run.put_hostile("plant_check")], jobs=1)


#: the batches graded with the hidden vectors file (the others with the package's public one)
HIDDEN_BATCHES = {"reach"}
BATCHES = {"reach": batch_reach, "frames": batch_frames, "classmate": batch_classmate, "kill": batch_kill,
           "cli": batch_cli, "plant": batch_plant}


def _uid_block(kind: str, level: str) -> tuple[int, int]:
    """The batch's own UID_BLOCK uids of UIDS: two batches of a run never reserve the same uid."""
    i = list(BATCHES).index(kind) * len(LEVELS) + LEVELS.index(level)
    start = UIDS[0] + i * UID_BLOCK
    assert start + UID_BLOCK <= UIDS[1], "UIDS is too small for a block per batch"
    return start, start + UID_BLOCK


def _grade_batch(kind: str, level: str, tmp: Path, vectors: str | None) -> Outcome:
    run = Run(tmp, vectors, _uid_block(kind, level))
    try:
        out = BATCHES[kind](run, level)
        run.hold_uids()
        out.left = [f"process {k}: {v}" for k, v in run.procs().items()] + [f"file {f}" for f in run.files()]
        out.sysv = [list(s) for s in run.sysv_objects()]
    finally:
        run.clean()
        run.release_uids()
    return out


@pytest.fixture(scope="session")
def caps():
    from checks.grader import isolation

    return isolation.detect()


HIDDEN_SEED = 730_211_978  # the hidden vectors file of these batches (not the public seed, not test_hostile.py's)


@pytest.fixture(scope="session")
def hidden_vectors():
    """hidden_vectors() -> the path of a HIDDEN vectors file of ACTIVATIONS (5 examples each), built on first use
    (``formulacheck vectors build --seed``, a separate process) in a world-readable folder of /tmp, the file 0600
    of this user (the grader's): what the docs tell an instructor to do below namespaces."""
    made: list[Path] = []

    def get() -> str:
        if not made:
            d = Path(tempfile.mkdtemp(prefix="fclevels-vectors-", dir="/tmp"))  # 0700 while the file is written
            made.append(d)
            (d / "rubric.toml").write_text("[examples]\ndefault = 5\n")
            out = d / "hidden.zip"
            argv = [sys.executable, "-m", "checks.cli", "vectors", "build", "--out", str(out), "--seed", str(HIDDEN_SEED),
                    "--rubric", str(d / "rubric.toml"), *(a for fid in ACTIVATIONS for a in ("--id", fid))]
            r = subprocess.run(argv, capture_output=True, text=True, cwd=str(d), timeout=180,
                               env=dict(os.environ, PYTHONPATH=str(ROOT)))
            if r.returncode != 0 or not out.exists():
                raise BatchDidNotRun(f"could not build the hidden vectors file:\n{r.stdout}{r.stderr}")
            os.unlink(d / "rubric.toml")
            os.chmod(out, 0o600)
            os.chmod(d, 0o755)  # then a folder others may list and traverse: the file alone must stop them
        return str(made[0] / "hidden.zip")

    yield get
    for d in made:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory) -> Path:
    """A folder shared by this run's xdist workers (each batch is graded once per run), else the session's own."""
    base = tmp_path_factory.getbasetemp()
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    d = (base.parent / f"fclevels-{run_id}") if run_id else (base / "fclevels")
    d.mkdir(exist_ok=True)
    return d


@pytest.fixture(scope="session")
def graded(shared_dir, caps, hidden_vectors):
    """graded(kind, level) -> the Outcome of that batch (graded by the first test that asks, then read back)."""
    memo: dict = {}

    def get(kind: str, level: str) -> Outcome:
        if "uid" in level and os.geteuid() != 0:
            pytest.skip(f"the {level!r} level needs a root grader (a private uid per job slot)")
        if "seccomp" in level and caps.seccomp_why:
            pytest.skip(f"the {level!r} level needs seccomp: {caps.seccomp_why}")
        key = f"{kind}-{level.replace('+', '_')}"
        if key not in memo:
            path = shared_dir / f"{key}.json"
            with open(shared_dir / f"{key}.lock", "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if not path.exists():
                    tmp = shared_dir / f"{key}-tmp"
                    tmp.mkdir(exist_ok=True)
                    vectors = hidden_vectors() if kind in HIDDEN_BATCHES else None
                    out = _grade_batch(kind, level, tmp, vectors)
                    path.write_text(json.dumps(dataclasses.asdict(out)))
                memo[key] = Outcome(**json.loads(path.read_text()))
        out = memo[key]
        if os.environ.get("FCLEVELS_VERBOSE"):
            print(f"\n{out.say()}")
        return out

    return get


def _outcome_line(o: Outcome, stem: str) -> str:
    r = o.r(stem)
    rep = parse_report(r["output"])
    got = [t["id"].split(".")[1] for t in r["tests"] if t["score"] > 0]
    return f"{stem}: {r['status']} {r['score']:g}/{r['max_score']:g} (points: {','.join(got) or '-'}) {rep}"


# --------------------------------------------------------------------------
# seccomp: no sockets, no exec, no dangerous system calls, no tracing
# --------------------------------------------------------------------------

@pytest.mark.parametrize("level", WITH_SECCOMP)
def test_no_socket_can_be_created(graded, level):
    """download_socket: the test's servers get no connection, every socket call fails, no point."""
    o = graded("reach", level)
    rep = o.rep("download_socket")
    assert o.extra["served"] == {"tcp": 0, "unix": 0}, f"the submission reached the test's servers\n{o.say()}"
    probes = {k: v for k, v in rep.items() if k.startswith(("netlink", "af_packet", "socketpair", "listen", "connect"))}
    assert len(probes) >= 6 and all(v.startswith("failed") for v in probes.values()), f"sockets were created: {probes}"
    assert o.r("download_socket")["score"] == 0, o.say()


@pytest.mark.parametrize("level", WITH_SECCOMP)
def test_no_other_program_can_be_executed(graded, level):
    """exec_interpreter: /bin/sh and every other interpreter (the torch helper) are refused."""
    o = graded("reach", level)
    rep = o.rep("exec_interpreter")
    assert rep.get("shell", "").startswith("failed"), rep
    assert rep.get("torch_helper") == "failed", rep
    execs = {k: v for k, v in rep.items() if k.startswith("exec_")}
    assert execs and all(v.startswith("failed") for v in execs.values()), execs
    assert o.r("exec_interpreter")["score"] == 0, o.say()


@pytest.mark.parametrize("level", WITH_SECCOMP)
def test_dangerous_system_calls_are_refused(graded, level):
    """libc_syscalls: unshare, mount, setns, chroot, keyctl, bpf, perf_event_open, io_uring, userfaultfd... all fail."""
    o = graded("reach", level)
    rep = o.rep("libc_syscalls")
    for call in ("unshare_userns", "unshare_net", "mount", "bpf", "perf_event_open", "add_key", "keyctl_get_session",
                 "userfaultfd", "io_uring_setup", "ptrace_attach_parent", "open_by_handle_at", "setns", "chroot"):
        assert rep.get(call, "missing").startswith("failed"), f"{call}: {rep.get(call, 'not reported')}\n{o.say()}"
    assert not o.unearned("libc_syscalls"), o.say()


@pytest.mark.parametrize("level", WITH_SECCOMP)
def test_other_processes_cannot_be_traced(graded, level):
    """read_vectors_memory: ptrace(PTRACE_ATTACH) and process_vm_readv of the supervisor, zygote and grader fail."""
    rep = graded("reach", level).rep("read_vectors_memory")
    calls = {k: v for k, v in rep.items() if k.startswith(("ptrace_", "process_vm_readv_"))}
    assert len(calls) >= 6 and all(v.startswith("failed") for v in calls.values()), calls


_PROC_MEM_AT_SECCOMP = (
    "documented gap: at the 'seccomp' level as this root machine produces it (drop_privileges=False) the runner is "
    "root and keeps CAP_SYS_PTRACE; the runner's filter denies ptrace and process_vm_readv but not "
    "open('/proc/<grader pid>/mem'), and the grader and the zygote being non-dumpable (PR_SET_DUMPABLE 0) does not "
    "stop a process with CAP_SYS_PTRACE: read_vectors_memory reads the grader's memory (its expected answers)")


@pytest.mark.parametrize("level", ["seccomp+uid",
                                   pytest.param("seccomp", marks=pytest.mark.xfail(strict=True, raises=AssertionError,
                                                                                 reason=_PROC_MEM_AT_SECCOMP))])
def test_the_graders_memory_cannot_be_read_through_proc(graded, level):
    rep = graded("reach", level).rep("read_vectors_memory")
    mem = {k: v for k, v in rep.items() if k.startswith("proc_mem_")}
    assert len(mem) >= 3, rep
    assert all(v.startswith("failed") for v in mem.values()), f"/proc/<pid>/mem of the grader's processes was read: {mem}"


# --------------------------------------------------------------------------
# a private uid: the grader's secrets, the classmate, the batch, the machine
# --------------------------------------------------------------------------

@pytest.mark.parametrize("level", WITH_UID)
def test_the_graders_memory_and_environment_are_out_of_reach(graded, level):
    """read_vectors_memory and env_passwd under another uid: no /proc/<pid>/mem, maps or environ."""
    o = graded("reach", level)
    rep = o.rep("read_vectors_memory")
    peeks = {k: v for k, v in rep.items() if k.split("_")[0] in ("maps", "proc", "process", "ptrace")}
    assert len(peeks) >= 9 and all(v.startswith("failed") for v in peeks.values()), peeks
    assert o.r("read_vectors_memory")["score"] == 0, o.say()
    env = o.rep("env_passwd")
    assert env.get("canary_seen") == "no", f"the grader's environment leaked: {env}"
    listings = {k: v for k, v in env.items() if k.startswith("list_")}
    assert listings and all(v.startswith("failed") for v in listings.values()), f"the grader's folders are listable: {listings}"
    assert not o.unearned("env_passwd")


_VECTORS_READABLE = (
    "documented gap: without a private uid (levels 'seccomp' and 'none') the submission runs as the grader's own "
    "user (here root with drop_privileges=False) and reads any file the grader can read: the hidden vectors file, "
    "0600 of that user, is read and read_vectors_memory returns every stored answer (full marks). docs/grading.md: "
    "never grade with a hidden file at these levels")


@pytest.mark.parametrize("level", [lv if lv in WITH_UID else
                                   pytest.param(lv, marks=pytest.mark.xfail(strict=True, raises=AssertionError,
                                                                            reason=_VECTORS_READABLE))
                                   for lv in LEVELS])
def test_a_hidden_vectors_file_is_out_of_reach(graded, level, record_property):
    """read_vectors_memory, the hidden file's path known to it, graded WITH that file: no point, nothing read.

    With a private uid the attack sees the file (its folder is world-readable) and is refused it
    (PermissionError: 0600 of the grader's user). Without one it reads it: the strict xfail."""
    o = graded("reach", level)
    stem = "read_vectors_memory"
    rep = o.rep(stem)
    record_property("outcome", _outcome_line(o, stem))
    used = {n: r.get("vectors") for n, r in o.results.items()}
    if not o.extra.get("vectors_sha256") or set(used.values()) != {o.extra["vectors_sha256"]}:
        raise BatchDidNotRun(f"[{level}] the batch was not graded with the hidden vectors file: {used}, {o.extra}")
    if "vectors_files_read" not in rep:
        raise BatchDidNotRun(f"[{level}] {stem} did not report its search: {rep}")
    assert not o.unearned(stem), f"{stem} earned points with the hidden file's answers\n{o.say()}"
    # (another hidden file that other uids may read, elsewhere on the machine, is not this batch's file)
    read = [v for k, v in rep.items() if k.startswith("vectors_read_")]
    assert o.extra["vectors"] not in read, f"the hidden vectors file was read: {rep}"
    refused = [v for k, v in rep.items() if k.startswith("vectors_unreadable_") and v.startswith(o.extra["vectors"] + " PermissionError")]
    assert refused, f"{stem} never saw the hidden file (a weaker test): {rep}"


@pytest.mark.parametrize("level", WITH_UID)
def test_the_classmate_keeps_full_marks_and_nothing_is_left(graded, level):
    """kill_grader, fill_tmp (900 MB), fork_bomb, signals_threads graded beside the classmate, --jobs 2."""
    o = graded("classmate", level)
    n = o.r(NEIGHBOUR)
    assert n["status"] == "ok" and n["score"] == n["max_score"], f"the classmate was hurt\n{o.say()}"
    for stem in CLASSMATE:
        r = o.r(stem)
        assert r["status"] != "grader error", f"{stem} made the grader report its own failure\n{o.say()}"
        assert not o.unearned(stem), f"{stem} earned points it did not implement honestly\n{o.say()}"
    signals = {k: v for k, v in o.rep("kill_grader").items() if v == "ok"}
    assert not signals, f"signals got through: {signals}"
    alive = int(o.rep("fork_bomb").get("alive", "0"))
    assert alive <= 16, f"{alive} processes at once (max_processes 16)"
    assert not o.left, f"left behind after the batch:\n" + "\n".join(o.left) + f"\n{o.say()}"


@pytest.mark.parametrize("level", WITH_UID)
def test_no_code_runs_in_another_process(graded, level):
    """inject_sandbox_init: without namespaces PID 1 is the machine's init, a root process: under a private uid
    /proc/1/syscall and /proc/1/mem are refused (the kernel's ptrace access check), nothing runs in it."""
    rep = graded("classmate", level).rep("inject_sandbox_init")
    assert rep.get("pid1_syscall", "").startswith("failed") or rep.get("pid1_mem_write", "").startswith("failed"), rep
    assert not any(k.startswith("pid1_") and k not in ("pid1_syscall", "pid1_mem_write") for k in rep), rep


@pytest.mark.parametrize("level", [*WITH_UID, "seccomp"])
def test_cli_outputs_and_the_batch_folder(graded, level, record_property):
    """The CLI, --jobs 1: daemon_rewrite (a setsid daemon acting after its submission), tamper_files, the classmate.

    With a private uid: no output rewritten 3 s after the batch, the batch folder
    byte for byte as it was, no forged JSON, the classmate graded in full,
    nothing of the daemon left. At 'seccomp' (the grader's own uid) only the
    level in the CSV is asserted: tamper_files rewrites the batch's files (the
    classmate, graded after it, gets 0/7) and leaves forged results.json /
    grades.csv in the batch folder and the JSON folder.
    """
    o = graded("cli", level)
    record_property("outcome", "\n".join([_outcome_line(o, s) for s in ("daemon_rewrite", "tamper_files")]
                                         + [_outcome_line(o, NEIGHBOUR[:-3]), f"{o.extra}"]))
    assert {r["isolation"] for r in o.ok().results.values()} == {level}, o.say()
    if "uid" not in level:
        return
    assert not o.extra["outputs_changed_later"], "the outputs changed after the batch (a daemon rewrote them)"
    assert o.extra["batch_changed"] == [], f"the batch folder changed: {o.extra['batch_changed']}"
    assert o.extra["json_files"] == ["daemon_rewrite.json", "tamper_files.json", "zz_neighbour.json"], o.extra
    assert not o.extra["forged_outputs"], o.extra
    n = o.r(NEIGHBOUR)
    assert n["status"] == "ok" and n["score"] == n["max_score"], o.say()
    for stem in ("daemon_rewrite", "tamper_files"):
        assert o.r(stem)["score"] <= 1, o.say()
    assert not o.left, "left behind after the batch:\n" + "\n".join(o.left)


@pytest.mark.parametrize("level", WITH_UID)
def test_planted_files_do_not_reach_a_later_submission(graded, level):
    """plant_files then plant_check in the same job slot: no file, no setuid gain; nothing left in /tmp & co."""
    o = graded("plant", level)
    rep = o.rep("plant_check")
    assert rep.get("seen_files") == "0" and rep.get("setuid_gained") == "no", rep
    assert rep.get("my_uid") == str(o.uids[0]), f"plant_check did not run under the slot's private uid: {rep}"
    assert not o.left, "left behind after the batch:\n" + "\n".join(o.left)


# Found here (fixed): the System V IPC objects of a private uid outlived its submission; Sandbox.kill now
# removes them (checks.grader.uids.remove_ipc_of). At 'uid' (no seccomp: keyctl allowed) a key in the
# uid's user keyring still outlives it: that case stays a strict xfail, and the threat table says so.
_KEY_OUTLIVES = ("at 'uid' (no seccomp) a key planted in the private uid's user keyring outlives the submission "
                 "and is found by a later one in the same job slot")


@pytest.mark.parametrize("level", [pytest.param(lv, marks=pytest.mark.xfail(strict=True, raises=AssertionError,
                                                                           reason=_KEY_OUTLIVES))
                                   if lv == "uid" else lv for lv in WITH_UID])
def test_planted_ipc_and_keys_do_not_reach_a_later_submission(graded, level):
    o = graded("plant", level)
    rep = o.rep("plant_check")
    assert o.rep("plant_files").get("sysv", "").count("=ok") == 3, "plant_files could not create its IPC objects"
    assert (rep.get("seen_sysv"), rep.get("seen_key")) == ("0", "no"), f"plant_check found them: {rep}"
    assert not o.sysv, f"System V objects left after the batch: {o.sysv}"


# Found here (fixed): at 'seccomp' a submission could SIGKILL the zygote and the next request became a
# "grader error"; the zygote client now replaces a dead zygote and sends the request once more.
def test_killing_the_zygote_is_not_a_grader_error_at_seccomp(graded):
    o = graded("kill", "seccomp")
    bad = {n: r["message"][:200] for n, r in o.ok().results.items() if r["status"] == "grader error"}
    assert not bad, f"grader error: {bad}"
    n = o.r(NEIGHBOUR)
    assert n["score"] == n["max_score"], o.say()


# --------------------------------------------------------------------------
# every level: the supervisor judges, forged frames are the submission's
# --------------------------------------------------------------------------

@pytest.mark.parametrize("level", LEVELS)
def test_patching_the_worker_cannot_hide_an_in_place_change(graded, level):
    """The in-place rule is judged in the supervisor, a separate process: the runner's patch changes nothing."""
    o = graded("frames", level)
    rep = o.rep("patch_worker_compare")
    assert rep.get("patched", "nothing") != "nothing", f"the attack found nothing to patch (a weaker test): {rep}"
    v = {t["id"]: t["verdict"] for t in o.r("patch_worker_compare")["tests"]}
    for fid in ("activations.relu_backward", "activations.tanh_backward", "activations.leaky_relu_backward"):
        assert v[fid] == "modified its arguments", f"{fid}: {v[fid]}\n{o.say()}"
    assert not o.unearned("patch_worker_compare"), o.say()


@pytest.mark.parametrize("level", LEVELS)
def test_forged_frames_are_never_a_grader_error(graded, level):
    o = graded("frames", level)
    for stem in ("forge_fatal_frame", "forge_late_frames"):
        r = o.r(stem)
        assert r["status"] != "grader error", f"{stem}: {r['message']}\n{o.say()}"
        for text in (r["message"], *(t["reason"] for t in r["tests"])):
            assert "regrade" not in text, f"{stem}: the forged text reached the result: {text}"
        assert not o.unearned(stem), o.say()
    n = o.r(NEIGHBOUR)
    assert n["status"] == "ok" and n["score"] == n["max_score"], o.say()


# --------------------------------------------------------------------------
# documentation: what is not stopped below namespaces, honestly labelled
# --------------------------------------------------------------------------

@pytest.mark.parametrize("level", LEVELS)
def test_what_is_not_stopped_is_graded_at_an_honestly_reported_level(graded, level, record_property):
    """The 'reach' batch: below namespaces the reference (open(), import past the hook), torch past the hook
    and the classmate (the grader's command line, /tmp) are within reach -- at every one of these levels
    read_reference gets 7/7 -- and below seccomp sockets, exec and the dangerous calls work too. The grader
    must at least say so: every result names the level it was graded at; the classmate is untouched."""
    o = graded("reach", level)
    lines = [_outcome_line(o, s) for s in REACH]
    record_property("outcome", "\n".join(lines))
    if os.environ.get("FCLEVELS_VERBOSE"):
        print("\n" + "\n".join(lines))
    labels = {n: r["isolation"] for n, r in o.results.items()}
    assert set(labels.values()) == {level}, f"results graded at {level!r} say otherwise: {labels}"
    assert all(r["status"] != "grader error" for r in o.results.values()), o.say()
    n = o.r(NEIGHBOUR)
    assert n["status"] == "ok" and n["score"] == n["max_score"], o.say()
