"""The grader's launcher process: one :class:`Zygote` per grader (``checks.worker.zygote`` inside).

Split from :mod:`checks.grader.sandbox`, which starts every worker through it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor

from checks.grader import isolation

PROJECT_ROOT = isolation.PROJECT_ROOT
ZYGOTE_TIMEOUT = 15.0      # seconds for any answer of the zygote


class SandboxError(Exception):
    """The sandbox itself failed (not the submission): a grader error."""



class Zygote:
    """The launcher process (``checks.worker.zygote``); thread-safe, restarted when it stops answering."""

    def __init__(self):
        self._lock = threading.Lock()
        self.dir = tempfile.mkdtemp(prefix="formulacheck-zygote-")
        os.chmod(self.dir, 0o700)
        self.proc: subprocess.Popen | None = None
        self.sock: socket.socket | None = None
        self.restarts = 0
        # the process is started by this one thread, alive until close(): PR_SET_PDEATHSIG (the zygote
        # dies with its parent) fires when the THREAD that started it ends, and requests (restarts)
        # come from any thread (the grading threads, a slot's worker starting ahead)
        self._starter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="formulacheck-zygote")
        self._start()
        r = self.request({"op": "ping"})
        self.subreaper = bool(r.get("subreaper"))
        self.modules = r.get("modules", [])

    def _start(self) -> None:
        self._starter.submit(self._popen).result()

    def _popen(self) -> None:
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        code = (f"import sys; sys.path.insert(0, {PROJECT_ROOT!r}); "
                f"from checks.worker.zygote import main; main({child.fileno()}, {os.getpid()})")
        self._err = tempfile.TemporaryFile(dir=self.dir)
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-B", "-c", code], pass_fds=[child.fileno()], env=isolation.worker_env(),
            cwd=self.dir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._err,
            start_new_session=True,
        )
        child.close()
        parent.settimeout(ZYGOTE_TIMEOUT)
        self.sock = parent

    def _kill(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.proc.kill()
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
            self.proc = None
        try:
            self._err.close()
        except OSError:
            pass

    def request(self, obj: dict, fds: list[int] = ()) -> dict:
        """One request; a zygote that died or stopped answering is replaced and the request sent once more
        (a submission below the namespaces level can kill the zygote: that must not become a grader error)."""
        try:
            return self._request(obj, fds)
        except SandboxError:
            return self._request(obj, fds)

    def _request(self, obj: dict, fds: list[int] = ()) -> dict:
        with self._lock:
            if self.sock is None:  # it stopped answering before: a new one
                self.restarts += 1
                self._start()
            err = None
            try:
                socket.send_fds(self.sock, [json.dumps(obj).encode()], list(fds))
                reply = self.sock.recv(1 << 16)
            except socket.timeout:
                reply, err = b"", f"no answer within {ZYGOTE_TIMEOUT:g} s"
            except OSError as e:
                reply, err = b"", str(e)
            if not reply:
                try:
                    self._err.seek(0)
                    tail = self._err.read()[-2000:].decode("utf-8", "replace")
                except (OSError, ValueError):
                    tail = ""
                self._kill()  # the next request starts a new zygote
                raise SandboxError(f"the grader's worker zygote stopped ({err or 'no reply'}) {tail}".strip())
        r = json.loads(reply)
        if "error" in r:
            raise SandboxError(f"zygote: {r['error']}")
        return r

    def close(self) -> None:
        with self._lock:
            if self.sock is not None:
                try:
                    self.sock.close()  # it kills what is left and exits
                except OSError:
                    pass
                self.sock = None
            if self.proc is not None:
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
            self._kill()
        self._starter.shutdown(wait=False)
        shutil.rmtree(self.dir, ignore_errors=True)
