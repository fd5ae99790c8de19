"""Isolation levels of the grader's sandbox, and the tools that make them.

Layers, each from the field's own tools:

``namespaces``  bubblewrap (``bwrap``): own mount, PID, network, IPC, UTS
                (and, as a normal user, user) namespaces; a file system of
                read-only binds holding only the interpreter, the standard
                library, the allowed packages (numpy, scipy) and the
                worker's own code; a size-capped private tmpfs ``/tmp``;
                no network at all; dies with the grader.
``seccomp``     libseccomp filters (``checks.worker.filter``) plus
                ``no_new_privs``: no ptrace, process_vm_*, mount, keyctl,
                bpf, perf_event_open, sockets, exec...
``uid``         a private uid per job slot (the grader runs as root); every
                process of it is killed after each submission.
``cgroup``      limits on the whole worker tree (memory with its tmpfs,
                processes, one CPU), cgroup v1 where writable as root, v2
                where delegated; else RLIMITs per process (the gap: memory
                and CPU are then limited per process, not per tree).

The level in force is named by the confinement layers:
``namespaces+seccomp`` > ``namespaces`` > ``seccomp+uid`` > ``uid`` >
``seccomp`` > ``none``; the resource layer is reported beside it.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import threading
from dataclasses import dataclass

LEVELS = ("none", "seccomp", "uid", "seccomp+uid", "namespaces", "namespaces+seccomp")
PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORKER_FILES = ("checks/__init__.py", "checks/core/__init__.py", "checks/core/case.py", "checks/core/wire.py",
                "checks/core/wirejson.py", "checks/core/gradfns.py",
                "checks/worker/__init__.py", "checks/worker/frames.py", "checks/worker/filter.py",
                "checks/worker/guard.py", "checks/worker/common.py", "checks/worker/runner.py",
                "checks/worker/serve.py")
ENTRY = "from checks.worker.serve import main; main()"
HOW_TO_RAISE = ("install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) and the pyseccomp package "
                "with libseccomp2, or run the grader as root; in Docker, namespaces need a profile that "
                "allows them (e.g. --security-opt seccomp=unconfined) ")


class IsolationError(ValueError):
    """A requested isolation level that cannot be had here (a clear message, exit 2)."""


def rank(level: str) -> int:
    return LEVELS.index(level)


def parse_requirement(value: str | None) -> str | None:
    """``require=LEVEL`` or ``LEVEL`` (a rubric key or ``--isolation``) -> the minimum level; None: none asked."""
    if value is None or value == "":
        return None
    v = str(value).strip()
    if v.startswith("require="):
        v = v[len("require="):]
    if v not in LEVELS:
        raise IsolationError(f"isolation: unknown level {value!r}; use require=LEVEL with LEVEL one of "
                             f"{', '.join(reversed(LEVELS))}")
    return v


@dataclass(frozen=True)
class Capabilities:
    """What this machine allows (detected once per process)."""

    bwrap: str | None          # path of a working bwrap, else None
    bwrap_why: str             # why namespaces are not to be had ("" when they are)
    seccomp_why: str           # why seccomp is not to be had ("" when it is)
    root: bool
    cgroup: str | None         # "v1" / "v2" or None
    cgroup_why: str


def level_for(caps: Capabilities, drop_privileges: bool, namespaces: bool = True, seccomp: bool = True) -> str:
    ns = namespaces and caps.bwrap is not None
    sc = seccomp and not caps.seccomp_why
    uid = drop_privileges and caps.root
    if ns:
        return "namespaces+seccomp" if sc else "namespaces"
    if uid:
        return "seccomp+uid" if sc else "uid"
    return "seccomp" if sc else "none"


# --------------------------------------------------------------------------
# the sandbox's file system
# --------------------------------------------------------------------------

def _package_paths(name: str) -> list[tuple[str, str]]:
    """(source, name in /fc/site) of an importable top-level package or module and its .libs folder."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin in (None, "built-in", "frozen"):
        return []
    if spec.submodule_search_locations:
        src = list(spec.submodule_search_locations)[0]
    else:
        src = spec.origin
    src = os.path.realpath(src)
    out = [(src, os.path.basename(src))]
    libs = os.path.join(os.path.dirname(src), name + ".libs")
    if os.path.isdir(libs):
        out.append((os.path.realpath(libs), name + ".libs"))
    return out


def interpreter() -> str:
    return os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)


def _masks() -> list[str]:
    """Package folders of every Python on the machine: hidden inside the sandbox (an empty read-only tmpfs)."""
    pats = [os.path.join(sys.base_prefix, "lib", "python3*", "site-packages"), "/usr/lib/python3*/site-packages",
            "/usr/lib/python3*/dist-packages", "/usr/lib/python3/dist-packages", "/usr/local/lib/python3*",
            "/usr/lib64/python3*/site-packages", "/usr/share/python3*", "/usr/lib/pypy*"]
    out = []
    for p in pats:
        out += [q for q in glob.glob(p) if os.path.isdir(q)]
    return sorted(set(out))


