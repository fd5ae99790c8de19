"""The grader's side of the sandbox: the zygote client, and one job slot per worker.

A :class:`Sandbox` is one job slot. For each submission it asks the
:class:`Zygote` to start a sandbox -- bubblewrap's namespaces where the
machine allows them (``checks.grader.isolation``), in a fresh cgroup where
one can be had (``checks.grader.cgroups``), under the slot's private uid
when the grader is root -- whose supervisor (``checks.worker.serve``)
loads its seccomp filter, says ``ready``, and then runs the submission in a
child process that cannot reach the grader's channel. Every request has a
deadline; a worker that times out, crashes or breaks the protocol is killed
with everything it started, and the next formula gets a new one.

Trust: a ``ready`` or ``fatal`` frame comes before any code of the
submission exists, so a failure there is the grader's (status "grader
error"). After it nothing the submission does can be read as the grader's:
an early end, a kill of the supervisor, an oversized or malformed frame is
the submission's verdict (crashed / timed out), never a grader error.
"""

from __future__ import annotations

import itertools
import json
import os
import pickle
import select
import shutil
import signal
import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field

from checks.core import wire
from checks.grader import cgroups, isolation
from checks.grader.uids import UidError, remove_files_of, remove_ipc_of, reserve_uid
from checks.grader.policy import Policy
from checks.grader.rubric import Limits
from checks.worker.frames import HDR, FrameBuffer
from checks.grader.zygote import SandboxError, Zygote  # noqa: F401  (Zygote re-exported)

PROJECT_ROOT = isolation.PROJECT_ROOT
SETUP_TIMEOUT = 30.0       # seconds from spawn to the supervisor's "ready"
EXIT_SETUP_FAILED = 71


class WorkerGone(Exception):
    """The worker died, timed out or broke the protocol; ``kind`` is 'timeout', 'crash' or 'protocol'."""

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
                 signal.SIGFPE: "floating-point exception", signal.SIGSYS: "a forbidden system call"}.get(sig)
        return f"crashed (signal {sig}, {name}{': ' + extra if extra else ''})"
    if code == EXIT_SETUP_FAILED:
        return "the sandbox could not be set up (exit code 71)"
    return f"the worker process exited with code {code} (os._exit, or a crash)"


def can_drop_privileges() -> bool:
    return os.geteuid() == 0


def _is_site_dir(path: str) -> bool:
    """True for a site-packages (or dist-packages) folder: other packages live there too."""
    import site

    dirs = set(getattr(site, "getsitepackages", lambda: [])()) | {getattr(site, "getusersitepackages", lambda: "")()}
    return os.path.basename(path) in ("site-packages", "dist-packages") or path in {os.path.abspath(d) for d in dirs if d}


def resolve_drop(drop_privileges: bool | None) -> bool:
    """None: drop to a private uid when root; False: never (the normal-user path, testable as root)."""
    if drop_privileges is None:
        return can_drop_privileges()
    if drop_privileges and not can_drop_privileges():
        raise SandboxError("drop_privileges=True needs root: only root can run workers under a private uid")
    return bool(drop_privileges)


# --------------------------------------------------------------------------
# one worker
# --------------------------------------------------------------------------

class _Conn:
    def __init__(self, sock: socket.socket, max_frame: int):
        self.sock = sock
        self.frames = FrameBuffer()
        self.max_frame = max_frame
        self.received = 0       # payload bytes since the last reset (per formula)
        self.parts: list[bytes] = []  # the parts (packed values) of the last message

    def frame(self, obj, as_json: bool = False) -> bytes:
        data = json.dumps(obj).encode() if as_json else pickle.dumps(obj, protocol=5)
        return HDR.pack(len(data)) + data

    def send(self, obj, as_json: bool = False) -> None:
        self.sock.sendall(self.frame(obj, as_json))

    def recv(self, deadline: float, budget: int | None = None) -> dict:
        """The next message's header (its parts in ``self.parts``); WorkerGone on timeout / EOF / garbage /
        past ``budget`` bytes."""
        while True:
            n = self.frames.next_length()
            if n is not None:
                if n > self.max_frame:
                    raise WorkerGone("protocol", f"the worker sent a reply of {n} bytes (more than {self.max_frame})")
                if budget is not None and self.received + n > budget:
                    raise WorkerGone("toolarge", f"the results add up to more than {budget >> 20} MB")
                payload = self.frames.pop()
                if payload is not None:
                    self.received += n
                    try:
                        obj, self.parts = wire.parse(payload)
                    except wire.WireError as e:
                        raise WorkerGone("protocol", str(e)) from None
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
            self.frames.feed(chunk)


