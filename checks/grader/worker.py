"""The sandboxed side of the grader: a numpy-only zygote and the workers it forks.

This module imports numpy, the standard library and ``checks.grader.wire``
only -- never torch, SymPy or Hypothesis -- so the zygote that preloads it
starts in ~0.1 s and forking a worker from it costs milliseconds.

Processes::

    grader (torch, SymPy, Hypothesis)
      └─ zygote   python -c "...zygote_main(fd)"      (spawned once per grader)
           └─ worker  fork() per submission: limits, private cwd, dropped uid,
                      the submission's module imported once, serving every
                      formula of that submission

The grader talks to the zygote over a SOCK_SEQPACKET socket (JSON requests,
file descriptors passed with SCM_RIGHTS) and to each worker over its own
socket: grader -> worker frames are pickles (trusted: only the grader's own
arguments), worker -> grader frames are JSON in the :mod:`wire` format,
decoded strictly by the grader. Nothing a submission does in its process can
change a comparison: results are compared in the grader.
"""

from __future__ import annotations

import builtins
import importlib.abc
import io
import json
import os
import pickle
import resource
import signal
import socket
import struct
import sys
import time
import traceback
import types

import numpy as np

from checks.grader import wire

try:  # grad_fn objects of the optim formulas (numpy-only, picklable)
    import checks.gradfns as _GRADFNS
except ImportError:  # pragma: no cover - not built yet
    _GRADFNS = None

# bound now, before any submission runs, so its monkeypatching cannot reach them
_shares_memory = np.shares_memory
_ndarray = np.ndarray
_exit = os._exit
_write = os.write
_read = os.read
_pickle_loads = pickle.loads
_pickle_dumps = pickle.dumps
_Unpickler = pickle.Unpickler
_HDR = struct.Struct(">I")

EXIT_SETUP_FAILED = 71


# --------------------------------------------------------------------------
# frames: 4-byte big-endian length + payload
# --------------------------------------------------------------------------

def send_frame(fd: int, payload: bytes) -> None:
    data = _HDR.pack(len(payload)) + payload
    view = memoryview(data)
    while view:
        n = _write(fd, view)
        view = view[n:]


def _recv_exact(fd: int, n: int) -> bytes | None:
    chunks, left = [], n
    while left:
        b = _read(fd, min(left, 1 << 20))
        if not b:
            return None
        chunks.append(b)
        left -= len(b)
    return b"".join(chunks)


def recv_frame(fd: int) -> bytes | None:
    h = _recv_exact(fd, 4)
    if h is None:
        return None
    (n,) = _HDR.unpack(h)
    return _recv_exact(fd, n)


# --------------------------------------------------------------------------
# the zygote
# --------------------------------------------------------------------------

#: pids of the workers this zygote forked and has not reaped yet
_WORKERS: set[int] = set()


def zygote_main(ctl_fd: int, subreaper: bool = False) -> None:
    """Serve spawn / wait / sweep requests from the grader until it hangs up.

    ``subreaper``: the zygote becomes a child subreaper, so every process a
    worker leaves behind -- a daemon that left the worker's process group
    with setsid(), orphans of a killed worker -- is re-parented to the
    zygote instead of init. Without a private uid per worker (the grader is
    not root) "sweep_tree" kills and reaps them; with one, "sweep" kills the
    uid's processes then reaps them here (a zombie still counts against the
    uid's RLIMIT_NPROC until reaped). Everything left is killed when the
    grader hangs up.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if subreaper:
        _set_subreaper()
    ctl = socket.socket(fileno=ctl_fd)
    while True:
        try:
            msg, fds, _flags, _addr = socket.recv_fds(ctl, 1 << 20, 8)
        except (ConnectionError, OSError):
            break
        if not msg:
            break
        try:
            req = json.loads(msg)
            op = req["op"]
            if op == "spawn":
                pid = os.fork()
                if pid == 0:
                    code = EXIT_SETUP_FAILED
                    try:
                        ctl.close()
                        _child(fds, req)
                        code = 0
                    except BaseException as e:
                        try:
                            send_frame(fds[0], wire.dumps({"op": "fatal", "error": f"{type(e).__name__}: {e}"}))
                        except BaseException:
                            pass
                    finally:
                        _exit(code)
                _WORKERS.add(pid)
                for fd in fds:
                    os.close(fd)
                reply = {"pid": pid}
            elif op == "wait":
                reply = {"code": _wait(int(req["pid"]), float(req.get("timeout", 5.0)))}
            elif op == "sweep":
                _sweep(int(req["uid"]))
                if subreaper:  # reap what the uid's kill left as zombies (they count against its RLIMIT_NPROC)
                    _sweep_tree(0, 3.0)
                reply = {"ok": True}
            elif op == "sweep_tree":
                reply = {"ok": True, "killed": _sweep_tree(int(req["pgid"]), float(req.get("timeout", 3.0)))}
            elif op == "ping":
                reply = {"ok": True, "modules": sorted({m.split(".")[0] for m in sys.modules}),
                         "subreaper": _is_subreaper()}
            else:
                reply = {"error": f"unknown op {op!r}"}
        except ChildProcessError:
            reply = {"code": None}
        except Exception as e:  # a bug of ours: answer, never die silently
            for fd in fds:
                try:
                    os.close(fd)
                except OSError:
                    pass
            reply = {"error": f"{type(e).__name__}: {e}"}
        ctl.sendall(json.dumps(reply).encode())
    if subreaper:  # the grader is gone: nothing of ours may outlive it
        _WORKERS.clear()
        _sweep_tree(0, 3.0)
    _exit(0)


def _wait(pid: int, timeout: float) -> int | None:
    """Reap ``pid``; its exit code (negative: killed by that signal), None if it won't die."""
    end = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            _WORKERS.discard(pid)
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > end:
            return None
        time.sleep(0.002)


