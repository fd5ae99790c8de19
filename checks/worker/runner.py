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
import struct
import sys
import traceback
import types

import numpy as _np

from checks.core import wire
from checks.worker import filter as scfilter
from checks.worker.common import (_GRADFNS, OUT_FD, _may_share_memory, _shares_memory, leaves, loads, prctl,
                                  safe_str)
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


# --------------------------------------------------------------------------
# the echo of flat arguments, written here: the bytes pickle.dumps((args, {}), protocol=5) writes
# --------------------------------------------------------------------------

_U32LE, _I32LE, _U64LE, _F64BE = (struct.Struct(f).pack for f in ("<I", "<i", "<Q", ">d"))
_FB = _np.frombuffer(b"", _np.uint8).__reduce_ex__(5)[0]  # numpy._core.numeric._frombuffer: what arrays reduce to
_DT_TEXT: dict = {}  # (dtype class, dtype.str) -> (reduce's name..REDUCE text, byte order string, state's tail)


def _int_text(x: int) -> bytes | None:
    if 0 <= x < 256:
        return b"K" + bytes((x,))
    if 0 <= x < 65536:
        return b"M" + x.to_bytes(2, "little")
    if -(1 << 31) <= x < 1 << 31:
        return b"J" + _I32LE(x)
    return None  # LONG1: pickle writes it


def _str_text(s: str) -> bytes:
    b = s.encode("utf-8")
    return (b"\x8c" + bytes((len(b),)) if len(b) < 256 else b"X" + _U32LE(len(b))) + b + b"\x94"


def _get(i: int) -> bytes:
    return b"h" + bytes((i,)) if i < 256 else b"j" + _U32LE(i)


