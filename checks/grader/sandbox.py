"""The grader's side of the sandbox: the zygote, and one worker per submission.

:class:`Zygote` spawns ``checks.grader.worker.zygote_main`` in a fresh
interpreter (never a fork of the grader, which holds torch). A
:class:`Sandbox` is one job slot: it asks the zygote to fork a worker for a
submission, sends it the submission's source and then each formula's cases,
reads the replies with a deadline, and kills / restarts the worker on a
timeout or a crash.

Isolation of a worker (see docs/grading.md): its own session; limits on
address space, CPU time, file size, open files and processes; a private
temporary working directory; stdout/stderr captured into a grader-owned
unlinked file, capped; when the grader runs as root, a private unused uid
(reserved with a lock file) so the submission cannot write the grader's
files, and every process of that uid is killed after the submission.

Not as root (or with ``drop_privileges=False``) the worker keeps the
grader's uid: RLIMIT_NPROC is then the uid's current task count plus
``max_processes`` (the kernel counts every task of the uid), and after the
submission the worker's process group and every process it left behind
(daemons included: the zygote is a child subreaper) are killed and reaped.
"""

from __future__ import annotations

import fcntl
import json
import os
import pickle
import pwd
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

from checks.grader import wire
from checks.grader.policy import Policy
from checks.grader.rubric import Limits

_HDR = struct.Struct(">I")
PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UID_RANGE = range(61000, 65000)


class SandboxError(Exception):
    """The sandbox itself failed (not the submission): a grader error."""


