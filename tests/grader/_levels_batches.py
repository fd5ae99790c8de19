"""One batch (Run), the batches and the session fixtures of the test_levels_*.py files.

The split of test_levels.py: test_levels_seccomp.py (seccomp: sockets, exec, system calls, tracing),
test_levels_uid.py (a private uid: the grader's secrets, the classmate, the batch, the machine),
test_levels_all.py (every level: the supervisor judges, forged frames; what is not stopped, honestly
labelled); their machinery: _levels_run.py (constants, the drivers, Outcome), _levels_batches.py
(Run: one batch, its leftovers and cleanup; the batches; the session fixtures).

The design of these tests: the docstring of _levels_run.py.
"""

from __future__ import annotations

import csv
import dataclasses
import fcntl
import hashlib
import json
import os
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
from pathlib import Path

import pytest

from tests.grader._levels_run import (
    _cmdline, _status, _under_a_live_sandbox_root, ACTIVATIONS, BatchDidNotRun, CANARY, CLASSMATE, DRIVER,
    DRIVER_CLI, FRAMES, HOSTILE, LAYERS, LEVELS, NEIGHBOUR, neighbour_source, ONLY_WITH_UID, Outcome, parse_report,
    PLACES, REACH, ROOT, UID_BLOCK, UID_LOCKS, UIDS,
)

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