def _dt_entry(d):
    """What the echo writes for a dtype of bool/int/uint/float/complex kind without metadata (None: pickle)."""
    if d.kind not in "biufc" or d.metadata is not None or d.fields is not None or d.subdtype is not None:
        return None
    cls, args, state = d.__reduce__()
    if (cls is not _np.dtype or type(args) is not tuple or len(args) != 3 or type(args[0]) is not str
            or args[1:] != (False, True) or type(state) is not tuple or len(state) != 8 or state[0] != 3
            or state[1] not in ("<", ">", "|") or state[2:5] != (None, None, None) or state[5:7] != (-1, -1)
            or type(state[7]) is not int or not 0 <= state[7] < 256):
        return None
    e = (_str_text(args[0]) + b"\x89\x88\x87\x94R\x94", state[1], b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK" + bytes((state[7],)) + b"t\x94b")
    if len(_DT_TEXT) > 64:
        _DT_TEXT.clear()
    _DT_TEXT[(type(d), d.str)] = e
    return e


def _flat_echo(args: tuple) -> bytes | None:
    """``pickle.dumps((args, {}), protocol=5)`` for a tuple of floats, ints of 32 bits, None, bools and
    C-contiguous ndarrays (bool/int/uint/float/complex dtypes, without metadata, under 32 kB in all),
    written without pickle's import of each global (most of the cost of pickling small arrays); None for
    anything else (pickle writes it). The opcodes, the memo (by identity: a repeated array or dtype is
    fetched) and the one frame are pickle's: tests/grader/test_worker_fastpath.py compares the two. Only
    ever a speed-up: the supervisor compares the bytes with the case it sent, whoever wrote them."""
    out = []
    put = out.append
    memo = 0          # the next memo index
    fb = dg = order = -1  # memo indices of _frombuffer, np.dtype and the order string "C"
    ends: dict = {}   # byte order string -> its memo index
    seen: dict = {}   # id of an array or dtype -> its memo index
    size = 0
    n = len(args)
    if n > 3:
        put(b"(")
    for x in args:
        t = type(x)
        if t is _ndarray:
            i = seen.get(id(x))
            if i is not None:
                put(_get(i))
                continue
            if not x.flags.c_contiguous:
                return None
            nb = x.nbytes
            size += nb
            if size >= 1 << 15:
                return None
            writeable = x.flags.writeable
            if fb < 0:
                put(_FB_TEXT)
                fb = memo + 2
                memo += 3
            else:
                put(_get(fb))
            if writeable:
                put(b"(\x96" + _U64LE(nb))
            else:
                put(b"(C" + bytes((nb,)) if nb < 256 else b"(B" + _U32LE(nb))
            put(x.tobytes())
            put(b"\x94")
            memo += 1
            d = x.dtype
            i = seen.get(id(d))
            if i is not None:
                put(_get(i))
            else:
                if d.metadata is not None:
                    return None
                e = _DT_TEXT.get((type(d), d.str)) or _dt_entry(d)
                if e is None:
                    return None
                if dg < 0:
                    put(_DG_TEXT)
                    dg = memo + 2
                    memo += 3
                else:
                    put(_get(dg))
                put(e[0])
                seen[id(d)] = memo + 2
                memo += 3
                j = ends.get(e[1])
                if j is None:
                    put(b"(K\x03" + _str_text(e[1]))
                    ends[e[1]] = memo
                    memo += 1
                else:
                    put(b"(K\x03" + _get(j))
                put(e[2])
                memo += 1
            shape = x.shape
            k = len(shape)
            if k:
                if k > 3:
                    put(b"(")
                for v in shape:
                    put(b"K" + bytes((v,)) if v < 256 else _int_text(v) or b"?")  # "?": never pickle's bytes
                put(_TUPLE[k] if k <= 3 else b"t\x94")
                memo += 1
            else:
                put(b")")
            if order < 0:
                put(_C_TEXT)
                order = memo
                memo += 1
            else:
                put(_get(order))
            put(b"t\x94R\x94")
            seen[id(x)] = memo + 1
            memo += 2
        elif t is float:
            put(b"G" + _F64BE(x))
        elif t is int:
            b = _int_text(x)
            if b is None:
                return None
            put(b)
        elif x is None:
            put(b"N")
        elif t is bool:
            put(b"\x88" if x else b"\x89")
        else:
            return None
    put(b")" if not n else _TUPLE[n] if n <= 3 else b"t\x94")
    put(b"}\x94\x86\x94.")
    body = b"".join(out)
    if len(body) >= 1 << 16:  # pickle would cut it into several frames
        return None
    return b"\x80\x05\x95" + _U64LE(len(body)) + body


_ndarray = _np.ndarray
_TUPLE = [b")", b"\x85\x94", b"\x86\x94", b"\x87\x94"]
_FB_TEXT = _str_text(_FB.__module__) + _str_text(_FB.__qualname__) + b"\x93\x94"
_DG_TEXT = _str_text(_np.dtype.__module__) + _str_text(_np.dtype.__qualname__) + b"\x93\x94"
_C_TEXT = _str_text("C")


def _probe() -> bool:
    """The writer's bytes are pickle's on a few arguments of this numpy (else pickle writes every echo)."""
    try:
        a = _np.arange(6.0).reshape(2, 3)
        b = _np.zeros(300, _np.int64)
        c = _np.ones((), bool)
        c.flags.writeable = False
        samples = [(a, 1.5, a, b, c, None, True, 70000, -1), (a,), (), (b, a.astype(">f4"), _np.zeros((1, 2, 3), _np.uint8))]
        return all(_flat_echo(x) == pickle.dumps((x, {}), protocol=5) for x in samples)
    except Exception:  # pragma: no cover - another numpy
        return False


_FLAT_OK = _probe()


def _echo(args: tuple, kwargs: dict, blob: bytes) -> bytes:
    """The arguments after the call pickled again (pickle.dumps((args, kwargs), protocol=5)'s bytes), b"" where
    pickle cannot (a grad_fn). The writer's bytes are taken when they are the case's: anything else is
    pickled by pickle itself, as before the writer existed."""
    if _FLAT_OK and not kwargs and type(args) is tuple:
        try:
            echo = _flat_echo(args)
            if echo == blob:
                return echo
        except Exception:  # e.g. an argument changed meanwhile by a thread of the submission
            pass
    try:
        return _dumps((args, kwargs))
    except BaseException:
        return b""


_write = os.write
_OK = {"k": "ok"}  # one()'s header of a result (never changed: run() writes a copy with the index)


def ok_prefix(i: int) -> bytes:
    """How the common reply of case ``i`` starts: wire.MAGIC, its header's length and its header
    ``{"k": "ok", "i": i}``, as wire.message writes them."""
    h = b'{"k":"ok","i":%d}' % i
    return wire.MAGIC + _U32LE(len(h)) + h


OK_PREFIX = [ok_prefix(i) for i in range(512)]

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
            if r is _OK and not self.violations and len(parts) == 2:
                # the common reply, {"k": "ok", "i": i} and its two parts, written as wire.message writes
                # it, in pieces joined once when written
                head = OK_PREFIX[i] if i < 512 else ok_prefix(i)
                v, e = parts
                n = len(head) + 8 + len(v) + len(e)
                out += [HDR.pack(n), head, _U32LE(len(v)), v, _U32LE(len(e)), e]
                size += n
            else:
                r = dict(r, i=i)
                if self.violations:
                    r["viol"] = list(self.violations)
                m = wire.message(r, *parts)
                out += [HDR.pack(len(m)), m]
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
                    # the bounds first (cheap), the exact answer only where they overlap
                    if any(_may_share_memory(o, a) and _shares_memory(o, a) for a in ins):
                        return {"k": "alias", "msg": f"{name} returned an array that shares memory with an argument; return new arrays"}, ()
            value = wire.pack(out, max_bytes)
            # the arguments after the call, as the supervisor sent them: its check (checks.worker.serve)
            echo = _echo(args, kwargs, blob)
            if echo == blob:
                return _OK, (value, echo)
            return _OK, (value, echo, wire.pack([list(args), dict(kwargs)], max_bytes))
        except wire.WireError as e:
            return {"k": "bad", "msg": f"{name}: {e}"}, ()
        except BaseException as e:  # the result itself misbehaves (e.g. a hostile __eq__)
            return {"k": "bad", "msg": f"{name}: its result could not be read: {type(e).__name__}: {safe_str(e)}"}, ()

