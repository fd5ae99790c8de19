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
``checks.gradfns``). Supervisor -> grader frames are :mod:`wire` JSON.
"""

from __future__ import annotations

import builtins
import ctypes
import io
import json
import os
import pickle
import resource
import signal
import socket
import sys
import time
import traceback
import types

import numpy as np

from checks.grader import wire
from checks.worker import filter as scfilter
from checks.worker.frames import FrameError, recv_frame, send_frame
from checks.worker.guard import Guard

try:  # grad_fn objects of the optim formulas (numpy-only, picklable)
    import checks.gradfns as _GRADFNS
except ImportError:  # pragma: no cover
    _GRADFNS = None

# bound now, before any submission runs
_shares_memory = np.shares_memory
_ndarray = np.ndarray
_exit = os._exit
_write = os.write
_Unpickler = pickle.Unpickler

CTL_FD, OUT_FD = 3, 4


def _prctl(*args) -> int:
    return ctypes.CDLL(None, use_errno=True).prctl(*[ctypes.c_ulong(a) for a in args])


# --------------------------------------------------------------------------
# helpers shared by both processes
# --------------------------------------------------------------------------

class _RestrictedUnpickler(_Unpickler):
    def find_class(self, module, name):
        if module == "checks.gradfns" and _GRADFNS is not None:
            return getattr(_GRADFNS, name)
        if module.split(".")[0] == "numpy" or module in ("copyreg", "collections", "builtins", "_codecs"):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"worker: refusing to unpickle {module}.{name}")


def _loads(b: bytes):
    return _RestrictedUnpickler(io.BytesIO(b)).load()


def same(a, b) -> bool:
    """Is ``b`` (the runner's echo, decoded from the wire) exactly ``a`` (an argument before the call)?

    Arrays compare by dtype, shape and bytes (so -0.0 over 0.0 is a change);
    objects the wire does not carry (grad_fn losses) arrive as placeholders
    and are not compared.
    """
    if isinstance(b, wire.Opaque):
        return not isinstance(a, (_ndarray, list, tuple, dict, float, int, str, bytes, complex, bool, type(None)))
    if isinstance(a, _ndarray):
        return isinstance(b, _ndarray) and a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a.keys()) == list(b.keys()) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float):
        return isinstance(b, float) and (a == b or (a != a and b != b))
    if isinstance(a, np.generic):
        return isinstance(b, np.generic) and a.dtype == b.dtype and a.tobytes() == b.tobytes()
    return type(a) is type(b) and a == b


def _leaves(x, out: list) -> list:
    if isinstance(x, dict):
        for v in x.values():
            _leaves(v, out)
    elif isinstance(x, (list, tuple)):
        for v in x:
            _leaves(v, out)
    elif isinstance(x, _ndarray):
        out.append(x)
    return out


def _safe_str(e: BaseException, limit: int = 400) -> str:
    try:
        s = str(e)
    except BaseException:
        s = "<unprintable>"
    s = s.replace("\n", " ")
    return s if len(s) <= limit else s[:limit] + "..."


def _setlimit(which: int, value: int, hard: int | None = None) -> None:
    _soft, hard_old = resource.getrlimit(which)
    hard = value if hard is None else hard
    if hard_old != resource.RLIM_INFINITY:
        hard = min(hard, hard_old)
    resource.setrlimit(which, (min(value, hard), hard))


def count_tasks(uid: int) -> int:
    """Tasks (processes and threads: what RLIMIT_NPROC counts) of ``uid`` visible in /proc."""
    n = 0
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/status", "rb") as fh:
                    mine, threads = False, 1
                    for line in fh:
                        if line.startswith(b"Uid:"):
                            mine = int(line.split()[1]) == uid
                        elif line.startswith(b"Threads:"):
                            threads = int(line.split()[1])
                    n += threads if mine else 0
            except (OSError, ValueError, IndexError):
                pass
    return n


# -------- without a mount namespace, as root: reach the interpreter's files after setuid

def _world_reachable(path: str) -> bool:
    import stat

    p = os.path.abspath(path)
    try:
        st = os.stat(p)
        if not (st.st_mode & stat.S_IROTH and st.st_mode & stat.S_IXOTH):
            return False
        while p != os.sep:
            p = os.path.dirname(p)
            if not os.stat(p).st_mode & stat.S_IXOTH:
                return False
    except OSError:
        return True
    return True


def _reach_paths() -> None:
    """sys.path entries the private uid cannot reach (e.g. under /root) become /proc/self/fd/N."""
    moved: dict[str, str] = {}
    new = []
    for p in sys.path:
        if p and os.path.isdir(p) and not _world_reachable(p):
            fd = os.open(p, os.O_RDONLY | os.O_DIRECTORY)
            moved[os.path.abspath(p)] = f"/proc/self/fd/{fd}"
            p = moved[os.path.abspath(p)]
        new.append(p)
    sys.path[:] = new
    for mod in list(sys.modules.values()):
        paths = getattr(mod, "__path__", None)
        if not isinstance(paths, list):
            continue
        out = []
        for p in paths:
            for old, fdp in moved.items():
                if isinstance(p, str) and (p == old or p.startswith(old + os.sep)):
                    p = fdp + p[len(old):]
                    break
            out.append(p)
        try:
            mod.__path__ = out
        except (AttributeError, TypeError):
            pass
    sys.path_importer_cache.clear()


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
            send_frame(CTL_FD, wire.dumps({"op": "fatal", "error": f"{type(e).__name__}: {_safe_str(e)}"}))
        except BaseException:
            pass
        _exit(71)
    _exit(0)


class Supervisor:
    def __init__(self, cfg: dict):
        self.cfg = cfg
        self.runner_pid: int | None = None
        self.rsock: socket.socket | None = None
        self.cap = (int(cfg["max_result_mb"]) << 21) + (1 << 20)  # a result and the arguments' echo
        self.runner_status: int | None = None  # the runner's wait status once reaped

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

    def send(self, obj: dict) -> None:
        send_frame(CTL_FD, wire.dumps(obj))

    def setup_and_serve(self) -> None:
        cfg = self.cfg
        mb = 1 << 20
        os.umask(0o077)
        os.chdir(cfg["workdir"])
        _setlimit(resource.RLIMIT_CORE, 0)
        _setlimit(resource.RLIMIT_AS, int(cfg["memory_mb"]) * mb)
        _setlimit(resource.RLIMIT_FSIZE, int(cfg["fsize_mb"]) * mb)
        _setlimit(resource.RLIMIT_CPU, int(cfg["cpu_seconds"]), int(cfg["cpu_seconds"]) + 5)
        _setlimit(resource.RLIMIT_NOFILE, 256)
        strip = set(cfg.get("strip_paths", []))
        sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) not in strip]
        uid = cfg.get("uid")
        if uid is not None and os.geteuid() == 0:
            if cfg.get("reach_paths"):
                _reach_paths()
            os.setgroups([])
            os.setgid(int(uid))
            os.setuid(int(uid))
        me = os.getuid()
        private = uid is not None and me == int(uid)
        nproc = int(cfg["max_processes"]) + (0 if private else count_tasks(me))
        _setlimit(resource.RLIMIT_NPROC, nproc)
        _prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: no /proc/<pid>/mem or fd of ours to the runner
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
            raw = recv_frame(CTL_FD, 1 << 30)
            if raw is None:
                self.stop_runner()
                _exit(0)
            req = _loads(raw)
            op = req["op"]
            if op == "load":
                self.load(req)
            elif op == "run":
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
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})  # runner_pid is set before any reaping
        pid = os.fork()
        if pid == 0:
            code = 70
            try:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
                os.close(CTL_FD)   # first of all: the grader's channel is out of the submission's reach
                self.rsock.close()
                Runner(self._theirs.detach(), self.cfg, os.getppid()).start(req)
                code = 0
            finally:
                _exit(code)
        self._theirs.close()
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
        if not self.to_runner({"op": "run", "fn": req["fn"], "cases": blobs, "fresh": req["fresh"],
                               "max_bytes": req["max_bytes"]}):
            return
        for i, blob in enumerate(blobs):
            r = self.from_runner()
            if r is None:
                return
            k = r.get("k")
            if r.get("i") != i or k not in ("ok", "notimpl", "exc", "alias", "bad"):
                self.gone("the submission's process broke the protocol (a malformed reply)")
                return
            out = {"k": k, "i": i, "viol": r.get("viol")}
            if k == "ok":
                try:
                    args, kwargs = _loads(blob)
                    after = wire.decode(r.get("a"))
                    moved = self.inplace(req["fn"], args, kwargs, after)
                except (wire.WireError, ValueError, TypeError, RecursionError) as e:
                    moved = f"{req['fn']}: its arguments could not be read back after the call: {e}"
                if moved:
                    out = {"k": "inplace", "i": i, "msg": moved, "viol": r.get("viol")}
                else:
                    out["v"] = r.get("v")
            elif k != "notimpl":
                out["msg"] = str(r.get("msg", ""))[:2000]
            self.send(out)
            if k == "notimpl":
                break
        r = self.from_runner()
        if r is not None:
            if r.get("op") != "done":
                self.gone("the submission's process broke the protocol (no end of results)")
                return
            self.send({"op": "done", "viol": r.get("viol")})

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

    def from_runner(self) -> dict | None:
        """The runner's next message (a dict), or None after telling the grader it is gone."""
        try:
            raw = recv_frame(self.rsock.fileno(), self.cap)
        except FrameError as e:
            self.gone(f"the submission returned too much data: {e}")
            return None
        except OSError:
            raw = None
        if raw is None:
            self.gone()
            return None
        try:
            obj = wire.loads(raw)
        except wire.WireError as e:
            self.gone(f"the submission's process sent unreadable data: {e}")
            return None
        if not isinstance(obj, dict):
            self.gone("the submission's process sent a reply that is not an object")
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
        self.send({"op": "gone", "code": code, "why": why})
        _exit(0)


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
    def __init__(self, fd: int, cfg: dict, supervisor_pid: int):
        self.fd = fd
        self.cfg = cfg
        self.supervisor_pid = supervisor_pid
        self.filename = os.path.basename(cfg["basename"])
        self.violations: list[str] = []
        self.module: types.ModuleType | None = None

    def send(self, obj: dict) -> None:
        if self.violations:
            obj["viol"] = list(self.violations)
        send_frame(self.fd, wire.dumps(obj))

    def start(self, req: dict) -> None:
        os.setsid()  # its own process group: kill(0) cannot reach the supervisor
        # the supervisor is non-dumpable (its /proc files belong to root); the runner holds no secret,
        # and its own /proc/self files (oom_score_adj, comm) must be its own
        _prctl(4, 1, 0, 0, 0)
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
            r = _loads(raw)
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
                msg = f"the submission called sys.exit({_safe_str(e)}) while being imported"
            else:
                msg = f"importing the submission raised {type(e).__name__}: {_safe_str(e)}{self.where(e)}"
                if isinstance(e, MemoryError):
                    msg += f" (the memory limit is {self.cfg['memory_mb']} MB)"
            self.send({"op": "load_error", "error": msg})
            return
        self.module = mod
        self.send({"op": "loaded", "fns": [n for n in req["fns"] if callable(mod.__dict__.get(n))]})

    def run(self, req: dict) -> None:
        name, fresh, max_bytes = req["fn"], req["fresh"], req["max_bytes"]
        fn = self.module.__dict__.get(name) if self.module is not None else None
        for i, blob in enumerate(req["cases"]):
            r = self.one(name, fn, blob, fresh, max_bytes)
            r["i"] = i
            self.send(r)
            if r["k"] == "notimpl":
                break
        self.send({"op": "done"})

    def one(self, name: str, fn, blob: bytes, fresh: bool, max_bytes: int) -> dict:
        if not callable(fn):
            return {"k": "notimpl"}
        args, kwargs = _loads(blob)
        try:
            out = fn(*args, **kwargs)
        except NotImplementedError:
            return {"k": "notimpl"}
        except BaseException as e:
            if isinstance(e, SystemExit):
                msg = f"{name} called sys.exit({_safe_str(e)})"
            else:
                msg = f"{name} raised {type(e).__name__}: {_safe_str(e)}{self.where(e)}"
                if isinstance(e, MemoryError):
                    msg += f" (the memory limit is {self.cfg['memory_mb']} MB)"
            return {"k": "exc", "msg": msg}
        try:
            if fresh:
                ins = _leaves((args, kwargs), [])
                for o in _leaves(out, []):
                    if any(_shares_memory(o, a) for a in ins):
                        return {"k": "alias", "msg": f"{name} returned an array that shares memory with an argument; return new arrays"}
            return {"k": "ok", "v": wire.encode(out, max_bytes), "a": wire.encode([list(args), dict(kwargs)], max_bytes)}
        except wire.WireError as e:
            return {"k": "bad", "msg": f"{name}: {e}"}
        except BaseException as e:  # the result itself misbehaves (e.g. a hostile __eq__)
            return {"k": "bad", "msg": f"{name}: its result could not be read: {type(e).__name__}: {_safe_str(e)}"}
