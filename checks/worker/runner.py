"""The runner: the submission's own process, forked by the supervisor (``checks.worker.serve``).

It closes the grader's channel before anything else, loads its stricter
seccomp filter, imports the submission and calls its functions on the
cases the supervisor forwards; it answers the supervisor only.
"""

from __future__ import annotations

import builtins
import copyreg
import io
import os
import pickle
import resource
import signal
import sys
import traceback
import types

from checks.core import wire
from checks.worker import filter as scfilter
from checks.worker.common import _GRADFNS, OUT_FD, _shares_memory, leaves, loads, prctl, safe_str
from checks.worker.frames import HDR, recv_frame, send_frame
from checks.worker.guard import Guard

_exit = os._exit

#: the runner's replies are written in batches of about this many bytes
FLUSH_BYTES = 1 << 20


def _not_again(obj):
    raise pickle.PicklingError(f"{type(obj).__name__} is not pickled again here")


class _EchoPickler(pickle.Pickler):
    """Pickles a case's arguments again after the call. Not a grad_fn: pickle would import its module
    (checks.core.gradfns, taken out of sys.modules: a policy violation); such arguments go packed."""

    dispatch_table = {**copyreg.dispatch_table,
                      **{c: _not_again for c in (getattr(_GRADFNS, "GRAD_FNS", {}) or {}).values()}}


def _dumps(obj) -> bytes:
    buf = io.BytesIO()
    _EchoPickler(buf, protocol=5).dump(obj)
    return buf.getvalue()
_write = os.write

# --------------------------------------------------------------------------
# the runner: the submission's process
# --------------------------------------------------------------------------

class _Capped(io.TextIOBase):
    """sys.stdout / sys.stderr: writes through to fd 1 up to a shared cap, then drops."""

    def __init__(self, fd: int, left: list[int]):
        self._fd, self._left = fd, left

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        if self._left[0] > 0 and s:
            b = s.encode("utf-8", "replace")[: self._left[0]]
            self._left[0] -= len(b)
            try:
                _write(self._fd, b)
            except OSError:
                self._left[0] = 0
        return len(s)

    def writable(self):
        return True

    def isatty(self):
        return False

    def fileno(self):
        return self._fd

    def flush(self):
        pass

    @property
    def encoding(self):
        return "utf-8"


