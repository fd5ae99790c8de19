"""Which submissions a batch grades, and whose they are (files, student folders, LMS exports).

    subs = discover(["export/"], submission_file=rubric.submission_file)
    for s in subs:
        s.path      # the file to grade ("" when there is none: s.problem says why)
        s.key       # the row key: the CSV's "student" column, the name of its JSON file
        s.student   # {"student": key, "name": ..., "sid": ..., "email": ...} (what the export tells)
        s.where     # what was graded, relative to the folder given: the CSV's "submission" column

One command-line path is one of:

* **a file**: one row, keyed by its file name (as before);
* **a flat folder** of ``.py`` / ``.ipynb`` files: one row per file, every
  entry whose name ends so (any case), whatever its type (the grader gives a
  link or a directory a status), names bytes-safe. When every file is named
  the way Canvas' "Download submissions" names them,
  ``lastfirst_12345_67890_hw1.py`` or ``lastfirst_LATE_12345_67890_hw1.py``
  (name, user id, attachment id, the student's own file name), the rows are
  the students (keyed by the user id) and a student's several files are
  chosen from as in a student folder;
* **Gradescope's export** ("Export submissions": a folder with
  ``submission_metadata.yml`` at its top and one ``submission_<id>/`` folder
  per submission): who submitted comes from the metadata's ``:submitters:``
  (``:name:``, ``:sid:``, ``:email:``; a group submission lists several:
  their values are joined with ``"; "``, the key with ``+``); rows are keyed
  by the SID, else the name, else the folder;
* **one folder per student** (a folder holding no ``.py``/``.ipynb`` file but
  sub-folders): each sub-folder is a student, keyed by its name.

In a student's folder (searched a few levels deep; hidden folders,
``__MACOSX``, ``__pycache__`` and ``.ipynb_checkpoints`` skipped) the file
graded is the one named by the rubric's ``[submission] file``, else the only
``.py``/``.ipynb`` file; otherwise the row gets status "unreadable" with the
reason ("several candidate files: a.py, b.py; name one in the rubric
[submission] file = ..."), and the batch goes on.

This module reads names and ``submission_metadata.yml`` only, never a
submission's contents (the grader does, :mod:`checks.grader.source`).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field

from checks.grader.report import unique_keys
from checks.grader.source import display_name

#: the suffixes of a submission file (any case)
SUFFIXES = (b".py", b".ipynb")
#: Gradescope's export: the metadata file at the top of the folder
GRADESCOPE_METADATA = "submission_metadata.yml"
#: how deep a student's folder is searched
MAX_DEPTH = 4
#: folders never searched (macOS zip debris, caches, notebook checkpoints); hidden ones neither
SKIPPED_DIRS = (b"__MACOSX", b"__pycache__", b".ipynb_checkpoints")
#: the identity fields, in the order of the CSV's columns (after "student")
IDENTITY_FIELDS = ("name", "sid", "email", "user_id", "late", "submission_id")

# Canvas: <lastfirst>_[LATE_]<user id>_<attachment id>_<the student's file name>
_CANVAS = re.compile(r"^(?P<name>[a-z0-9-]+)_(?P<late>LATE_)?(?P<uid>\d+)_(?P<aid>\d+)_(?P<file>.+)$")
# Canvas renames a re-submitted file hw1.py -> hw1-1.py, hw1-2.py ...
_RESUBMITTED = re.compile(r"-\d+(?=\.[^.]+$)")


class BatchError(ValueError):
    """A path of the command line that cannot be a batch (one line: the path, what is wrong, the fix)."""


@dataclass
class Submission:
    path: str                         # the file to grade ("" when none: see problem)
    student: dict = field(default_factory=dict)   # identity ("student": the key, then IDENTITY_FIELDS known)
    where: str = ""                   # what is graded, for people (relative to the folder given)
    kind: str = "file"                # file, canvas, gradescope, folder
    problem: str | None = None        # why nothing can be graded (status "unreadable" with this message)
    note: str = ""                    # something the grader should say in the row's message
    key: str = ""                     # the row key (unique in the batch; set by discover)
    label: str = ""                   # the key before it was made unique


def _is_candidate(name: bytes) -> bool:
    return name.lower().endswith(SUFFIXES)


def _list(bp: bytes, what: str) -> list[os.DirEntry]:
    try:
        with os.scandir(bp) as it:
            return sorted(it, key=lambda e: e.name)
    except OSError as e:
        raise BatchError(f"{display_name(bp)!r}: cannot list the {what}: {e.strerror or e}") from None


def _is_dir(e: os.DirEntry) -> bool:
    try:
        return e.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _skipped(name: bytes) -> bool:
    return name.startswith(b".") or name in SKIPPED_DIRS


def _safe_label(text: str) -> str:
    """A key usable as a file name: no folder separators, no leading dot."""
    text = text.replace("/", "_").replace("\\", "_").replace("\0", "_").strip()
    return ("_" + text[1:] if text.startswith(".") else text) or "_"


# --------------------------------------------------------------------------
# choosing the file of one student
# --------------------------------------------------------------------------

def _candidates(folder: bytes, depth: int = 0) -> list[bytes]:
    """The .py/.ipynb files under ``folder`` (paths relative to it), not through links to folders."""
    out: list[bytes] = []
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError:
        return out
    for e in entries:
        if _is_dir(e):
            if depth + 1 < MAX_DEPTH and not _skipped(e.name):
                out += [os.path.join(e.name, c) for c in _candidates(e.path, depth + 1)]
        elif _is_candidate(e.name):
            out.append(e.name)
    return out


def _choose(files: list[bytes], names: list[str], wanted: str | None, folder_what: str) -> tuple[int | None, str, str]:
    """(index of the file to grade or None, the problem, a note); ``names`` are what the student called them."""
    shown = ", ".join(display_name(os.fsencode(f)) for f in files)
    if wanted is not None:
        for match in (lambda n: n == wanted, lambda n: n.casefold() == wanted.casefold(),
                      lambda n: _RESUBMITTED.sub("", n).casefold() == wanted.casefold()):
            hits = [i for i, n in enumerate(names) if match(os.path.basename(n))]
            if len(hits) == 1:
                return hits[0], "", ""
            if len(hits) > 1:
                return None, (f"several files named {wanted} ({', '.join(display_name(os.fsencode(files[i])) for i in hits)}) "
                              f"in {folder_what}; keep one"), ""
        if len(files) == 1:
            return 0, "", f"graded {shown}: no file is named {wanted} (the rubric's [submission] file)"
        if not files:
            return None, f"no .py or .ipynb file in {folder_what} (the rubric's [submission] file is {wanted})", ""
        return None, f"no file named {wanted} (the rubric's [submission] file) in {folder_what}; found {shown}", ""
    if len(files) == 1:
        return 0, "", ""
    if not files:
        return None, f"no .py or .ipynb file in {folder_what}", ""
    return None, (f"several candidate files: {shown}; name one in the rubric: [submission] file = "
                  f"\"{os.path.basename(names[0])}\""), ""


def _student_folder(folder: bytes, rel: str, student: dict, kind: str, wanted: str | None) -> Submission:
    files = _candidates(folder)
    names = [display_name(os.fsencode(f)) for f in files]
    i, problem, note = _choose(files, names, wanted, "the folder")
    if i is None:
        return Submission("", student, rel.rstrip("/") + "/", kind, problem=problem)
    return Submission(os.fsdecode(os.path.join(folder, files[i])), student,
                      f"{rel.rstrip('/')}/{names[i]}", kind, note=note)


# --------------------------------------------------------------------------
# the kinds of folders
# --------------------------------------------------------------------------

def _gradescope(bp: bytes, entries: list[os.DirEntry], wanted: str | None) -> list[Submission]:
    import yaml

    meta_path = os.path.join(bp, GRADESCOPE_METADATA.encode())
    shown = display_name(meta_path)
    try:
        with open(meta_path, "rb") as fh:
            meta = yaml.safe_load(fh)
    except OSError as e:
        raise BatchError(f"{shown}: cannot read it: {e.strerror or e}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise BatchError(f"{shown}: not valid YAML{where}: {getattr(e, 'problem', None) or e}; "
                         "give the folder of Gradescope's 'Export submissions' as it was unzipped") from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise BatchError(f"{shown}: expected a mapping of submission_<id> folders to their submitters, "
                         f"got {type(meta).__name__}")
    folders = {e.name: e for e in entries if _is_dir(e) and not _skipped(e.name)}
    out: list[Submission] = []
    seen: set[bytes] = set()
    for sub_id in sorted(meta, key=str):
        rec = meta[sub_id]
        if not isinstance(rec, dict):
            raise BatchError(f"{shown}: {sub_id!r} must map to its :submitters: list, got {type(rec).__name__}")
        people = rec.get(":submitters", rec.get("submitters", []))
        if people is None:
            people = []
        if not isinstance(people, list) or not all(isinstance(p, dict) for p in people):
            raise BatchError(f"{shown}: {sub_id!r}: :submitters: must be a list of "
                             "{:name:, :sid:, :email:} entries")
        student = _identity(people)
        m = re.fullmatch(r"submission_(\d+)", str(sub_id))
        if m:
            student["submission_id"] = m.group(1)
        label = _safe_label(student.get("sid") and student["sid"].replace("; ", "+")
                            or student.get("name") or display_name(str(sub_id)))
        student = {"student": label, **student}
        name = os.fsencode(str(sub_id))
        seen.add(name)
        if name not in folders:
            out.append(Submission("", student, f"{display_name(name)}/", "gradescope",
                                  problem=f"the export lists {display_name(name)} but has no such folder"))
            continue
        out.append(_student_folder(folders[name].path, display_name(name), student, "gradescope", wanted))
    for name in sorted(set(folders) - seen):  # a folder the metadata does not name: still graded
        student = {"student": _safe_label(display_name(name))}
        s = _student_folder(folders[name].path, display_name(name), student, "gradescope", wanted)
        s.note = "; ".join(x for x in (s.note, f"{GRADESCOPE_METADATA} does not list this folder") if x)
        out.append(s)
    return out


def _identity(people: list[dict]) -> dict:
    """name / sid / email of the submitters (a group's joined with "; "); missing values left out."""
    out = {}
    for k in ("name", "sid", "email"):
        vals = [p.get(f":{k}", p.get(k)) for p in people]
        vals = [" ".join(str(v).split()) for v in vals if v is not None and str(v).strip()]
        if vals:
            out[k] = "; ".join(vals)
    return out


def _canvas(bp: bytes, files: list[os.DirEntry], wanted: str | None) -> list[Submission] | None:
    """Canvas' "Download submissions" folder (every file named so), else None."""
    parsed = []
    for e in files:
        m = _CANVAS.match(display_name(e.name))
        if m is None:
            return None
        parsed.append((m, e))
    by_user: dict[str, list] = {}
    for m, e in parsed:
        by_user.setdefault(m.group("uid"), []).append((m, e))
    out = []
    for uid, items in sorted(by_user.items(), key=lambda kv: (kv[1][0][0].group("name"), kv[0])):
        student = {"student": uid, "name": items[0][0].group("name"), "user_id": uid}
        if any(m.group("late") for m, _ in items):
            student["late"] = "yes"
        names = [m.group("file") for m, _ in items]
        i, problem, note = _choose([e.name for _, e in items], names, wanted, "this student's files")
        if i is None:
            out.append(Submission("", student, ", ".join(display_name(e.name) for _, e in items), "canvas",
                                  problem=problem))
        else:
            e = items[i][1]
            out.append(Submission(os.fsdecode(e.path), student, display_name(e.name), "canvas", note=note))
    return out


def _directory(p: str, wanted: str | None) -> list[Submission]:
    bp = os.fsencode(p)
    entries = _list(bp, "directory")
    names = {e.name for e in entries}
    if GRADESCOPE_METADATA.encode() in names:
        return _gradescope(bp, entries, wanted)
    files = [e for e in entries if _is_candidate(e.name)]
    if files:
        canvas = _canvas(bp, files, wanted)
        if canvas is not None:
            return canvas
        return [Submission(os.fsdecode(e.path), {}, display_name(e.name), "file") for e in files]
    folders = [e for e in entries if _is_dir(e) and not _skipped(e.name)]
    if not folders:
        raise BatchError(f"{p!r}: the directory holds no .py file (nor .ipynb, nor one folder per student)")
    return [_student_folder(e.path, display_name(e.name), {"student": _safe_label(display_name(e.name))}, "folder",
                            wanted) for e in folders]


def discover(paths: list[str], submission_file: str | None = None) -> list[Submission]:
    """The submissions of the command line's ``paths``, in their order; every one has a unique ``key``.

    Raises :class:`BatchError` for a path that does not exist, cannot be
    listed, holds nothing to grade, or has an unreadable Gradescope metadata
    file.
    """
    out: list[Submission] = []
    for p in paths:
        try:
            st = os.stat(p)
            is_dir = stat.S_ISDIR(st.st_mode)
        except OSError:
            is_dir = False
        if is_dir:
            out += _directory(p, submission_file)
        elif os.path.lexists(p):
            out.append(Submission(p, {}, display_name(os.path.basename(os.fsencode(p))), "file"))
        else:
            raise BatchError(f"{p!r}: no such file or directory")
    labels, tiebreak = [], []
    for s in out:
        if s.kind == "file":  # keyed by the file name, as before
            s.label = display_name(os.path.basename(os.fsencode(s.path)))
            tiebreak.append(display_name(s.path))
        else:
            s.label = s.student["student"]
            tiebreak.append(display_name(s.path) if s.path else s.where)
        labels.append(s.label)
    for s, k in zip(out, unique_keys(labels, tiebreak)):
        s.key = k
        s.student = {**s.student, "student": k}
        if s.kind == "file":  # a plain file's row is its key, in both columns (the name is the CSV's "file")
            s.where = k
    return out


def duplicate_file_names(subs: list[Submission]) -> list[str]:
    """Plain files (no identity) given twice under the same name: their rows would only differ by a hash."""
    names = [s.label for s in subs if s.kind == "file"]
    return sorted({n for n in names if names.count(n) > 1})
