"""A disk cache of the grader's batch preparation (grading cases + expected answers).

Drawing every formula's grading cases with Hypothesis and computing every
oracle's expected answers costs tens of seconds at the ``grade`` profile, the
same on every run. This module stores, per formula, what
:func:`checks.grader.grade.prepare` builds (the unique cases, their worker
blobs and the plan as ``(oracle name, idxs, expected answers)``) in one file,
and gives it back on the next run when nothing that could change it changed.

The key of a formula's file hashes:

- every ``.py`` file under the installed ``checks/`` and ``reference/``
  packages (sorted relative paths + bytes): strategies, oracles, the engine;
- the versions of python, numpy, hypothesis, torch, sympy (and scipy), the
  machine;
- the profile, the formula id, its example count, the grading seed and the
  names of its oracles (in order).

Location: ``$FORMULACHECK_CACHE_DIR``, else ``$XDG_CACHE_HOME/formulacheck``,
else ``~/.cache/formulacheck``; created with mode 0700. One file per formula
id, ``<id>.pkl``: a header line (magic, key, payload length, SHA-256 of the
payload) then the pickled payload. A file is unpickled only when the
directory is owned by the current user and not group/world-writable, the
file is a regular file owned by the user and not group/world-writable, and
the header's key, length and checksum match. Anything else is a miss (the
formula is prepared again and the file rewritten); nothing here ever raises
into the grader. Writes are atomic (temporary file + ``os.replace``).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import platform
import re
import secrets
import stat
import sys
from dataclasses import dataclass
from typing import Any

ENV = "FORMULACHECK_CACHE_DIR"
#: bump when the file format or the payload's layout changes
FORMAT = 1
MAGIC = b"formulacheck-grade-cache"

_warned: set[str] = set()


def _warn_once(what: str, msg: str) -> None:
    if what in _warned:
        return
    _warned.add(what)
    try:
        print(f"formulacheck: {msg}", file=sys.stderr, flush=True)
    except Exception:
        pass


def default_dir() -> str:
    """The cache directory: $FORMULACHECK_CACHE_DIR, else $XDG_CACHE_HOME/formulacheck, else ~/.cache/formulacheck."""
    d = os.environ.get(ENV)
    if d:
        return os.path.abspath(os.path.expanduser(d))
    base = os.environ.get("XDG_CACHE_HOME")
    if not base or not os.path.isabs(base):  # the XDG spec: a relative value is to be ignored
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "formulacheck")


# --------------------------------------------------------------------------
# the key
# --------------------------------------------------------------------------

def _package_dirs() -> list[tuple[str, str]]:
    import checks
    import reference

    out = []
    for mod in (checks, reference):
        for p in list(getattr(mod, "__path__", [])):
            out.append((mod.__name__, os.path.abspath(p)))
    return out


def code_digest() -> str:
    """SHA-256 of every .py file of the installed checks/ and reference/ packages (sorted relative paths + bytes)."""
    h = hashlib.sha256()
    for name, root in _package_dirs():
        files = []
        for d, dirs, fs in os.walk(root):
            dirs[:] = sorted(x for x in dirs if x != "__pycache__")
            files += [os.path.join(d, f) for f in fs if f.endswith(".py")]
        for path in sorted(files, key=lambda p: os.path.relpath(p, root)):
            rel = name + "/" + os.path.relpath(path, root).replace(os.sep, "/")
            with open(path, "rb") as fh:
                data = fh.read()
            h.update(b"F\0" + rel.encode("utf-8", "surrogateescape") + b"\0" + str(len(data)).encode() + b"\0")
            h.update(data)
    return h.hexdigest()


def _version(dist: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except Exception:
        return "absent"


def environment() -> dict:
    """Versions of what can change the drawn cases or the answers (torch is never imported here)."""
    return {
        "python": sys.version,
        "implementation": sys.implementation.cache_tag,
        "machine": platform.machine(),
        "numpy": _version("numpy"),
        "hypothesis": _version("hypothesis"),
        "torch": _version("torch"),
        "sympy": _version("sympy"),
        "scipy": _version("scipy"),
    }


def formula_key(base: str, formula, profile: str, examples: int, seed: int) -> str:
    """The key of one formula's file: ``base`` (code + environment) and everything of this formula."""
    parts = [f"format={FORMAT}", f"base={base}", f"profile={profile}", f"id={formula.id}",
             f"examples={int(examples)}", f"seed={int(seed)}",
             "oracles=" + "\x1f".join(o.name for o in formula.oracles)]
    return hashlib.sha256("\x1e".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


# --------------------------------------------------------------------------
# the store
# --------------------------------------------------------------------------

@dataclass
class Entry:
    """What prepare() builds for one formula (on disk the oracles are stored by name)."""

    cases: list                                   # checks.core.case.Case
    blobs: list[bytes]
    plan: list[tuple[Any, list[int], list[Any]]]  # (checks.registry.Oracle, idxs, expected answers)


def _safe_name(fid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", fid).lstrip(".") + ".pkl"


def _dir_problem(st: os.stat_result) -> str | None:
    if not stat.S_ISDIR(st.st_mode):
        return "is not a directory"
    if st.st_uid != os.geteuid():
        return f"is owned by uid {st.st_uid}, not by you (uid {os.geteuid()})"
    if st.st_mode & 0o022:
        return f"is group- or world-writable (mode {stat.S_IMODE(st.st_mode):04o})"
    return None


class Cache:
    """The preparation cache in one directory. ``Cache.open()`` gives ``None`` when it cannot be used."""

    def __init__(self, path: str, dfd: int, base: str):
        self.path = path
        self._dfd = dfd          # the directory, opened once: checked by fstat, files opened relative to it
        self.base = base
        self.hits = 0
        self.misses = 0
        self.writes = 0

    # ---------------------------------------------------------------- lifecycle

    @classmethod
    def open(cls, path: str | None = None) -> "Cache | None":
        """Create (mode 0700) or open the cache directory; ``None`` (said once on stderr) if it is unsafe or unusable."""
        path = os.path.abspath(path or default_dir())
        try:
            parent = os.path.dirname(path)
            if parent and not os.path.isdir(parent):
                os.makedirs(parent, mode=0o700, exist_ok=True)
            try:
                os.mkdir(path, 0o700)  # the mode is set at creation: never a moment when others can write it
            except FileExistsError:
                pass
            dfd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
        except OSError as e:
            _warn_once(path, f"not using the grading cache {path}: {e.strerror or e}")
            return None
        try:
            problem = _dir_problem(os.fstat(dfd))
            if problem is not None:
                _warn_once(path, f"not using the grading cache {path}: the directory {problem} "
                                 f"(fix: rm -r {path}, or set {ENV}, or pass --no-cache)")
                os.close(dfd)
                return None
            base = hashlib.sha256(repr((code_digest(), sorted(environment().items()))).encode()).hexdigest()
        except Exception as e:
            os.close(dfd)
            _warn_once(path, f"not using the grading cache {path}: {type(e).__name__}: {e}")
            return None
        return cls(path, dfd, base)

    def close(self) -> None:
        if self._dfd >= 0:
            try:
                os.close(self._dfd)
            except OSError:
                pass
            self._dfd = -1

    def __del__(self):
        self.close()

    def key(self, formula, profile: str, examples: int, seed: int) -> str:
        return formula_key(self.base, formula, profile, examples, seed)

    def file(self, formula) -> str:
        return os.path.join(self.path, _safe_name(formula.id))

    # ---------------------------------------------------------------- read

    def _read(self, name: str) -> bytes | None:
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), dir_fd=self._dfd)
        except OSError:
            return None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o022:
                return None
            with os.fdopen(fd, "rb", closefd=False) as fh:
                return fh.read()
        except OSError:
            return None
        finally:
            os.close(fd)

    def load(self, formula, key: str) -> Entry | None:
        """The stored entry of ``formula`` if its file holds exactly ``key`` and an intact payload, else None."""
        entry = self._load(formula, key)
        if entry is None:
            self.misses += 1
        else:
            self.hits += 1
        return entry

    def _load(self, formula, key: str) -> Entry | None:
        if self._dfd < 0:
            return None
        data = self._read(_safe_name(formula.id))
        if not data:
            return None
        nl = data.find(b"\n", 0, 512)
        if nl < 0:
            return None
        try:
            magic, fmt, fkey, size, digest = data[:nl].decode("ascii").split(" ")
            size = int(size)
        except ValueError:
            return None
        payload = data[nl + 1:]
        if (magic.encode() != MAGIC or fmt != str(FORMAT) or fkey != key or size != len(payload)
                or hashlib.sha256(payload).hexdigest() != digest):
            return None
        try:
            obj = pickle.loads(payload)
            cases, blobs, plan = obj["cases"], obj["blobs"], obj["plan"]
            if obj.get("id") != formula.id or not isinstance(cases, list) or not isinstance(blobs, list):
                return None
            if len(cases) != len(blobs) or not all(isinstance(b, bytes) for b in blobs):
                return None
            by_name = {o.name: o for o in formula.oracles}
            out = []
            for name, idxs, expected in plan:
                if not isinstance(name, str) or name not in by_name or len(idxs) != len(expected):
                    return None  # an oracle the formula no longer has: a miss
                if not all(isinstance(i, int) and 0 <= i < len(cases) for i in idxs):
                    return None
                out.append((by_name[name], list(idxs), list(expected)))
        except Exception:  # a payload we do not understand: a miss
            return None
        return Entry(cases, blobs, out)

    # ---------------------------------------------------------------- write

    def save(self, formula, key: str, entry: Entry) -> bool:
        """Store ``entry`` under ``key`` (atomically); False (silently) when it cannot be stored."""
        if self._dfd < 0 or len({o.name for o in formula.oracles}) != len(formula.oracles):
            return False  # oracles could not be told apart by name
        plan = [(o.name, list(idxs), list(expected)) for o, idxs, expected in entry.plan]
        try:
            payload = pickle.dumps({"id": formula.id, "cases": entry.cases, "blobs": entry.blobs, "plan": plan},
                                   protocol=5)
        except Exception:  # an answer that does not pickle: that formula is simply not cached
            return False
        head = b" ".join([MAGIC, str(FORMAT).encode(), key.encode(), str(len(payload)).encode(),
                          hashlib.sha256(payload).hexdigest().encode()]) + b"\n"
        name = _safe_name(formula.id)
        tmp = f".{name}.{os.getpid()}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0),
                         0o600, dir_fd=self._dfd)
        except OSError:
            return False
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(head)
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, name, src_dir_fd=self._dfd, dst_dir_fd=self._dfd)
        except OSError:
            try:
                os.unlink(tmp, dir_fd=self._dfd)
            except OSError:
                pass
            return False
        self.writes += 1
        return True