class WorkerGone(Exception):
    """The worker died, timed out or broke the protocol; ``verdict`` is 'timeout', 'crash' or 'protocol'."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


def describe_exit(code: int | None) -> str:
    if code is None:
        return "the worker could not be stopped"
    if code < 0:
        sig = -code
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        extra = {signal.SIGSEGV: "segmentation fault", signal.SIGXCPU: "CPU time limit exceeded",
                 signal.SIGKILL: "killed", signal.SIGABRT: "aborted", signal.SIGBUS: "bus error",
                 signal.SIGFPE: "floating-point exception"}.get(sig)
        return f"crashed (signal {sig}, {name}{': ' + extra if extra else ''})"
    if code == 71:
        return "the sandbox could not be set up (exit code 71)"
    return f"the worker process exited with code {code} (os._exit, or a crash)"


# --------------------------------------------------------------------------
# the zygote
# --------------------------------------------------------------------------

def can_drop_privileges() -> bool:
    """Whether workers can get a private uid (the grader runs as root)."""
    return os.geteuid() == 0


def resolve_drop(drop_privileges: bool | None) -> bool:
    """None: drop to a private uid when root; False: never (the normal-user path, testable as root)."""
    if drop_privileges is None:
        return can_drop_privileges()
    if drop_privileges and not can_drop_privileges():
        raise SandboxError("drop_privileges=True needs root: only root can run workers under a private uid")
    return bool(drop_privileges)


class Zygote:
    """A numpy-only fork server; thread-safe.

    ``subreaper`` makes the zygote a child subreaper: whatever a worker
    leaves behind is re-parented to the zygote, which kills and reaps it
    (see worker.zygote_main). Without a private uid (not root) it is what
    kills a daemon that left the worker's process group; with one, it reaps
    the killed processes at once, so zombies of one submission never count
    against the next one's RLIMIT_NPROC on that uid.
    """

    def __init__(self, subreaper: bool = True):
        self.subreaper = bool(subreaper)
        self._lock = threading.Lock()
        self.dir = tempfile.mkdtemp(prefix="formulacheck-zygote-")
        os.chmod(self.dir, 0o700)
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        code = (
            f"import sys; sys.path.insert(0, {PROJECT_ROOT!r});"
            f"from checks.grader.worker import zygote_main; zygote_main({child.fileno()}, {self.subreaper!r})"
        )
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
            "PYTHONHASHSEED": "0",            # deterministic str hashing in submissions
            "PYTHONDONTWRITEBYTECODE": "1",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "NUMEXPR_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1",
        }
        self._err = tempfile.TemporaryFile(dir=self.dir)
        self.proc = subprocess.Popen(
            [sys.executable, "-s", "-P", "-c", code], pass_fds=[child.fileno()], env=env, cwd=self.dir,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._err, start_new_session=True,
        )
        child.close()
        self.sock = parent
        r = self.request({"op": "ping"})
        self.modules = r.get("modules", [])
        if self.subreaper and not r.get("subreaper"):
            self.close()
            raise SandboxError("the worker zygote could not become a child subreaper (prctl failed): "
                               "processes left behind by submissions could not be killed")

    def request(self, obj: dict, fds: list[int] = ()) -> dict:
        with self._lock:
            try:
                socket.send_fds(self.sock, [json.dumps(obj).encode()], list(fds))
                reply = self.sock.recv(1 << 16)
            except OSError as e:
                reply = b""
                err = e
            else:
                err = None
        if not reply:
            self._err.seek(0)
            tail = self._err.read()[-2000:].decode("utf-8", "replace")
            raise SandboxError(f"the grader's worker zygote stopped ({err or 'no reply'}): {tail}")
        r = json.loads(reply)
        if "error" in r:
            raise SandboxError(f"zygote: {r['error']}")
        return r

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._err.close()
        shutil.rmtree(self.dir, ignore_errors=True)


# --------------------------------------------------------------------------
# private uids (root only)
# --------------------------------------------------------------------------

_UID_LOCK_DIR = "/tmp/formulacheck-uids"
_uid_mutex = threading.Lock()


def _uid_in_use(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
        return True
    except KeyError:
        pass
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.stat(f"/proc/{d}").st_uid == uid:
                    return True
            except OSError:
                pass
    return False


def reserve_uid(drop: bool = True):
    """(uid, lock file) of an unused uid, held until the lock file is closed; (None, None) if not root or not ``drop``."""
    if os.geteuid() != 0 or not drop:
        return None, None
    with _uid_mutex:
        os.makedirs(_UID_LOCK_DIR, mode=0o700, exist_ok=True)
        for uid in UID_RANGE:
            fh = open(os.path.join(_UID_LOCK_DIR, f"{uid}.lock"), "a")
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                fh.close()
                continue
            if _uid_in_use(uid):
                fh.close()
                continue
            return uid, fh
    raise SandboxError(f"no free uid in {UID_RANGE.start}..{UID_RANGE.stop - 1} for a sandbox worker")


# --------------------------------------------------------------------------
# one worker process
# --------------------------------------------------------------------------

class _Conn:
    def __init__(self, sock: socket.socket, max_frame: int):
        self.sock = sock
        self.buf = bytearray()
        self.max_frame = max_frame

    def send(self, obj) -> None:
        data = pickle.dumps(obj, protocol=5)
        self.sock.sendall(_HDR.pack(len(data)) + data)

    def recv(self, deadline: float) -> dict:
        """The next reply (parsed JSON object); raises WorkerGone on timeout / EOF / garbage."""
        while True:
            if len(self.buf) >= 4:
                (n,) = _HDR.unpack_from(self.buf)
                if n > self.max_frame:
                    raise WorkerGone("protocol", f"the worker sent a reply of {n} bytes (more than {self.max_frame})")
                if len(self.buf) >= 4 + n:
                    payload = bytes(self.buf[4:4 + n])
                    del self.buf[:4 + n]
                    try:
                        obj = wire.loads(payload)
                    except wire.WireError as e:
                        raise WorkerGone("protocol", str(e)) from None
                    if not isinstance(obj, dict):
                        raise WorkerGone("protocol", "the worker sent a reply that is not an object")
                    return obj
            left = deadline - time.monotonic()
            if left <= 0:
                raise WorkerGone("timeout", "timed out")
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                continue
            try:
                chunk = self.sock.recv(1 << 20)
            except OSError:
                chunk = b""
            if not chunk:
                raise WorkerGone("crash", "eof")
            self.buf += chunk


@dataclass
class LoadResult:
    ok: bool
    functions: list[str] = field(default_factory=list)
    error: str = ""          # why the import failed
    kind: str = ""           # "", "error" (raised / exited at import), "timeout", "crash"


class Sandbox:
    """One job slot: a worker for one submission at a time, restarted as needed."""

    def __init__(self, zygote: Zygote, limits: Limits, policy: Policy, root: str, n_formulas: int,
                 drop_privileges: bool | None = None):
        self.zygote = zygote
        self.limits = limits
        self.policy = policy
        self.root = root
        self.drop = resolve_drop(drop_privileges)
        if not self.drop and not zygote.subreaper:
            raise SandboxError("a sandbox without a private uid needs a subreaper zygote: Zygote(subreaper=True)")
        self.uid, self._uid_lock = reserve_uid(self.drop)
        self.cpu_seconds = int(limits.import_timeout + limits.timeout * (n_formulas + 2) + 10)
        self.pid: int | None = None
        self.conn: _Conn | None = None
        self.violations: list[str] = []
        self.restarts = 0
        self._sub = None

    # ---------------------------------------------------------------- per submission

    def open(self, source: str, basename: str, functions: list[str]) -> LoadResult:
        self.close_submission()
        workdir = tempfile.mkdtemp(prefix="sub-", dir=self.root)
        if self.uid is not None:
            os.chown(workdir, self.uid, self.uid)
        os.chmod(workdir, 0o700)
        out = tempfile.TemporaryFile(dir=self.root)
        self._sub = {"source": source, "basename": basename, "functions": functions, "workdir": workdir, "out": out}
        self.violations = []
        self.restarts = 0
        return self._start()

    def _start(self) -> LoadResult:
        s = self._sub
        lim = self.limits
        cfg = {
            "op": "spawn", "workdir": s["workdir"], "basename": s["basename"], "uid": self.uid,
            "memory_mb": lim.memory_mb, "fsize_mb": max(lim.fsize_mb, 1), "cpu_seconds": self.cpu_seconds,
            "max_processes": lim.max_processes, "max_output_bytes": lim.max_output_kb * 1024,
            "policy": self.policy.to_wire(), "project_root": PROJECT_ROOT,
        }
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            r = self.zygote.request(cfg, [theirs.fileno(), s["out"].fileno()])
        finally:
            theirs.close()
        self.pid = int(r["pid"])
        self.conn = _Conn(mine, (lim.max_result_mb << 20) + (1 << 16))
        modname = "submission"
        try:
            self.conn.send({"op": "load", "source": s["source"], "modname": modname, "fns": s["functions"]})
            reply = self._recv(time.monotonic() + lim.import_timeout)
        except WorkerGone as g:
            msg = self._gone(g, "while importing the submission")
            return LoadResult(False, error=msg, kind=g.kind if g.kind in ("timeout", "crash") else "crash")
        except OSError as e:
            msg = self._gone(WorkerGone("crash", str(e)), "while importing the submission")
            return LoadResult(False, error=msg, kind="crash")
        if reply.get("op") == "loaded" and isinstance(reply.get("fns"), list):
            fns = [f for f in reply["fns"] if isinstance(f, str) and f in s["functions"]]
            return LoadResult(True, functions=fns)
        if reply.get("op") == "load_error":
            return LoadResult(False, error=str(reply.get("error", "import failed"))[:2000], kind="error")
        if reply.get("op") == "fatal":
            self.kill()
            raise SandboxError(f"sandbox setup failed: {str(reply.get('error'))[:500]}")
        msg = self._gone(WorkerGone("protocol", "unexpected reply"), "while importing the submission")
        return LoadResult(False, error=msg, kind="crash")

    def _recv(self, deadline: float) -> dict:
        r = self.conn.recv(deadline)
        v = r.get("viol")
        if isinstance(v, list):
            for x in v[:20]:
                x = str(x)[:300]
                if x not in self.violations:
                    self.violations.append(x)
        return r

    def _gone(self, g: WorkerGone, when: str) -> str:
        """Kill the worker after ``g``; the student-readable reason."""
        code = self.kill()
        if g.kind == "timeout":
            return f"timed out {when}"
        if g.kind == "protocol":
            return f"the worker broke the protocol {when}: {g.message}"
        return f"{describe_exit(code)} {when}"

    def run(self, fn: str, blobs: list[bytes], fresh: bool, budget: float):
        """Evaluate ``fn`` on each pickled case.

        Returns (replies, problem): replies[i] is the worker's reply for case
        i (None when not reached); problem is None or (kind, index, message)
        with kind 'timeout' / 'crash', index the case being evaluated.
        """
        replies: list[dict | None] = [None] * len(blobs)
        if self.conn is None:  # died on an earlier formula: restart it
            self.restarts += 1
            lr = self._start()
            if not lr.ok:
                return replies, ("crash", 0, f"the worker could not be restarted: {lr.error}")
        deadline = time.monotonic() + budget
        i = 0
        try:
            self.conn.send({"op": "run", "fn": fn, "cases": blobs, "fresh": fresh,
                            "max_bytes": self.limits.max_result_mb << 20})
            while True:
                r = self._recv(deadline)
                if r.get("op") == "done":
                    return replies, None
                idx = r.get("i")
                if type(idx) is not int or not 0 <= idx < len(blobs) or r.get("k") not in ("ok", "notimpl", "exc", "inplace", "alias", "bad"):
                    raise WorkerGone("protocol", "malformed reply")
                replies[idx] = r
                i = idx + 1
                if r["k"] == "notimpl":
                    # the worker stops at "not implemented"; wait for its "done"
                    continue
        except WorkerGone as g:
            i = min(i, len(blobs) - 1) if blobs else 0
            msg = self._gone(g, f"while running {fn}")
            if g.kind == "timeout":
                msg = f"{fn} timed out: more than {budget:g} s in total on this formula's inputs"
            return replies, ("timeout" if g.kind == "timeout" else "crash", i, msg)
        except OSError as e:
            msg = self._gone(WorkerGone("crash", str(e)), f"while running {fn}")
            return replies, ("crash", i, msg)

    def probe(self) -> dict:
        self.conn.send({"op": "probe"})
        return self._recv(time.monotonic() + 10)

    def output(self) -> tuple[str, bool]:
        """What the submission printed (capped), and whether it was truncated."""
        if self._sub is None:
            return "", False
        fd = self._sub["out"].fileno()
        cap = self.limits.max_output_kb * 1024
        size = os.fstat(fd).st_size
        data = os.pread(fd, cap, 0) if cap else b""
        return data.decode("utf-8", "replace"), size > cap

    # ---------------------------------------------------------------- teardown

    def kill(self) -> int | None:
        """Kill the worker and everything it started; its exit code."""
        code = None
        if self.conn is not None:
            try:
                self.conn.sock.close()
            except OSError:
                pass
            self.conn = None
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            code = self.zygote.request({"op": "wait", "pid": self.pid, "timeout": 5.0}).get("code")
            # then whatever it started: every process of its private uid, or (same uid as
            # the grader) its process group and every process it left behind, which the
            # subreaper zygote inherited
            if self.uid is not None:
                self.zygote.request({"op": "sweep", "uid": self.uid})
            else:
                self.zygote.request({"op": "sweep_tree", "pgid": self.pid})
            self.pid = None
        return code

    def close_submission(self) -> None:
        self.kill()
        if self._sub is not None:
            self._sub["out"].close()
            shutil.rmtree(self._sub["workdir"], ignore_errors=True)
            self._sub = None

    def close(self) -> None:
        try:
            self.close_submission()
        finally:
            if self._uid_lock is not None:
                self._uid_lock.close()
                self._uid_lock = None
