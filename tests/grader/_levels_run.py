"""Hostile submissions (tests/submissions/hostile/) at the isolation levels BELOW namespaces:
the constants, the drivers and Outcome of the test_levels_*.py files.

The split of test_levels.py: test_levels_seccomp.py (seccomp: sockets, exec, system calls, tracing),
test_levels_uid.py (a private uid: the grader's secrets, the classmate, the batch, the machine),
test_levels_all.py (every level: the supervisor judges, forged frames; what is not stopped, honestly
labelled); their machinery: _levels_run.py (constants, the drivers, Outcome), _levels_batches.py
(Run: one batch, its leftovers and cleanup; the batches; the session fixtures).

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
import re
from dataclasses import dataclass, field
from pathlib import Path

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