def _sweep(uid: int) -> None:
    """Kill every process of ``uid`` (a worker's private uid): fork, setuid, kill(-1)."""
    if os.geteuid() != 0 or uid <= 0:
        return
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            for _ in range(20):
                try:  # every process this uid may signal (not this one)
                    os.kill(-1, signal.SIGKILL)
                except ProcessLookupError:
                    break
                if not _alive(uid, os.getpid()):
                    break
                time.sleep(0.002)
        finally:
            _exit(0)
    os.waitpid(pid, 0)


def _prctl(*args) -> int:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(*[ctypes.c_ulong(a) for a in args])


_PR_SET_CHILD_SUBREAPER, _PR_GET_CHILD_SUBREAPER = 36, 37


def _set_subreaper() -> None:
    if _prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError("prctl(PR_SET_CHILD_SUBREAPER) failed")


def _is_subreaper() -> bool:
    try:
        import ctypes

        v = ctypes.c_int(0)
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_GET_CHILD_SUBREAPER, ctypes.byref(v), 0, 0, 0) == 0 and v.value != 0
    except Exception:
        return False


def _children(ppid: int) -> list[int]:
    """Pids whose parent is ``ppid`` (zombies included)."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat", "rb") as fh:
                    st = fh.read()
                if int(st[st.rindex(b")") + 2:].split()[1]) == ppid:
                    out.append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    return out


def _sweep_tree(pgid: int, timeout: float) -> int:
    """Without a private uid: kill the worker's process group, then every stray child of the zygote.

    The zygote is a child subreaper, so whatever a worker started and left
    behind (its process group, a setsid() daemon, the orphans of a killed
    parent) ends up as a child of the zygote: every child that is not a live
    worker is killed and reaped, until none is left (a fork bomb is bounded
    by RLIMIT_NPROC and by ``timeout``). ``pgid`` 0: strays only. Returns
    how many processes were reaped.
    """
    if pgid > 0:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    me, reaped = os.getpid(), 0
    end = time.monotonic() + timeout
    while True:
        strays = [p for p in _children(me) if p not in _WORKERS]
        if not strays:
            return reaped
        for p in strays:
            try:
                os.kill(p, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for p in strays:
            try:
                done, _ = os.waitpid(p, os.WNOHANG)
                reaped += bool(done)
            except ChildProcessError:
                pass
        if time.monotonic() > end:
            return reaped
        time.sleep(0.001)


def _alive(uid: int, me: int) -> bool:
    """Is a process of ``uid`` (other than ``me``, zombies aside) still running?"""
    for d in os.listdir("/proc"):
        if d.isdigit() and int(d) != me:
            try:
                with open(f"/proc/{d}/status", "rb") as fh:
                    state = uid_ok = None
                    for line in fh:
                        if line.startswith(b"State:"):
                            state = line.split()[1]
                        elif line.startswith(b"Uid:"):
                            uid_ok = int(line.split()[1]) == uid
                            break
                    if uid_ok and state != b"Z":
                        return True
            except (OSError, ValueError, IndexError):
                pass
    return False


def _count_procs(uid: int) -> int:
    """Tasks (processes and threads: what RLIMIT_NPROC counts) of ``uid``."""
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
        return True  # missing: nothing to reach
    return True


def _reachable(path: str, moved: dict) -> str:
    if not os.path.isdir(path) or _world_reachable(path):
        return path
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    moved[os.path.abspath(path)] = f"/proc/self/fd/{fd}"
    return moved[os.path.abspath(path)]


def _move_packages(moved: dict) -> None:
    """Loaded packages (importlib, json...) find their submodules through __path__: move it too."""
    if not moved:
        return
    for mod in list(sys.modules.values()):
        paths = getattr(mod, "__path__", None)
        if not isinstance(paths, list):
            continue
        new = []
        for p in paths:
            for old, fdp in moved.items():
                if isinstance(p, str) and (p == old or p.startswith(old + os.sep)):
                    p = fdp + p[len(old):]
                    break
            new.append(p)
        try:
            mod.__path__ = new
        except (AttributeError, TypeError):
            pass


def _set_dumpable() -> None:
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE
    except Exception:
        pass


def _setlimit(which: int, value: int, hard: int | None = None) -> None:
    soft_old, hard_old = resource.getrlimit(which)
    hard = value if hard is None else hard
    if hard_old != resource.RLIM_INFINITY:
        hard = min(hard, hard_old)
    resource.setrlimit(which, (min(value, hard), hard))


def nproc_limit(private_uid: bool, max_processes: int) -> int:
    """The worker's RLIMIT_NPROC.

    The kernel counts every task (process or thread) of the real uid
    against it. A private uid runs nothing else: ``max_processes``. The
    grader's own uid (not root) already runs the grader, the zygote, the
    other job slots' workers and the user's other programs: the limit is
    that count plus ``max_processes``, so the submission may start about
    ``max_processes`` more (a fork bomb stops there) while nothing the
    grader needs is starved (the grader and the zygote have no such limit).
    """
    if private_uid:
        return max_processes
    return _count_procs(os.getuid()) + max_processes


def _child(fds: list[int], cfg: dict) -> None:
    """In the forked worker: isolate, limit, drop privileges, then serve."""
    chan_fd, out_fd = fds
    os.setsid()
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    for fd in (null, out_fd):
        if fd > 2:
            os.close(fd)
    # no other descriptor of the zygote reaches the submission
    os.closerange(3, chan_fd)
    os.closerange(chan_fd + 1, 1 << 16)
    os.chdir(cfg["workdir"])
    mb = 1 << 20
    _setlimit(resource.RLIMIT_CORE, 0)
    _setlimit(resource.RLIMIT_AS, int(cfg["memory_mb"]) * mb)
    _setlimit(resource.RLIMIT_FSIZE, int(cfg["fsize_mb"]) * mb)
    _setlimit(resource.RLIMIT_CPU, int(cfg["cpu_seconds"]), int(cfg["cpu_seconds"]) + 5)
    _setlimit(resource.RLIMIT_NOFILE, 256)
    root = cfg.get("project_root")
    sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) != root]
    uid = cfg.get("uid")
    _setlimit(resource.RLIMIT_NPROC, nproc_limit(uid is not None and os.geteuid() == 0, int(cfg["max_processes"])))
    if uid is not None and os.geteuid() == 0:
        # the interpreter may live where the private uid cannot go (e.g. under /root):
        # reach its library directories through descriptors opened now
        moved: dict[str, str] = {}
        sys.path[:] = [_reachable(p, moved) for p in sys.path]
        _move_packages(moved)
        sys.path_importer_cache.clear()
        os.setgroups([])
        os.setgid(int(uid))
        os.setuid(int(uid))
        _set_dumpable()  # /proc/self/fd must stay readable by the process itself
    os.umask(0o077)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the file-size cap: EFBIG, not death
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
        signal.signal(s, signal.SIG_DFL)
    os.environ.update(HOME=cfg["workdir"], TMPDIR=cfg["workdir"])
    Worker(chan_fd, cfg).serve()


# --------------------------------------------------------------------------
# the worker
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


class _Guard(importlib.abc.MetaPathFinder):
    """The run-time half of the import policy (the grader scans the AST first)."""

    def __init__(self, worker: "Worker", policy: dict):
        self.w = worker
        self.allowed = frozenset(policy["allowed"])
        self.forbidden = frozenset(policy["forbidden"])
        self.stdlib = frozenset(policy["stdlib"])

    def _from_submission(self) -> bool:
        f = sys._getframe(2)
        while f is not None:
            fn = f.f_code.co_filename
            if not (fn.startswith("<frozen importlib") or fn.endswith(os.sep + "importlib" + os.sep + "__init__.py")):
                return fn == self.w.filename
            f = f.f_back
        return False

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.partition(".")[0]
        if top in self.forbidden:
            why = f"importing {top!r} is forbidden (torch, jax, tensorflow, autograd and the project's own packages are)"
        elif top in self.allowed or top in self.stdlib:
            return None
        elif self._from_submission():
            why = f"importing {top!r} is not allowed (allowed: {', '.join(sorted(self.allowed))} and the standard library)"
        else:
            return None
        if why not in self.w.violations:
            self.w.violations.append(why)
        raise ImportError(f"formulacheck policy: {why}")


class _RestrictedUnpickler(_Unpickler):
    def find_class(self, module, name):
        if module == "checks.gradfns" and _GRADFNS is not None:
            return getattr(_GRADFNS, name)
        if module.split(".")[0] == "numpy" or module in ("copyreg", "collections", "builtins", "_codecs"):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"worker: refusing to unpickle {module}.{name}")


def _loads(b: bytes):
    return _RestrictedUnpickler(io.BytesIO(b)).load()


def _same(a, b) -> bool:
    """Exact equality of an argument before and after a call (bytes, not numpy's == )."""
    if type(a) is not type(b):
        return False
    if isinstance(a, _ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a.keys()) == list(b.keys()) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float):
        return a == b or (a != a and b != b)
    if a is None or isinstance(a, (bool, int, str, bytes, complex)):
        return a == b
    try:  # other objects (grad_fn losses): their attributes, exactly
        da, db = getattr(a, "__dict__", None), getattr(b, "__dict__", None)
        if isinstance(da, dict) and isinstance(db, dict):
            return _same(dict(da), dict(db))
        return bool(a == b)
    except Exception:
        return True


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


