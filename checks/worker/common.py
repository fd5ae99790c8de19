"""What the supervisor and the runner share: the restricted unpickler, the in-place rule, limits.

numpy and the standard library only (bound into the sandbox).
"""

from __future__ import annotations

import ctypes
import io
import os
import pickle
import resource
import sys

import numpy as np

from checks.core.case import same  # noqa: F401  the one in-place rule (serve judges with it)

try:  # grad_fn objects of the optim formulas (numpy-only, picklable)
    import checks.core.gradfns as _GRADFNS
except ImportError:  # pragma: no cover
    _GRADFNS = None

# bound now, before any submission runs
_shares_memory = np.shares_memory
_may_share_memory = np.may_share_memory  # the bounds only: a cheap first test before the exact one
_ndarray = np.ndarray
_Unpickler = pickle.Unpickler
_modules = sys.modules
_audit = sys.audit

CTL_FD, OUT_FD = 3, 4


def prctl(*args) -> int:
    return ctypes.CDLL(None, use_errno=True).prctl(*[ctypes.c_ulong(a) for a in args])


# --------------------------------------------------------------------------
# helpers shared by both processes
# --------------------------------------------------------------------------

_FOUND: dict = {}  # (module, name) -> (the global pickle's lookup finds, what find_class returns for it)
_frombuffer_np = np.frombuffer


def _frombuffer(buf, dtype, shape, order):
    """numpy._core.numeric._frombuffer (what every array of a case is rebuilt with), without its keyword
    arguments: the same calls, so the same array (a view of ``buf``, with the same base chain)."""
    a = _frombuffer_np(buf, dtype)
    return a.reshape(shape) if order == "C" else a.reshape(shape, order=order)


_FASTER = {("numpy._core.numeric", "_frombuffer"): _frombuffer}


class _RestrictedUnpickler(_Unpickler):
    def find_class(self, module, name):
        # the same globals come with every array of every case: pickle's find_class imports the module
        # and walks the name each time (a few us); a global found before is taken from here while its
        # module in sys.modules still holds it (what pickle's lookup would find)
        e = _FOUND.get((module, name))
        if e is not None and getattr(_modules.get(module), name, _FOUND) is e[0]:
            _audit("pickle.find_class", module, name)
            return e[1]
        if module == "checks.core.gradfns" and _GRADFNS is not None:
            obj = getattr(_GRADFNS, name)
        elif module.split(".")[0] == "numpy" or module in ("copyreg", "collections", "builtins", "_codecs"):
            obj = super().find_class(module, name)
        else:
            raise pickle.UnpicklingError(f"worker: refusing to unpickle {module}.{name}")
        if len(_FOUND) < 256 and type(module) is str and type(name) is str:
            fast = _FASTER.get((module, name))
            if fast is not None and getattr(_modules.get(module), name, None) is not obj:
                fast = None  # not numpy's own function: taken as it is
            _FOUND[(module, name)] = (obj, obj if fast is None else fast)
            return obj if fast is None else fast
        return obj


def loads(b: bytes):
    return _RestrictedUnpickler(io.BytesIO(b)).load()


def leaves(x, out: list) -> list:
    if isinstance(x, dict):
        for v in x.values():
            leaves(v, out)
    elif isinstance(x, (list, tuple)):
        for v in x:
            leaves(v, out)
    elif isinstance(x, _ndarray):
        out.append(x)
    return out


def safe_str(e: BaseException, limit: int = 400) -> str:
    try:
        s = str(e)
    except BaseException:
        s = "<unprintable>"
    s = s.replace("\n", " ")
    return s if len(s) <= limit else s[:limit] + "..."


def setlimit(which: int, value: int, hard: int | None = None) -> None:
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


def reach_paths() -> None:
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


