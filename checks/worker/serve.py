"""Inside the sandbox: the supervisor and the runner of one submission.

Processes (inside bubblewrap's PID namespace, where there is one)::

    supervisor   started by the zygote (through bwrap); the grader's only peer
      └─ runner  forked per submission: imports and runs the submission

The supervisor holds the grader's channel (fd 3). Before any code of the
submission exists it limits itself (RLIMITs), drops to the slot's private
uid (when started as root), makes itself non-dumpable (no process of the
same uid can read its memory or its descriptors through /proc), loads its
seccomp filter and tells the grader ``ready``. Then it forks the runner,
which closes the grader's channel before anything else: the submission's
code can never write on it. Every frame the grader reads comes from the
supervisor; what the runner says reaches the grader only as data inside the
supervisor's frames, checked on the way (strict wire decoding, size caps),
and the in-place rule is judged here, on the runner's echo of the arguments,
out of the submission's reach.

Grader -> supervisor frames are pickles (the grader's own data); the cases
are unpickled by a restricted unpickler (numpy, plain containers,
``checks.core.gradfns``). Runner -> supervisor and supervisor -> grader
frames are :mod:`wire` messages (a JSON header and packed values, no
pickle): the supervisor reads the runner's headers and forwards a result
as the bytes it got, which the grader decodes strictly. The in-place rule
is judged here: with each result the runner sends the arguments after the
call pickled again; the very bytes the supervisor sent mean nothing moved
(a comparison of bytes: the supervisor never unpickles what the runner
sends); anything else must come with the arguments packed, which are
decoded strictly and compared with :func:`same` on the supervisor's own
copy of the case.

The common reply (``{"k": "ok", "i": i}``, the value and the echo, exactly
the bytes of the case sent) is recognised on its bytes (``forward_ok``): the
header the runner's template writes, the lengths adding up to the frame, the
echo equal to the case; its value is forwarded as it came, in the frame the
slow path would write. Anything else goes through the wire parse and every
check below (tests/grader/test_worker_fastpath.py: the same bytes for the
grader with the fast path on and off, on forged and malformed replies).

Replies travel in batches: the runner writes about a megabyte of them at a
time, the supervisor reads them in one go and writes its own frames for the
grader together before it waits again (a frame each, so every cap is the
same). So that a hang or a crash still names its input, the runner writes
the number of the case it is calling in a page shared with the supervisor
(``progress``), which tells the grader ``at`` while the runner is silent
(every 50 ms) and in its ``gone`` message. The page is the submission's to
write: a false number only moves the input shown for its own failed formula.
"""

from __future__ import annotations

import json
import mmap
import os
import pickle
import resource
import select
import signal
import socket
import struct
import sys
import time

from checks.core import wire
from checks.worker import filter as scfilter
from checks.worker.common import (CTL_FD, count_tasks, loads, prctl, reach_paths, safe_str, same, setlimit)
from checks.worker.frames import HDR, FrameError, FrameReader, recv_frame, send_frame
from checks.worker.runner import OK_PREFIX, Runner, ok_prefix

_exit = os._exit
_U32LE = struct.Struct("<I").pack
_U32_AT = struct.Struct("<I").unpack_from


# --------------------------------------------------------------------------
# the supervisor
# --------------------------------------------------------------------------