@dataclass
class LoadResult:
    ok: bool
    functions: list[str] = field(default_factory=list)
    error: str = ""          # why the import failed
    kind: str = ""           # "", "error" (raised / exited at import), "timeout", "crash"


_COUNTER = itertools.count()


class Sandbox:
    """One job slot: a worker for one submission at a time, restarted as needed."""

    def __init__(self, zygote: Zygote, limits: Limits, policy: Policy, root: str, n_formulas: int,
                 drop_privileges: bool | None = None, level: str | None = None,
                 shrink_seconds: float = 0.0):
        self.zygote = zygote
        self.limits = limits
        self.policy = policy
        self.root = root
        self.drop = resolve_drop(drop_privileges)
        caps = isolation.detect()
        self.level = level or isolation.level_for(caps, self.drop)
        self.namespaces = self.level.startswith("namespaces")
        self.seccomp = "seccomp" in self.level
        if self.namespaces and caps.bwrap is None:
            raise SandboxError(f"namespaces are not available here: {caps.bwrap_why}")
        if self.seccomp and caps.seccomp_why:
            raise SandboxError(f"seccomp is not available here: {caps.seccomp_why}")
        if not self.namespaces and not self.drop and not zygote.subreaper:
            raise SandboxError("a sandbox without namespaces or a private uid needs a subreaper zygote")
        self.cgroup = caps.cgroup
        try:
            self.uid, self._uid_lock = reserve_uid(self.drop)
        except UidError as e:
            raise SandboxError(str(e)) from None
        # the CPU-time backstop of one worker: the import, every formula's budget and the feedback's
        # searches (each with its own budget), so that shrinking never eats a later formula's time
        self.cpu_seconds = int(limits.import_timeout + (limits.timeout + shrink_seconds) * (n_formulas + 2) + 10)
        if self.namespaces:
            self.argv = isolation.bwrap_argv(caps.bwrap, tuple(policy.allowed), limits.tmpfs_mb,
                                             setuid_caps=self.uid is not None)
        else:
            self.argv = isolation.direct_argv(tuple(policy.allowed))
        self.pid: int | None = None
        self.conn: _Conn | None = None
        self.group: cgroups.Group | None = None
        self.violations: list[str] = []
        self.restarts = 0
        self.at = -1  # during a run: the case the runner said it was calling
        self.ready: dict = {}
        self.oom = False
        self._sub = None
        self._spare_job: tuple[threading.Thread, dict] | None = None  # the next submission's worker (prestart)
        self._ahead: tuple | None = None  # (conn, fn, blobs, sender thread, box): the next run's request, sent ahead

    @property
    def resources(self) -> str:
        return f"cgroup-{self.cgroup}" if self.cgroup else "rlimit"

    # ---------------------------------------------------------------- per submission

    def open(self, source: str, basename: str, functions: list[str]) -> LoadResult:
        self.close_submission()
        spare = self._take_spare()
        if spare is not None:
            workdir, out = spare["workdir"], spare["out"]
        else:
            workdir, out = self._new_dirs()
        self._sub = {"source": source, "basename": basename, "functions": functions, "workdir": workdir, "out": out}
        self.violations = []
        self.restarts = 0
        self.oom = False
        if spare is not None:
            self.pid, self.conn, self.group, self.ready = spare["pid"], spare["conn"], spare["group"], spare["ready"]
            return self._load()
        return self._start()

    def _new_dirs(self):
        workdir = tempfile.mkdtemp(prefix="sub-", dir=self.root)
        if self.uid is not None:
            os.chown(workdir, self.uid, self.uid)
        os.chmod(workdir, 0o700)
        return workdir, tempfile.TemporaryFile(dir=self.root)

    # ---------------------------------------------------------------- the next submission's worker, ahead

    def prestart(self) -> None:
        """Start the next submission's worker now, in the background, up to its "ready" (no code of any
        submission runs in it before :meth:`open` sends one). Only between submissions: a kill of the
        current worker sweeps the slot's uid."""
        if self._spare_job is not None or self._sub is not None or self.pid is not None:
            return
        box: dict = {}

        def work() -> None:
            workdir, out = self._new_dirs()
            box.update(workdir=workdir, out=out)
            try:
                box.update(zip(("pid", "conn", "group", "ready"), self._spawn(workdir, out, "submission.py")))
            except BaseException as e:  # the ordinary start in open() meets (and reports) it again
                box["error"] = e

        t = threading.Thread(target=work, name="formulacheck-prestart", daemon=True)
        t.start()
        self._spare_job = (t, box)

    def _take_spare(self) -> dict | None:
        job, self._spare_job = self._spare_job, None
        if job is None:
            return None
        job[0].join()
        box = job[1]
        if "error" in box or "pid" not in box:
            if "out" in box:
                box["out"].close()
                shutil.rmtree(box["workdir"], ignore_errors=True)
            return None
        return box

    def _drop_spare(self) -> None:
        spare = self._take_spare()
        if spare is not None:
            self.oom = self._kill_worker(spare["pid"], spare["conn"], spare["group"])[1] or self.oom
            spare["out"].close()
            shutil.rmtree(spare["workdir"], ignore_errors=True)

    # ---------------------------------------------------------------- starting a worker

    def _config(self, workdir: str, basename: str) -> dict:
        lim = self.limits
        return {
            "workdir": "/tmp" if self.namespaces else workdir, "basename": basename, "uid": self.uid,
            "memory_mb": lim.memory_mb, "fsize_mb": max(lim.fsize_mb, 1), "cpu_seconds": self.cpu_seconds,
            "max_processes": lim.max_processes, "max_output_bytes": lim.max_output_kb * 1024,
            "max_result_mb": lim.max_result_mb, "policy": self.policy.to_wire(), "seccomp": self.seccomp,
            # the clone's root is taken off the worker's path (its packages are out of reach); an
            # installed formulacheck lives in site-packages beside numpy and pyseccomp: that stays
            # (the import policy keeps `checks` and `reference` out of the submission's reach)
            "strip_paths": [] if self.namespaces or _is_site_dir(PROJECT_ROOT) else [PROJECT_ROOT],
            "reach_paths": (not self.namespaces) and self.uid is not None,
        }

    def _spawn(self, workdir: str, out, basename: str) -> tuple:
        """A new worker up to its "ready": (pid, conn, group, ready). SandboxError when it does not start
        (nothing of a submission runs yet: a failure here is ours)."""
        lim = self.limits
        group = None
        if self.cgroup:
            try:
                # +4: bwrap, its PID-namespace init, the supervisor, the runner
                group = cgroups.Group(self.cgroup, f"formulacheck-{os.getpid()}-{next(_COUNTER)}",
                                      lim.memory_mb, lim.max_processes + 4)
            except OSError as e:
                raise SandboxError(f"could not create the submission's cgroup: {e}")
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            r = self.zygote.request({"op": "spawn", "argv": self.argv, "env": isolation.worker_env(),
                                     "cgroups": group.procs_files if group else [], "cwd": self.root},
                                    [theirs.fileno(), out.fileno()])
        except BaseException:
            mine.close()
            if group is not None:
                group.remove()
            raise
        finally:
            theirs.close()
        pid = int(r["pid"])
        conn = _Conn(mine, (lim.max_result_mb << 21) + (1 << 20))
        try:
            conn.send(self._config(workdir, basename), as_json=True)
            ready = conn.recv(time.monotonic() + SETUP_TIMEOUT)
        except (WorkerGone, OSError) as e:
            code = self._kill_worker(pid, conn, group)[0]
            raise SandboxError(f"the sandbox did not start ({getattr(e, 'message', e)}; {describe_exit(code)})")
        if ready.get("op") != "ready":
            self._kill_worker(pid, conn, group)
            raise SandboxError(f"the sandbox could not be set up: {str(ready.get('error', ready))[:500]}")
        return pid, conn, group, ready

    def _start(self) -> LoadResult:
        s = self._sub
        self.pid, self.conn, self.group, self.ready = self._spawn(s["workdir"], s["out"], s["basename"])
        return self._load()

    def _load(self) -> LoadResult:
        s, lim = self._sub, self.limits
        try:
            self.conn.send({"op": "load", "source": s["source"], "modname": "submission", "fns": s["functions"],
                            "basename": s["basename"]})
            reply = self._recv(time.monotonic() + lim.import_timeout)
        except WorkerGone as g:
            msg = self._gone(g, "while importing the submission")
            return LoadResult(False, error=msg, kind="timeout" if g.kind == "timeout" and not self.oom else "crash")
        except OSError as e:
            msg = self._gone(WorkerGone("crash", str(e)), "while importing the submission")
            return LoadResult(False, error=msg, kind="crash")
        if reply.get("op") == "loaded" and isinstance(reply.get("fns"), list):
            fns = [f for f in reply["fns"] if isinstance(f, str) and f in s["functions"]]
            return LoadResult(True, functions=fns)
        if reply.get("op") == "load_error":
            return LoadResult(False, error=str(reply.get("error", "import failed"))[:2000], kind="error")
        msg = self._gone(WorkerGone("protocol", "unexpected reply"), "while importing the submission")
        return LoadResult(False, error=msg, kind="crash")

    def _recv(self, deadline: float, budget: int | None = None) -> dict:
        r = self.conn.recv(deadline, budget)
        v = r.get("viol")
        if isinstance(v, list):
            for x in v[:20]:
                x = str(x)[:300]
                if x not in self.violations:
                    self.violations.append(x)
        if r.get("op") == "gone":  # the supervisor's word: the submission's process ended
            if type(r.get("at")) is int:
                self.at = r["at"]
            code = r.get("code")
            why = str(r.get("why") or "")[:500]
            raise WorkerGone("crash", why or describe_exit(code if isinstance(code, int) else None), ) \
                if why else WorkerGone("exit", describe_exit(code if isinstance(code, int) else None))
        return r

    def _gone(self, g: WorkerGone, when: str) -> str:
        """Kill the worker after ``g``; the student-readable reason."""
        code = self.kill()
        if self.oom:
            return f"ran out of memory {when} (the limit is {self.limits.memory_mb} MB for all its processes)"
        if g.kind == "timeout":
            return f"timed out {when}"
        if g.kind == "protocol":
            return f"the worker broke the protocol {when}: {g.message}"
        if g.kind == "toolarge":
            return f"returned too much data {when}: {g.message}"
        if g.kind == "exit":
            return f"{g.message} {when}"
        if g.message and g.message != "eof":
            return f"{g.message} {when}"
        return f"{describe_exit(code)} {when}"

    def run(self, fn: str, blobs: list[bytes], fresh: bool, budget: float, then: tuple | None = None):
        """Evaluate ``fn`` on each pickled case; ``then`` (fn, blobs, fresh): the next run's request, queued
        behind this one (:meth:`send_ahead`).

        Returns (replies, problem): replies[i] is the reply for case i (None
        when not reached); problem is None or (kind, index, message) with
        kind 'timeout' / 'crash', index the case being evaluated.
        """
        replies: list[dict | None] = [None] * len(blobs)
        if self.conn is None:  # died on an earlier formula: restart it
            self.restarts += 1
            lr = self._start()
            if not lr.ok:
                return replies, ("crash", 0, f"the worker could not be restarted: {lr.error}")
        ahead, self._ahead = self._ahead, None
        deadline = time.monotonic() + budget
        bytes_budget = self.limits.max_result_mb << 21  # results and the arguments' echo, all cases together
        self.conn.received = 0
        i = 0
        # the case the runner said it was calling (the supervisor tells while the runner is silent, and when
        # it ends): the replies before it may never have left the runner's buffer
        self.at = -1
        try:
            if ahead is not None and ahead[0] is self.conn and ahead[1] == fn and ahead[2] is blobs:
                ahead[3].join()  # the worker has read it (or the connection broke)
                if "error" in ahead[4]:
                    raise ahead[4]["error"]
            else:
                if ahead is not None and ahead[0] is self.conn:  # another request is queued: this worker is wrong
                    raise WorkerGone("protocol", "a request sent ahead was not the next one run (a grader bug)")
                self.conn.send(self._run_request(fn, blobs, fresh))
            if then is not None:
                self.send_ahead(*then)
            while True:
                r = self._recv(deadline, bytes_budget)
                if r.get("op") == "done":
                    return replies, None
                if r.get("op") == "at":
                    if type(r.get("i")) is int:
                        self.at = r["i"]
                    continue
                idx = r.get("i")
                if type(idx) is not int or not 0 <= idx < len(blobs) or r.get("k") not in ("ok", "notimpl", "exc", "inplace", "alias", "bad"):
                    raise WorkerGone("protocol", "malformed reply")
                if r["k"] == "ok":  # the result, packed (decoded strictly when judged)
                    r["v"] = self.conn.parts[0] if len(self.conn.parts) == 1 else None
                replies[idx] = r
                i = idx + 1
        except WorkerGone as g:
            if i <= self.at < len(blobs):
                i = self.at
            i = min(i, len(blobs) - 1) if blobs else 0
            msg = self._gone(g, f"while running {fn}")
            if g.kind == "timeout" and not self.oom:
                msg = f"{fn} timed out: more than {budget:g} s in total on this formula's inputs"
            return replies, ("timeout" if g.kind == "timeout" and not self.oom else "crash", i, msg)
        except OSError as e:
            if i <= self.at < len(blobs):
                i = self.at
            msg = self._gone(WorkerGone("crash", str(e)), f"while running {fn}")
            return replies, ("crash", i, msg)

    def _run_request(self, fn: str, blobs: list[bytes], fresh: bool) -> dict:
        return {"op": "run", "fn": fn, "cases": blobs, "fresh": fresh, "max_bytes": self.limits.max_result_mb << 20}

    def send_ahead(self, fn: str, blobs: list[bytes], fresh: bool) -> None:
        """Queue the request of the next :meth:`run` now (``fn`` on ``blobs``, the very list), while this one's
        replies are read: the supervisor reads it when the current run ends, so the worker never waits for
        the grader between two formulas. A thread sends it (it may block until the supervisor reads, while
        this one reads replies). The next ``run`` must be that one (else: drop_ahead first)."""
        if self.conn is None or self._ahead is not None:
            return
        conn, box = self.conn, {}
        frame = conn.frame(self._run_request(fn, blobs, fresh))

        def send() -> None:
            try:
                conn.sock.sendall(frame)
            except OSError as e:  # the worker is gone: the run meets it
                box["error"] = e

        t = threading.Thread(target=send, name="formulacheck-send-ahead", daemon=True)
        t.start()
        self._ahead = (conn, fn, blobs, t, box)

    def drop_ahead(self) -> None:
        """A request sent ahead will not be run (the submission stops here): the worker stops now."""
        if self._ahead is not None:
            self._ahead = None
            self.kill()

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
        conn, pid, group = self.conn, self.pid, self.group
        self.conn = self.pid = self.group = None
        self._ahead = None
        code, oom = self._kill_worker(pid, conn, group)
        self.oom = self.oom or oom
        return code

    def _kill_worker(self, pid: int | None, conn: "_Conn | None", group) -> tuple[int | None, bool]:
        """Kill one worker and everything it started: (its exit code, whether its cgroup saw an OOM kill)."""
        code, oom = None, False
        if conn is not None:
            try:
                conn.sock.close()
            except OSError:
                pass
        if pid is not None:
            try:
                if group is not None:
                    group.kill()
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            code = self.zygote.request({"op": "wait", "pid": pid, "timeout": 5.0}).get("code")
            if self.uid is not None:
                self.zygote.request({"op": "sweep", "uid": self.uid})
            elif not self.namespaces:
                self.zygote.request({"op": "sweep_tree", "pgid": pid})
        if group is not None:
            oom = group.oom_kills() > 0
            group.remove()
        if self.uid is not None and not self.namespaces:  # in a namespace it can write its own tmpfs only
            remove_files_of(self.uid, ["/tmp", "/var/tmp", "/dev/shm"])
            remove_ipc_of(self.uid)  # its own IPC namespace otherwise
        return code, oom

    def close_submission(self) -> None:
        self.kill()
        if self._sub is not None:
            self._sub["out"].close()
            shutil.rmtree(self._sub["workdir"], ignore_errors=True)
            self._sub = None

    def close(self) -> None:
        try:
            self.close_submission()
            self._drop_spare()
        finally:
            if self._uid_lock is not None:
                self._uid_lock.close()
                self._uid_lock = None