class Runner:
    def __init__(self, fd: int, cfg: dict, supervisor_pid: int, progress=None):
        self.fd = fd
        self.progress = progress  # shared with the supervisor: the case being called (1-based)
        self.cfg = cfg
        self.supervisor_pid = supervisor_pid
        self.filename = os.path.basename(cfg["basename"])
        self.violations: list[str] = []
        self.module: types.ModuleType | None = None

    def send(self, obj: dict, *parts: bytes) -> None:
        if self.violations:
            obj["viol"] = list(self.violations)
        send_frame(self.fd, wire.message(obj, *parts))

    def start(self, req: dict) -> None:
        os.setsid()  # its own process group: kill(0) cannot reach the supervisor
        # the supervisor is non-dumpable (its /proc files belong to root); the runner holds no secret,
        # and its own /proc/self files (oom_score_adj, comm) must be its own
        prctl(4, 1, 0, 0, 0)
        try:
            with open("/proc/self/oom_score_adj", "w") as fh:
                fh.write("1000")  # the memory cgroup's OOM killer takes the submission first
        except OSError:
            pass
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(OUT_FD, 1)
        os.dup2(OUT_FD, 2)
        os.close(null)
        os.close(OUT_FD)
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE, signal.SIGCHLD):
            signal.signal(s, signal.SIG_DFL)
        if self.cfg.get("seccomp"):
            scfilter.load_runner(self.supervisor_pid)
        left = [int(self.cfg["max_output_bytes"]) + 1]  # one byte more: the grader sees the truncation
        sys.stdout = sys.__stdout__ = _Capped(1, left)
        sys.stderr = sys.__stderr__ = _Capped(2, left)
        sys.stdin = sys.__stdin__ = io.StringIO("")
        sys.meta_path.insert(0, Guard(self.filename, self.cfg["policy"], self.violations))
        for m in list(sys.modules):  # the project's packages are out of the submission's reach
            if m == "checks" or m.startswith("checks.") or m == "reference" or m.startswith("reference."):
                del sys.modules[m]
        self.load(req)
        while True:
            raw = recv_frame(self.fd, 1 << 30)
            if raw is None:
                _exit(0)
            r = loads(raw)
            if r["op"] == "run":
                self.run(r)
            elif r["op"] == "probe":
                self.send({"op": "probe", "modules": sorted({m.split(".")[0] for m in sys.modules}),
                           "uid": os.getuid(), "cwd": os.getcwd(), "pgid": os.getpgid(0), "sid": os.getsid(0),
                           "nproc": list(resource.getrlimit(resource.RLIMIT_NPROC)), "umask": os.umask(0o077),
                           "tmpdir": os.environ.get("TMPDIR"), "home": os.environ.get("HOME")})
            else:
                _exit(0)

    def where(self, e: BaseException) -> str:
        try:
            tb = traceback.extract_tb(e.__traceback__)
        except BaseException:
            return ""
        mine = [fr for fr in tb if fr.filename == self.filename]
        fr = mine[-1] if mine else (tb[-1] if tb else None)
        if fr is None:
            return ""
        name = os.path.basename(fr.filename) if fr.filename == self.filename else fr.filename
        return f" (line {fr.lineno} of {name})"

    def load(self, req: dict) -> None:
        src = req["source"]
        try:
            with open(self.filename, "w", encoding="utf-8") as fh:  # for tracebacks (linecache)
                fh.write(src)
        except OSError:
            pass
        mod = types.ModuleType(req["modname"])
        mod.__file__ = self.filename
        mod.__builtins__ = builtins
        sys.modules[req["modname"]] = mod
        try:
            exec(compile(src, self.filename, "exec", dont_inherit=True), mod.__dict__)
        except BaseException as e:  # SystemExit, KeyboardInterrupt, MemoryError... all become a verdict
            if isinstance(e, SystemExit):
                msg = f"the submission called sys.exit({safe_str(e)}) while being imported"
            else:
                msg = f"importing the submission raised {type(e).__name__}: {safe_str(e)}{self.where(e)}"
                if isinstance(e, MemoryError):
                    msg += f" (the memory limit is {self.cfg['memory_mb']} MB)"
            self.send({"op": "load_error", "error": msg})
            return
        self.module = mod
        self.send({"op": "loaded", "fns": [n for n in req["fns"] if callable(mod.__dict__.get(n))]})

    def run(self, req: dict) -> None:
        name, fresh, max_bytes = req["fn"], req["fresh"], req["max_bytes"]
        fn = self.module.__dict__.get(name) if self.module is not None else None
        prog = self.progress
        out, size = [], 0  # the replies, written FLUSH_BYTES at a time (the supervisor reads them in one go)
        for i, blob in enumerate(req["cases"]):
            if prog is not None:
                prog[:4] = (i + 1).to_bytes(4, "little")
            r, parts = self.one(name, fn, blob, fresh, max_bytes)
            r["i"] = i
            if self.violations:
                r["viol"] = list(self.violations)
            m = wire.message(r, *parts)
            out.append(HDR.pack(len(m)) + m)
            size += len(m)
            if size >= FLUSH_BYTES:
                self._write(out)
                out, size = [], 0
            if r["k"] == "notimpl":
                break
        self._write(out)
        self.send({"op": "done"})

    def _write(self, frames: list) -> None:
        if frames:
            view = memoryview(b"".join(frames))
            while view:
                view = view[_write(self.fd, view):]

    def one(self, name: str, fn, blob: bytes, fresh: bool, max_bytes: int) -> tuple[dict, tuple]:
        """The reply header of one case and its parts: the result packed, the arguments after the call
        pickled again (the very bytes of ``blob`` when nothing moved) and, when they differ, packed."""
        if not callable(fn):
            return {"k": "notimpl"}, ()
        args, kwargs = loads(blob)
        try:
            out = fn(*args, **kwargs)
        except NotImplementedError:
            return {"k": "notimpl"}, ()
        except BaseException as e:
            if isinstance(e, SystemExit):
                msg = f"{name} called sys.exit({safe_str(e)})"
            else:
                msg = f"{name} raised {type(e).__name__}: {safe_str(e)}{self.where(e)}"
                if isinstance(e, MemoryError):
                    msg += f" (the memory limit is {self.cfg['memory_mb']} MB)"
            return {"k": "exc", "msg": msg}, ()
        try:
            if fresh:
                ins = leaves((args, kwargs), [])
                for o in leaves(out, []):
                    if any(_shares_memory(o, a) for a in ins):
                        return {"k": "alias", "msg": f"{name} returned an array that shares memory with an argument; return new arrays"}, ()
            value = wire.pack(out, max_bytes)
            try:  # the arguments after the call, as the supervisor sent them: its check (checks.worker.serve)
                echo = _dumps((args, kwargs))
            except BaseException:
                echo = b""
            if echo == blob:
                return {"k": "ok"}, (value, echo)
            return {"k": "ok"}, (value, echo, wire.pack([list(args), dict(kwargs)], max_bytes))
        except wire.WireError as e:
            return {"k": "bad", "msg": f"{name}: {e}"}, ()
        except BaseException as e:  # the result itself misbehaves (e.g. a hostile __eq__)
            return {"k": "bad", "msg": f"{name}: its result could not be read: {type(e).__name__}: {safe_str(e)}"}, ()