def main() -> None:
    """Entry point in the sandbox (fd 3: the grader's channel, fd 4: the output file)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        cfg = json.loads(recv_frame(CTL_FD, 1 << 24) or b"{}")
        Supervisor(cfg).setup_and_serve()
    except BaseException as e:  # setup failed before any submission code ran: the grader's problem
        try:
            send_frame(CTL_FD, wire.message({"op": "fatal", "error": f"{type(e).__name__}: {safe_str(e)}"}))
        except BaseException:
            pass
        _exit(71)
    _exit(0)


class Supervisor:
    def __init__(self, cfg: dict):
        self.cfg = cfg
        self.runner_pid: int | None = None
        self.rsock: socket.socket | None = None
        self.base_cap = (int(cfg["max_result_mb"]) << 21) + (1 << 20)  # a result and the arguments' echo
        self.cap = self.base_cap
        self.runner_status: int | None = None  # the runner's wait status once reaped
        # a run ended with a policy violation reported: the grader stops grading this submission, so a run
        # it queued behind that one (checks.grader.sandbox.Sandbox.send_ahead) is answered "done" unrun
        self.stopped = False
        self.pending: list[bytes] = []  # frames for the grader, written together (flush)
        self.reader: FrameReader | None = None  # the runner's frames
        # the runner writes here the number of the case it is calling (1-based; 0: none yet), so that
        # a hang or a crash names its input although the replies before it were still in its buffer
        self.progress = mmap.mmap(-1, 8)
        self.running: tuple[int, int] | None = None  # during a run: (cases, the next reply expected)
        self.told_at = -1
        self.parts: list[bytes] = []  # the parts of the runner's last message

    def reap(self, *_sig) -> None:
        """SIGCHLD: reap every child (as the PID namespace's init, orphans of the submission come here)."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid == self.runner_pid:
                self.runner_status = status

    def send(self, obj: dict, *parts: bytes) -> None:
        m = wire.message(obj, *parts)
        self.pending.append(HDR.pack(len(m)) + m)

    def flush(self) -> None:
        """Write the frames for the grader (one write for all of them)."""
        if self.pending:
            data, self.pending = b"".join(self.pending), []
            view = memoryview(data)
            while view:
                view = view[os.write(CTL_FD, view):]

    def started(self) -> int | None:
        """The case the runner said it is calling (during a run), else None."""
        if self.running is None:
            return None
        i = int.from_bytes(self.progress[:4], "little") - 1
        return i if 0 <= i < self.running[0] else None

    def setup_and_serve(self) -> None:
        cfg = self.cfg
        mb = 1 << 20
        os.umask(0o077)
        os.chdir(cfg["workdir"])
        setlimit(resource.RLIMIT_CORE, 0)
        setlimit(resource.RLIMIT_AS, int(cfg["memory_mb"]) * mb)
        setlimit(resource.RLIMIT_FSIZE, int(cfg["fsize_mb"]) * mb)
        setlimit(resource.RLIMIT_CPU, int(cfg["cpu_seconds"]), int(cfg["cpu_seconds"]) + 5)
        setlimit(resource.RLIMIT_NOFILE, 256)
        strip = set(cfg.get("strip_paths", []))
        sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) not in strip]
        uid = cfg.get("uid")
        if uid is not None and os.geteuid() == 0:
            if cfg.get("reach_paths"):
                reach_paths()
            os.setgroups([])
            os.setgid(int(uid))
            os.setuid(int(uid))
        me = os.getuid()
        private = uid is not None and me == int(uid)
        nproc = int(cfg["max_processes"]) + (0 if private else count_tasks(me))
        setlimit(resource.RLIMIT_NPROC, nproc)
        prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: no /proc/<pid>/mem or fd of ours to the runner
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)  # before seccomp denies sockets
        self.rsock, self._theirs = mine, theirs
        why = None
        if cfg.get("seccomp"):
            try:
                scfilter.load_supervisor()
            except Exception as e:
                why = f"{type(e).__name__}: {e}"
                raise RuntimeError(f"the seccomp filter could not be loaded: {why}")
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        signal.signal(signal.SIGCHLD, self.reap)
        os.environ.clear()
        os.environ.update(HOME=cfg["workdir"], TMPDIR=cfg["workdir"], PATH="/nonexistent", LANG="C.UTF-8")
        self.send({"op": "ready", "uid": me, "private_uid": private, "seccomp": bool(cfg.get("seccomp")),
                   "pid": os.getpid(), "nproc": nproc})
        self.serve()

    # ---------------------------------------------------------------- grader requests

    def serve(self) -> None:
        while True:
            self.flush()
            raw = recv_frame(CTL_FD, 1 << 30)
            if raw is None:
                self.stop_runner()
                _exit(0)
            req = loads(raw)
            op = req["op"]
            if op == "load":
                self.load(req)
            elif op == "run":
                if self.stopped:
                    self.send({"op": "done", "viol": None})
                else:
                    self.run(req)
            elif op == "probe":
                self.to_runner({"op": "probe"})
                r = self.from_runner()
                if r is not None:
                    self.send({"op": "probe", "runner": r, "supervisor": {"uid": os.getuid(), "pid": os.getpid()}})
            else:
                self.stop_runner()
                _exit(0)

    def load(self, req: dict) -> None:
        if isinstance(req.get("basename"), str):  # a worker started ahead learns the file's name now
            self.cfg["basename"] = req["basename"]
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})  # runner_pid is set before any reaping
        pid = os.fork()
        if pid == 0:
            code = 70
            try:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
                os.close(CTL_FD)   # first of all: the grader's channel is out of the submission's reach
                self.rsock.close()
                Runner(self._theirs.detach(), self.cfg, os.getppid(), self.progress).start(req)
                code = 0
            finally:
                _exit(code)
        self._theirs.close()
        self.reader = FrameReader(self.rsock.fileno())
        self.runner_pid = pid
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
        r = self.from_runner()
        if r is None:
            return
        op = r.get("op")
        if op == "loaded" and isinstance(r.get("fns"), list):
            self.send({"op": "loaded", "fns": [f for f in r["fns"] if isinstance(f, str)], "viol": r.get("viol")})
        elif op == "load_error":
            self.send({"op": "load_error", "error": str(r.get("error", "import failed"))[:2000], "viol": r.get("viol")})
        else:
            self.gone("the submission's process sent an unexpected reply while being imported")

    def run(self, req: dict) -> None:
        blobs = req["cases"]
        self.cap = self.base_cap + max(map(len, blobs), default=0)  # a result, the arguments pickled and packed
        self.progress[:4] = bytes(4)
        self.told_at = -1
        self.running = (len(blobs), 0)
        if not self.to_runner({"op": "run", "fn": req["fn"], "cases": blobs, "fresh": req["fresh"],
                               "max_bytes": req["max_bytes"]}):
            return
        for i, blob in enumerate(blobs):
            self.running = (len(blobs), i)
            raw = self.raw_from_runner()
            if raw is None:
                return
            if self.forward_ok(raw, i, blob):
                continue
            r = self.parse(raw)
            if r is None:
                return
            k = r.get("k")
            if r.get("i") != i or k not in ("ok", "notimpl", "exc", "alias", "bad"):
                self.gone("the submission's process broke the protocol (a malformed reply)")
                return
            out = {"k": k, "i": i, "viol": r.get("viol")}
            parts = ()
            if k == "ok":
                if len(self.parts) not in (2, 3):
                    self.gone("the submission's process broke the protocol (a result without its parts)")
                    return
                moved = None
                if self.parts[1] != blob:  # not the bytes of the untouched arguments: compare them
                    try:
                        if len(self.parts) != 3:
                            raise wire.WireError("they were not sent")
                        args, kwargs = loads(blob)  # ours
                        moved = self.inplace(req["fn"], args, kwargs, wire.unpack(self.parts[2]))
                    except (wire.WireError, ValueError, TypeError, RecursionError) as e:
                        moved = f"{req['fn']}: its arguments could not be read back after the call: {e}"
                if moved:
                    out = {"k": "inplace", "i": i, "msg": moved, "viol": r.get("viol")}
                else:
                    parts = (self.parts[0],)
            elif k != "notimpl":
                out["msg"] = str(r.get("msg", ""))[:2000]
            self.send(out, *parts)
            if k == "notimpl":
                break
        r = self.from_runner()
        self.running = None
        if r is not None:
            if r.get("op") != "done":
                self.gone("the submission's process broke the protocol (no end of results)")
                return
            self.send({"op": "done", "viol": r.get("viol")})
            self.stopped = bool(r.get("viol"))

    def forward_ok(self, raw: bytes, i: int, blob: bytes) -> bool:
        """The common reply on its own: exactly the bytes ``wire.message({"k": "ok", "i": i}, value, blob)``
        (the result of case ``i`` and the untouched arguments' echo, byte for byte the case sent): the
        grader's frame ``{"k": "ok", "i": i, "viol": null}`` + the value is queued (the value's bytes as they
        came, decoded by the grader) and True returned. Anything else (another header, a violation, three
        parts, an echo that is not the case, a length that does not add up) returns False with nothing
        sent: :meth:`run` judges it as every reply (the same checks, the same answer for these bytes)."""
        head = OK_PREFIX[i] if i < len(OK_PREFIX) else ok_prefix(i)
        pos = len(head)
        end = len(raw)
        if end < pos + 8 or not raw.startswith(head):
            return False
        nv = _U32_AT(raw, pos)[0]
        vs = pos + 4
        ve = vs + nv
        if ve + 4 > end:
            return False
        es = ve + 4
        if es + _U32_AT(raw, ve)[0] != end or end - es != len(blob) or not raw.startswith(blob, es):
            return False
        h = b'{"k":"ok","i":%d,"viol":null}' % i
        self.pending += [HDR.pack(12 + len(h) + nv) + wire.MAGIC + _U32LE(len(h)) + h + _U32LE(nv), memoryview(raw)[vs:ve]]
        return True

    @staticmethod
    def inplace(fn: str, args, kwargs, after) -> str | None:
        if not (isinstance(after, list) and len(after) == 2 and isinstance(after[0], list) and isinstance(after[1], dict)):
            return f"{fn}: its arguments could not be read back after the call"
        a_args, a_kwargs = after
        if len(a_args) != len(args) or set(a_kwargs) != set(kwargs):
            return f"{fn}: its arguments could not be read back after the call"
        for i, (a, b) in enumerate(zip(args, a_args)):
            if not same(a, b):
                return f"{fn} modified its argument #{i + 1} in place (the contract forbids it)"
        for k in kwargs:
            if not same(kwargs[k], a_kwargs[k]):
                return f"{fn} modified its argument {k!r} in place (the contract forbids it)"
        return None

    # ---------------------------------------------------------------- the runner's channel

    def to_runner(self, obj) -> bool:
        if self.runner_pid is None:
            self.gone("the submission's process is not running")
            return False
        try:
            send_frame(self.rsock.fileno(), pickle.dumps(obj, protocol=5))
            return True
        except OSError:
            self.gone()
            return False

    def wait_runner(self) -> None:
        """Before blocking on the runner: write what the grader has to read; during a run, while the runner
        is silent, tell the grader every 50 ms which case it is calling (when that case has no reply yet)."""
        if self.reader.complete():
            return
        self.flush()
        if self.running is None:
            return
        fd = self.rsock.fileno()
        while not select.select([fd], [], [], 0.05)[0]:
            at = self.started()
            if at is not None and at >= self.running[1] and at != self.told_at:
                self.told_at = at
                self.send({"op": "at", "i": at})
                self.flush()

    def from_runner(self) -> dict | None:
        """The runner's next message (a dict), or None after telling the grader it is gone."""
        raw = self.raw_from_runner()
        return None if raw is None else self.parse(raw)

    def raw_from_runner(self) -> bytes | None:
        """The runner's next frame (at most ``cap`` bytes), or None after telling the grader it is gone."""
        try:
            raw = self.reader.take(self.cap)  # already here (the replies come in batches): no wait
            if raw is None:
                self.wait_runner()
                raw = self.reader.recv(self.cap)
        except FrameError as e:
            self.gone(f"the submission returned too much data: {e}")
            return None
        except OSError:
            raw = None
        if raw is None:
            self.gone()
        return raw

    def parse(self, raw: bytes) -> dict | None:
        """The header of the runner's message ``raw`` (its parts in ``self.parts``), or None after telling the
        grader it is gone (not a wire message)."""
        try:
            obj, self.parts = wire.parse(raw)
        except wire.WireError as e:
            self.gone(f"the submission's process sent unreadable data: {e}")
            return None
        return obj

    def _wait_runner(self, block: bool) -> int | None:
        """The runner's exit code if it has ended (reaped here or by :meth:`reap`), else None."""
        if self.runner_status is None:
            try:
                pid, status = os.waitpid(self.runner_pid, 0 if block else os.WNOHANG)
                if pid:
                    self.runner_status = status
            except ChildProcessError:  # reaped by the SIGCHLD handler meanwhile
                pass
        if self.runner_status is None:
            return None
        self.runner_pid = None
        return os.waitstatus_to_exitcode(self.runner_status)

    def stop_runner(self) -> int | None:
        if self.runner_pid is None:
            return None
        try:
            os.kill(self.runner_pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        for _ in range(1000):
            code = self._wait_runner(block=False)
            if code is not None or self.runner_pid is None:
                return code
            time.sleep(0.002)
        return None

    def gone(self, why: str = "") -> None:
        """The runner died or misbehaved: kill it, tell the grader how it ended (authentic)."""
        code = None
        if self.runner_pid is not None:
            for _ in range(50):  # it may be dying on its own: give it a moment to report its real end
                code = self._wait_runner(block=False)
                if self.runner_pid is None:
                    break
                time.sleep(0.002)
            if self.runner_pid is not None:
                code = self.stop_runner()
        at = self.started()
        self.send({"op": "gone", "code": code, "why": why, **({"at": at} if at is not None else {})})
        self.flush()
        _exit(0)