def bwrap_argv(bwrap: str, allowed: tuple[str, ...], tmpfs_mb: int, setuid_caps: bool) -> list[str]:
    """The bubblewrap command line of one worker (the same for every submission)."""
    if os.geteuid() == 0:  # no user namespace: the slot's uid must be a real uid outside too
        a = [bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    else:                  # a normal user: bwrap's unprivileged mode needs the user namespace
        a = [bwrap, "--unshare-all"]
    # --as-pid-1: the supervisor itself is the PID namespace's init (non-dumpable, seccomp-filtered,
    # immune to signals from inside); no bwrap reaper without a filter for the submission to inject into
    a += ["--as-pid-1", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    if setuid_caps:  # as root: the supervisor needs these two to drop to the slot's uid, then has none
        a += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    a += ["--proc", "/proc", "--dev", "/dev", "--size", str(int(tmpfs_mb) << 20), "--tmpfs", "/tmp",
          "--remount-ro", "/dev"]
    bound: list[str] = []
    for top in ("/usr/lib", "/usr/lib64", "/usr/lib32", "/lib", "/lib64", "/lib32", "/libx32"):
        if os.path.islink(top):
            a += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            a += ["--ro-bind", top, top]
            bound.append(top)
    for f in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime"):
        if os.path.exists(f):
            a += ["--ro-bind", f, f]
    py = interpreter()
    # the BASE interpreter's standard library (in a venv, "platstdlib" is the venv's folder, which
    # holds its site-packages: torch among them)
    base = {k: sys.base_prefix for k in ("base", "platbase", "installed_base", "installed_platbase")}
    paths = sysconfig.get_paths(vars=base)
    extra = {py, paths["stdlib"], paths["platstdlib"]}
    libdir, ldlib = sysconfig.get_config_var("LIBDIR"), sysconfig.get_config_var("INSTSONAME")
    if libdir and ldlib and os.path.exists(os.path.join(libdir, ldlib)):
        extra.add(os.path.realpath(os.path.join(libdir, ldlib)))
        extra.add(os.path.join(libdir, ldlib))
    for p in sorted(extra):
        if os.path.exists(p) and not any(p == b or p.startswith(b + "/") for b in bound):
            a += ["--ro-bind", p, p]
    trees = bound + sorted(extra)
    masks = set(_masks())
    for t in extra:  # any package folder inside a bound tree
        for name in ("site-packages", "dist-packages"):
            if os.path.isdir(os.path.join(t, name)):
                masks.add(os.path.join(t, name))
    for m in sorted(masks):
        if any(m == t or m.startswith(t + "/") for t in trees):
            a += ["--tmpfs", m, "--remount-ro", m]
    # the allowed packages, and what the worker itself needs, at /fc/site
    names = [n for n in dict.fromkeys((*allowed, "numpy", "pyseccomp")) if n not in sys.stdlib_module_names]
    for n in names:
        for src, dst in _package_paths(n):
            a += ["--ro-bind", src, f"/fc/site/{dst}"]
    for rel in WORKER_FILES:
        a += ["--ro-bind", os.path.join(PROJECT_ROOT, rel), f"/fc/lib/{rel}"]
    a = _with_parents(a)
    a += ["--chmod", "1777", "/tmp", "--chdir", "/tmp", "--", py, "-I", "-S", "-B", "-c",
          f"import sys; sys.path[:0] = ['/fc/lib', '/fc/site']; {ENTRY}"]
    return a


def _with_parents(a: list[str]) -> list[str]:
    """Create every parent folder of a bind's destination first, 0755 (bwrap would make them 0700,
    out of reach of the slot's uid)."""
    dests = []
    i = 0
    while i < len(a):
        if a[i] in ("--ro-bind", "--bind", "--symlink"):
            dests.append(a[i + 2])
            i += 3
        elif a[i] in ("--tmpfs", "--remount-ro", "--proc", "--dev"):
            dests.append(a[i + 1])
            i += 2
        else:
            i += 1
    parents = set()
    for d in dests:
        p = os.path.dirname(d)
        while p not in ("/", ""):
            parents.add(p)
            p = os.path.dirname(p)
    head, rest = a[: a.index("--proc")], a[a.index("--proc"):]
    for p in sorted(parents, key=lambda q: (q.count("/"), q)):
        head += ["--perms", "0755", "--dir", p]
    return head + rest


def direct_argv(allowed: tuple[str, ...]) -> list[str]:
    """Without namespaces: the interpreter itself, with the project root (stripped again) and the packages' folders."""
    dirs = []
    for n in dict.fromkeys((*allowed, "numpy", "pyseccomp")):
        if n in sys.stdlib_module_names:
            continue
        for src, _ in _package_paths(n)[:1]:
            d = os.path.dirname(src)
            if d not in dirs:
                dirs.append(d)
    path = [PROJECT_ROOT] + dirs
    return [interpreter(), "-I", "-S", "-B", "-c", f"import sys; sys.path[:0] = {path!r}; {ENTRY}"]


def worker_env() -> dict:
    return {
        "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",            # deterministic str hashing in submissions
        "PYTHONDONTWRITEBYTECODE": "1",
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1",
        **{k: v for k, v in os.environ.items() if k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")},
    }


# --------------------------------------------------------------------------
# detection
# --------------------------------------------------------------------------

_CAPS: Capabilities | None = None
_CAPS_LOCK = threading.Lock()


#: inside the probe: the worker's modules are there, and every compiled module of numpy loads with the
#: shared libraries it needs (a dlopen, as ``import`` does it, RTLD_NOW: a library missing from the binds
#: fails here); not importing numpy itself saves 0.1-0.15 s of CPU of every grader start
_PROBE = """import sys; sys.path[:0] = ['/fc/lib', '/fc/site']
import ctypes, glob, importlib.util
for m in {modules!r}:
    assert importlib.util.find_spec(m) is not None, m
libs = sorted(glob.glob('/fc/site/numpy/**/*.so', recursive=True))
assert any('_multiarray_umath' in p for p in libs), 'numpy has no _multiarray_umath here'
for p in libs:
    ctypes.CDLL(p)
print('ok')"""


def _bwrap_probe(bwrap: str) -> list[str]:
    """The command line of the bwrap probe: a real sandbox (the worker's own file system, no network), where
    the worker's modules are found and numpy's compiled modules load."""
    argv = bwrap_argv(bwrap, ("numpy",), 8, os.geteuid() == 0)
    mods = [f[:-3].replace("/", ".").removesuffix(".__init__") for f in WORKER_FILES]
    argv[-1] = _PROBE.format(modules=mods)
    return argv


def _bwrap_why(argv: list[str]) -> str:
    """'' when the probe ``argv`` (:func:`_bwrap_probe`) ran and printed ok, else why not."""
    try:
        r = subprocess.run(argv, capture_output=True, timeout=30, env=worker_env(), stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"bwrap could not run: {e}"
    if r.returncode != 0 or r.stdout.strip() != b"ok":
        err = (r.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        return f"bwrap failed here ({err[-1] if err else 'exit code ' + str(r.returncode)})"
    return ""


def _try_bwrap(bwrap: str) -> str:
    """'' when a real sandbox starts here (the worker's own file system, no network), else why not."""
    return _bwrap_why(_bwrap_probe(bwrap))


def detect(refresh: bool = False) -> Capabilities:
    """What this machine allows, probed once per process (``refresh``: again). The probes are independent
    subprocesses: bwrap's waits in a thread while seccomp's runs here, with the results, reasons and
    exceptions of one after the other (bwrap's first); nothing is cached on disk."""
    global _CAPS
    with _CAPS_LOCK:
        if _CAPS is not None and not refresh:
            return _CAPS
        from checks.grader import cgroups
        from checks.worker import filter as scfilter

        bwrap = shutil.which("bwrap")
        bw: list = [("bubblewrap (bwrap) is not installed", None)]  # (why, the exception the probe raised)
        probe = None
        if bwrap is not None:
            argv = _bwrap_probe(bwrap)
            bw[0] = ("", RuntimeError("the bwrap probe did not end"))

            def run() -> None:
                try:
                    bw[0] = (_bwrap_why(argv), None)
                except BaseException as e:  # raised below, as when the probes ran one after the other
                    bw[0] = ("", e)

            probe = threading.Thread(target=run, name="formulacheck-probe-bwrap", daemon=True)
            probe.start()
        err = None
        try:
            sc_why = scfilter.available() or _try_seccomp()
            cg, cg_why = cgroups.available()
        except Exception as e:
            err = e
        if probe is not None:
            probe.join()
        why, bw_err = bw[0]
        if bw_err is not None or err is not None:
            raise bw_err if bw_err is not None else err
        _CAPS = Capabilities(bwrap if not why else None, why, sc_why, os.geteuid() == 0, cg, cg_why)
        return _CAPS


def detect_ahead() -> None:
    """Start :func:`detect` in a background thread, now (the CLI calls it as soon as it knows it will
    grade, so that the probes' subprocesses run while it imports the grader and reads its options); the
    grader's own ``detect()`` then waits for that one (and, when it raised, probes again and raises). A
    second call while the first runs, or after it ended, does nothing."""
    global _AHEAD
    with _AHEAD_LOCK:
        if _AHEAD is not None or _CAPS is not None:
            return

        def run() -> None:
            try:
                detect()
            except BaseException:  # the grader's own call meets (and reports) it again
                pass

        _AHEAD = threading.Thread(target=run, name="formulacheck-detect", daemon=True)
        _AHEAD.start()


_AHEAD: threading.Thread | None = None
_AHEAD_LOCK = threading.Lock()


def _try_seccomp() -> str:
    code = "from checks.worker import filter as f; f.load_supervisor(); import socket\ntry:\n socket.socket()\nexcept OSError:\n print('ok')"
    try:
        r = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {PROJECT_ROOT!r})\n" + code],
                           capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"seccomp could not be tried: {e}"
    if r.stdout.strip() != b"ok":
        err = (r.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        return f"a seccomp filter cannot be loaded here ({err[-1] if err else 'no effect'})"
    return ""
