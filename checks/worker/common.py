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
_ndarray = np.ndarray
_Unpickler = pickle.Unpickler

CTL_FD, OUT_FD = 3, 4


def prctl(*args) -> int:
    return ctypes.CDLL(None, use_errno=True).prctl(*[ctypes.c_ulong(a) for a in args])


# --------------------------------------------------------------------------
# helpers shared by both processes
# --------------------------------------------------------------------------

class _RestrictedUnpickler(_Unpickler):
    def find_class(self, module, name):
        if module == "checks.core.gradfns" and _GRADFNS is not None:
            return getattr(_GRADFNS, name)
        if module.split(".")[0] == "numpy" or module in ("copyreg", "collections", "builtins", "_codecs"):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"worker: refusing to unpickle {module}.{name}")


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


