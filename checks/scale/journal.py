"""Resumable grading: a journal of graded submissions (JSON lines, fsync'd, append-only).

One line per graded submission::

    {"journal": 1, "key": {"submission": SHA, "vectors": SHA, "rubric": HASH, "name": NAME},
     "result": <checks.scale.records.to_record of its SubmissionResult>}

The key says what the grade depends on: the submission file's bytes
(SHA-256 of the raw file as read, :func:`read_raw`), the vectors file
(SHA-256 of its bytes, what every result records), the grading
configuration (:func:`config_hash`: the rubric's points, policy, limits,
examples and isolation key, the formula ids graded, ``shrink``, the
formulacheck version) and the submission's name (the feedback can quote
the file name; the path is only recorded, it is replaced by the current
one on reuse). Rerunning a batch with the same journal grades only the
submissions whose key has no record; the others come back from their record
exactly (:mod:`checks.scale.records`), so the outputs are those of an
uninterrupted run (``seconds`` is the time of the run that graded it).

Not recorded: results that are not grades (status "not graded": an
interrupted batch; status "grader error": re-grade after the fix) and
submissions that could not be read (no bytes to key them by; they cost
nothing to re-grade).

Each record is written with one ``write`` and ``fsync``'d before the
result is reported (a power cut keeps every reported grade); a line torn
by a crash mid-write is ignored on reading (that submission is graded
again) and a new line never continues it. The file is locked (``flock``)
while a batch uses it: a second batch on the same journal is refused.
"""

from __future__ import annotations

import dataclasses
import errno
import fcntl
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from checks.core.verdicts import Status
from checks.grader.grade import MAX_SOURCE_BYTES, SubmissionResult
from checks.grader.source import NOTEBOOK_MAX_BYTES, display_name, is_notebook, read_bytes
from checks.scale.records import RecordError, from_record, to_record

JOURNAL_VERSION = 1
#: statuses that are not grades: never recorded, always graded again
NOT_RECORDED = (Status.NOT_GRADED, Status.GRADER_ERROR)


class JournalError(ValueError):
    """A journal that cannot be used (a one-line message naming the file and the fix; exit 2)."""


# --------------------------------------------------------------------------
# keys
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Key:
    submission: str   # SHA-256 of the submission file's bytes
    vectors: str      # SHA-256 of the vectors file
    rubric: str       # config_hash(...)
    name: str         # the submission's display name

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class Raw:
    """One submission as read for grading: its bytes (or why they could not be read), name and path."""

    path: str
    name: str
    data: bytes | None
    why: str | None

    @property
    def sha256(self) -> str | None:
        return hashlib.sha256(self.data).hexdigest() if self.data is not None else None


def raw_limit(path: str) -> int:
    """How many bytes the grader reads of ``path`` (a notebook may be larger than a .py file)."""
    return max(MAX_SOURCE_BYTES, NOTEBOOK_MAX_BYTES) if is_notebook(path) else MAX_SOURCE_BYTES


def read_raw(path: "str | bytes") -> Raw:
    """The raw bytes of a submission, read by the grader's rules (a regular file, never through a link);
    never raises. At most one byte more than the grader accepts is read: the grader sees a file too large."""
    p = os.fsdecode(path)
    data, why = read_bytes(p, raw_limit(p))
    return Raw(p, display_name(os.path.basename(p)), data, why)


def _canon(x: Any) -> Any:
    """JSON data with a fixed order for anything unordered (sets), dataclasses as dicts."""
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {f.name: _canon(getattr(x, f.name)) for f in dataclasses.fields(x)}
    if isinstance(x, dict):
        return {str(k): _canon(v) for k, v in sorted(x.items(), key=lambda kv: str(kv[0]))}
    if isinstance(x, (set, frozenset)):
        return sorted((_canon(v) for v in x), key=repr)
    if isinstance(x, (list, tuple)):
        return [_canon(v) for v in x]
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    return repr(x)