class Worker:
    def __init__(self, fd: int, cfg: dict):
        self.fd = fd
        self.cfg = cfg
        # relative to the private cwd: messages (tracebacks, warnings) never show the random temp path
        self.filename = os.path.basename(cfg["basename"])
        self.violations: list[str] = []
        self.module: types.ModuleType | None = None

    def send(self, obj) -> None:
        if self.violations:
            obj["viol"] = list(self.violations)
        send_frame(self.fd, wire.dumps(obj))

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

    def serve(self) -> None:
        left = [int(self.cfg["max_output_bytes"]) + 1]  # one byte more: the grader sees the truncation
        sys.stdout = sys.__stdout__ = _Capped(1, left)
        sys.stderr = sys.__stderr__ = _Capped(2, left)
        sys.stdin = sys.__stdin__ = io.StringIO("")
        sys.meta_path.insert(0, _Guard(self, self.cfg["policy"]))
        for m in list(sys.modules):  # the project's packages are out of the submission's reach
            if m == "checks" or m.startswith("checks.") or m == "reference" or m.startswith("reference."):
                del sys.modules[m]
        while True:
            raw = recv_frame(self.fd)
            if raw is None:
                _exit(0)
            req = _loads(raw)
            op = req["op"]
            if op == "load":
                self.load(req)
            elif op == "run":
                self.run(req)
            elif op == "probe":
                self.send({"op": "probe", "modules": sorted({m.split(".")[0] for m in sys.modules}),
                           "uid": os.getuid(), "cwd": os.getcwd(), "pgid": os.getpgid(0), "sid": os.getsid(0),
                           "nproc": list(resource.getrlimit(resource.RLIMIT_NPROC)), "umask": os.umask(0o077),
                           "tmpdir": os.environ.get("TMPDIR"), "home": os.environ.get("HOME")})
            else:
                _exit(0)

    def load(self, req: dict) -> None:
        src = req["source"]
        try:
            with open(self.filename, "w", encoding="utf-8") as fh:
                fh.write(src)
        except OSError:
            pass
        name = req["modname"]
        mod = types.ModuleType(name)
        mod.__file__ = self.filename
        mod.__builtins__ = builtins
        sys.modules[name] = mod
        try:
            code = compile(src, self.filename, "exec", dont_inherit=True)
            exec(code, mod.__dict__)
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
        fns = [n for n in req["fns"] if callable(mod.__dict__.get(n))]
        self.send({"op": "loaded", "fns": fns})

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
            p_args, p_kwargs = _loads(blob)
            for i, (a, b) in enumerate(zip(p_args, args)):
                if not _same(a, b):
                    return {"k": "inplace", "msg": f"{name} modified its argument #{i + 1} in place (the contract forbids it)"}
            for k in p_kwargs:
                if not _same(p_kwargs[k], kwargs.get(k)):
                    return {"k": "inplace", "msg": f"{name} modified its argument {k!r} in place (the contract forbids it)"}
            if fresh:
                ins = _leaves((args, kwargs), [])
                for o in _leaves(out, []):
                    if any(_shares_memory(o, a) for a in ins):
                        return {"k": "alias", "msg": f"{name} returned an array that shares memory with an argument; return new arrays"}
            return {"k": "ok", "v": wire.encode(out, max_bytes)}
        except wire.WireError as e:
            return {"k": "bad", "msg": f"{name}: {e}"}
        except BaseException as e:  # the result itself misbehaves (e.g. a hostile __eq__)
            return {"k": "bad", "msg": f"{name}: its result could not be read: {type(e).__name__}: {_safe_str(e)}"}
