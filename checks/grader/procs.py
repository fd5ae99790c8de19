"""Grading processes: ``--jobs N`` grades in N processes, each with its own grader.

A grader judges in Python (numpy), so N grading threads in one process share
one GIL: measured on 2 cores, a second job added ~1.4x the cost of a
submission instead of halving it. With ``jobs > 1`` the :class:`Grader
<checks.grader.grade.Grader>` starts N of these processes instead; each
holds one grader with one sandbox (``jobs=1``: its own zygote, its own
private uid and cgroup, the vectors file read once) and grades the
submissions it is sent, one at a time. The parent reads the files (the
rules of :mod:`checks.grader.source`), sends the bytes and gets the result.

The channel carries pickles both ways: both ends are the grader's own code
(the submission runs in the sandbox under the child, never on this channel).
The child is started with ``subprocess`` (``python -c``), not
``multiprocessing``: no re-import of the parent's ``__main__`` (a benchmark
script, pytest), nothing inherited but the environment, and it dies with
its parent (it watches its parent, see :func:`child_main`).
"""

from __future__ import annotations

import os
import pickle
import select
import socket
import subprocess
import sys
import tempfile
import threading

from checks.worker.frames import recv_frame, send_frame

#: seconds a child may take to start (read the vectors file, start its zygote)
START_TIMEOUT = 120.0


class ChildGone(Exception):
    """The grading process died or broke the protocol (the submission is not graded by it)."""


class GraderProcess:
    """One grading process; ``grade`` is called by one thread at a time (a job slot)."""

    def __init__(self, kwargs: dict, root: str):
        self.kwargs = kwargs
        self.root = root
        self.proc: subprocess.Popen | None = None
        self.sock: socket.socket | None = None
        self.info: dict = {}
        self._lock = threading.Lock()
        self.start()

    def start(self) -> None:
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        code = (f"import sys; sys.path.insert(0, {_root()!r}); "
                f"from checks.grader.procs import child_main; child_main({child.fileno()}, {os.getpid()})")
        env = dict(os.environ)
        for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[k] = "1"  # N processes on N cores: one BLAS thread each
        self._err = tempfile.TemporaryFile(dir=self.root)
        self.proc = subprocess.Popen([sys.executable, "-c", code], pass_fds=[child.fileno()], env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._err,
                                     cwd=self.root)
        child.close()
        self.sock = parent
        from checks.grader import uids

        self._send(("start", self.kwargs, {"uid_range": (uids.UID_RANGE.start, uids.UID_RANGE.stop)}))
        if not select.select([self.sock], [], [], START_TIMEOUT)[0]:
            self.close()
            raise ChildGone(f"a grading process did not start in {START_TIMEOUT:g} s{self._stderr()}")
        reply = self._recv()
        if reply[0] == "error":
            self.close()
            raise reply[1]
        self.info = reply[1]

    def _send(self, obj) -> None:
        try:
            send_frame(self.sock.fileno(), pickle.dumps(obj, protocol=5))
        except OSError as e:
            raise ChildGone(f"the grading process is gone ({e})") from None

    def _recv(self):
        try:
            raw = recv_frame(self.sock.fileno())
        except OSError as e:
            raw = None
            why = str(e)
        else:
            why = "it closed its channel"
        if raw is None:
            raise ChildGone(f"the grading process ended ({why}){self._stderr()}")
        return pickle.loads(raw)

    def _stderr(self) -> str:
        try:
            self._err.seek(0)
            tail = self._err.read()[-600:].decode("utf-8", "replace").strip()
        except (OSError, ValueError):
            return ""
        return f": {tail}" if tail else ""

    def grade(self, data: bytes, name: str, path: str):
        """The SubmissionResult of one submission; ChildGone (after a restart) when the process died."""
        with self._lock:
            try:
                self._send(("grade", data, name, path))
                reply = self._recv()
            except ChildGone:
                self.close()
                self.start()
                raise
            if reply[0] == "error":
                raise reply[1]
            return reply[1]

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()  # the child's loop ends at end of file: it closes its grader and exits
            except OSError:
                pass
            self.sock = None
        if self.proc is not None:
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
        try:
            self._err.close()
        except (OSError, AttributeError):
            pass


def _root() -> str:
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def child_main(fd: int, parent_pid: int) -> None:
    """The grading process: one Grader(jobs=1), grading what the parent sends until it closes the channel."""
    import signal
    import time

    # never outlive the parent. Not PR_SET_PDEATHSIG: it fires when the parent THREAD that started us
    # ends (the parent starts and restarts us from its grading threads); the parent's death shows
    # as end of file on the channel, and, while grading, as a new parent process
    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(0)

    if os.getppid() != parent_pid:
        os._exit(0)
    threading.Thread(target=watch, name="formulacheck-parent-watch", daemon=True).start()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what an interruption means
    from checks.grader.grade import Grader

    grader = None
    try:
        while True:
            raw = recv_frame(fd)
            if raw is None:
                return
            msg = pickle.loads(raw)
            try:
                if msg[0] == "start":
                    from checks.grader import uids

                    uids.UID_RANGE = range(*msg[2]["uid_range"])  # the parent's range (tests narrow it)
                    grader = Grader(**msg[1])
                    grader._ensure()
                    reply = ("ok", {"isolation": grader.isolation, "resources": grader.resources,
                                    "sha256": grader.sha256, "uids": grader.slot_uids})
                else:
                    _, data, name, path = msg
                    reply = ("ok", grader.grade_bytes(data, name, path))
            except Exception as e:  # an error the parent reports as its own (IsolationError, VectorsError...)
                reply = ("error", e)
            try:
                payload = pickle.dumps(reply, protocol=5)
            except Exception as e:  # an unpicklable exception
                payload = pickle.dumps(("error", RuntimeError(f"{type(e).__name__}: {e}")), protocol=5)
            send_frame(fd, payload)
    finally:
        if grader is not None:
            grader.close()