def config_hash(rubric=None, ids: Sequence[str] | None = None, shrink: bool = False) -> str:
    """The hash of what a grade depends on besides the two files (the rubric's file name left out)."""
    import checks
    from checks.grader.rubric import Rubric

    r = _canon(rubric or Rubric())
    r.pop("source", None)
    doc = {"rubric": r, "ids": list(ids) if ids is not None else None, "shrink": bool(shrink),
           "formulacheck": checks.__version__}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def vectors_sha256(path: str | None) -> str:
    """SHA-256 of the vectors file ``path`` (None: the package's public file), as the grader records it."""
    if path is None:
        from checks import data

        path = data.PUBLIC_VECTORS
    from checks.core.vecfile import file_sha256

    try:
        return file_sha256(path)
    except OSError as e:
        raise JournalError(f"--vectors {path!r}: cannot read it: {e.strerror or e}") from None


# --------------------------------------------------------------------------
# the journal file
# --------------------------------------------------------------------------

class Journal:
    """An append-only journal of grades for one grading configuration (``vectors`` + ``rubric`` hashes).

    ``with Journal(path, vectors=sha, rubric=config_hash(...)) as j: ...``.
    Records of other configurations in the same file are kept (and counted
    in :attr:`other`), never used.
    """

    def __init__(self, path: str, *, vectors: str, rubric: str):
        self.path = os.fsdecode(path)
        self.vectors, self.rubric = vectors, rubric
        self.records: dict[Key, dict] = {}
        self.other = 0      # records of another configuration
        self.torn = 0       # unreadable lines (a crash mid-write), ignored
        self.appended = 0
        self._lock = threading.Lock()
        if os.path.isdir(self.path):
            raise JournalError(f"--journal {self.path!r}: is a directory; give a file (created if missing)")
        created = not os.path.lexists(self.path)
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0),
                              0o600)
        except OSError as e:
            raise JournalError(f"--journal {self.path!r}: cannot open it: {e.strerror or e}"
                               + (" (a symbolic link: give the file itself)" if e.errno == errno.ELOOP else "")) from None
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self.fd)
            raise JournalError(f"--journal {self.path!r}: another grading batch is using it; wait for it to end "
                               "or give another file") from None
        try:
            self._load()
            if created:
                dfd = os.open(os.path.dirname(os.path.abspath(self.path)), os.O_RDONLY)
                try:
                    os.fsync(dfd)
                finally:
                    os.close(dfd)
        except BaseException:
            self.close()
            raise

    def _load(self) -> None:
        chunks = []
        os.lseek(self.fd, 0, os.SEEK_SET)
        while True:
            b = os.read(self.fd, 1 << 20)
            if not b:
                break
            chunks.append(b)
        data = b"".join(chunks)
        if data and not data.endswith(b"\n"):
            os.write(self.fd, b"\n")  # a torn last line is never continued by the next record
            os.fsync(self.fd)
        for n, line in enumerate(data.split(b"\n"), 1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
                k = d["key"]
                key = Key(str(k["submission"]), str(k["vectors"]), str(k["rubric"]), str(k["name"]))
                if d.get("journal") != JOURNAL_VERSION:
                    raise ValueError(f"journal format {d.get('journal')!r}")
                rec = d["result"]
                from_record(rec)  # checked now: a record that does not read is graded again
            except (ValueError, KeyError, TypeError, RecordError):
                if n == 1 and not data.lstrip().startswith(b"{"):
                    raise JournalError(f"--journal {self.path!r}: not a formulacheck journal (its first line is not "
                                       "a JSON record); give a new file name") from None
                self.torn += 1
                continue
            if key.vectors == self.vectors and key.rubric == self.rubric:
                self.records[key] = rec
            else:
                self.other += 1

    def key(self, raw: Raw) -> Key | None:
        sha = raw.sha256
        return None if sha is None else Key(sha, self.vectors, self.rubric, raw.name)

    def get(self, raw: Raw) -> SubmissionResult | None:
        """The recorded result of ``raw`` (its path set to ``raw.path``), or None."""
        key = self.key(raw)
        rec = self.records.get(key) if key is not None else None
        if rec is None:
            return None
        res = from_record(rec)
        res.path = raw.path
        return res

    def append(self, raw: Raw, res: SubmissionResult) -> bool:
        """Record ``res`` (fsync'd before returning); False when it is not recorded (not a grade, no bytes)."""
        key = self.key(raw)
        if key is None or res.status in NOT_RECORDED:
            return False
        rec = to_record(res)
        line = json.dumps({"journal": JOURNAL_VERSION, "key": key.as_dict(), "result": rec}, ensure_ascii=True,
                          separators=(",", ":")).encode() + b"\n"
        with self._lock:
            if self.fd < 0:
                raise JournalError(f"--journal {self.path!r}: the journal is closed")
            view = memoryview(line)
            while view:  # one write for a regular file; the loop only guards a short write
                n = os.write(self.fd, view)
                view = view[n:]
            os.fsync(self.fd)
            self.records[key] = rec
            self.appended += 1
        return True

    def close(self) -> None:
        with self._lock:
            if self.fd >= 0:
                try:
                    fcntl.flock(self.fd, fcntl.LOCK_UN)
                finally:
                    os.close(self.fd)
                    self.fd = -1

    def __enter__(self) -> "Journal":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_journal(path: str, *, vectors: str | None, rubric=None, ids: Sequence[str] | None = None,
                 shrink: bool = False) -> Journal:
    """The journal ``path`` for grading with these settings (``vectors``: the vectors file's path, None: public)."""
    return Journal(path, vectors=vectors_sha256(vectors), rubric=config_hash(rubric, ids, shrink))


# --------------------------------------------------------------------------
# running a batch with a journal
# --------------------------------------------------------------------------

GradeItems = Callable[[list[Raw], Callable[[int, SubmissionResult], None]], list]


def journaled(raws: list[Raw], grade_items: GradeItems, journal: Journal | None,
              on_done: Callable[[SubmissionResult], None] | None = None, results: list | None = None) -> list:
    """Grade ``raws`` with ``grade_items(todo, done)`` except those ``journal`` has; in input order.

    ``grade_items`` grades the list it is given and calls ``done(k, result)``
    as the k-th of them is graded (it may return a list with None for what
    it did not grade). Each result is journaled, then ``on_done(result)`` is
    called (recorded ones first, as they are read). ``results`` (a list of
    ``len(raws)``) is filled in place as results arrive: an exception
    (an interruption) leaves in it what was graded.
    """
    n = len(raws)
    if results is None:
        results = [None] * n
    todo: list[int] = []
    for i, raw in enumerate(raws):
        res = journal.get(raw) if journal is not None else None
        if res is None:
            todo.append(i)
            continue
        results[i] = res
        if on_done:
            on_done(res)
    if not todo:
        return results
    recorded = set()
    lock = threading.Lock()

    def done(k: int, res: SubmissionResult) -> None:
        i = todo[k]
        with lock:
            if i in recorded:
                return
            recorded.add(i)
            if journal is not None:
                journal.append(raws[i], res)
            results[i] = res
            if on_done:
                on_done(res)

    out = grade_items([raws[i] for i in todo], done)
    for k, res in enumerate(out or []):
        if res is not None and todo[k] not in recorded:
            done(k, res)
    return results


def run_with_journal(paths: Sequence["str | bytes"], grade_fn: Callable, journal: Journal | None,
                     on_done: Callable[[SubmissionResult], None] | None = None, results: list | None = None) -> list:
    """``grade_fn(paths, on_done)`` (e.g. ``Grader(jobs=2).grade_many``) on the paths ``journal`` has no grade of.

    The local ``--jobs`` path: the grader reads the files itself, so a file
    rewritten between its hashing here and its grading is journaled under the
    hash read here (it is graded again if it changes later). Results map back
    to their path by ``SubmissionResult.path`` (as the grader records it).
    """
    raws = [read_raw(p) for p in paths]

    def grade_items(items: list[Raw], done) -> list:
        where: dict[str, list[int]] = {}
        for k, it in enumerate(items):
            where.setdefault(it.path, []).append(k)

        def cb(res: SubmissionResult) -> None:
            ks = where.get(res.path)
            if ks:
                done(ks.pop(0), res)

        return grade_fn([it.path for it in items], cb)

    return journaled(raws, grade_items, journal, on_done, results)
