"""Reading a submission's file: what ``python file.py`` would accept, nothing more, nothing less.

    src = read_submission(path)
    if src.error:            # "a symbolic link: submit the file itself", "not valid UTF-8 text ..."
        ...                  # the submission is unreadable: src.error is the verdict's message
    else:
        src.text             # a str that compiles exactly like the file (BOM removed, line numbers kept)

* **The file itself only.** A symbolic link is never followed (``lstat``,
  then ``open(O_NOFOLLOW)``; a link's target is never read, not even its
  path), and only a regular file is read: a FIFO, a device, a socket or a
  directory is refused by its type before anything is opened, and the file
  is opened non-blocking and checked again with ``fstat``, so a file swapped
  for a FIFO in between cannot hang the grader.
* **Python's decoding rules** (PEP 263, PEP 3120): :func:`decode_source`
  uses :func:`tokenize.detect_encoding` and :func:`importlib.util.decode_source`,
  the functions the import system itself uses: UTF-8 by default, a UTF-8
  byte-order mark (as Windows editors save files), a ``# -*- coding: NAME -*-``
  declaration on line 1 or 2. Universal newlines (``\\r\\n``, ``\\r``) become
  ``\\n``; the line count does not change. A str handed to ``compile()``
  ignores its coding declaration, so the text compiles as the file does.
* **Names** as they come from the file system, any bytes: :func:`display_name`
  escapes them readably and unambiguously (printable, no control characters).
* **Jupyter notebooks**: a name ending in ``.ipynb`` (any case) is read with
  nbformat (:mod:`checks.grader.notebook`, up to :data:`NOTEBOOK_MAX_BYTES`:
  saved outputs make notebooks large); ``Source.data`` and ``Source.text``
  are then the program its code cells make (UTF-8), ``Source.notes`` list the
  IPython lines left out, and ``Source.locate`` rewrites the program's line
  numbers in a message into "cell K, line L of name.ipynb". For a .py file
  ``locate`` is None.

This module imports only the standard library (and nbformat, for notebooks).
"""

from __future__ import annotations

import codecs
import errno
import importlib.util
import io
import os
import stat
import tokenize
from dataclasses import dataclass, field
from typing import Callable

#: the largest file read (the grader passes its own limit)
MAX_BYTES = 2 << 20
#: the largest notebook file read (its outputs, plots as base64, are read and dropped); its program has max_bytes
NOTEBOOK_MAX_BYTES = 32 << 20
NOTEBOOK_SUFFIX = ".ipynb"

SYMLINK_MESSAGE = "a symbolic link: submit the file itself"


@dataclass(frozen=True)
class Source:
    """One submission file, read and decoded (or the reason it could not be)."""

    path: str                      # as given (a str; undecodable bytes of a name as surrogates, os.fsdecode)
    name: str                      # its file name for people: display_name(basename)
    data: bytes = b""              # the bytes read (at most max_bytes + 1); a notebook: its program, UTF-8
    text: str | None = None        # the decoded source; None when error is set
    encoding: str | None = None    # the codec used: "utf-8", "utf-8-sig" (a BOM), "iso-8859-1", ...
    notes: tuple[str, ...] = ()    # what was done that the student may not expect (a BOM removed, a codec)
    error: str | None = None       # why the file is unreadable (the verdict's message); None: readable
    # a notebook: rewrites the program's locations in a message ("line 12 of sub.py") into the
    # notebook's ("cell 3, line 2 of sub.ipynb"); None for a .py file
    locate: Callable[[str], str] | None = field(default=None, compare=False)

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Decoded:
    text: str | None = None
    encoding: str | None = None
    notes: tuple[str, ...] = ()
    error: str | None = None


# --------------------------------------------------------------------------
# names
# --------------------------------------------------------------------------

def display_name(name: str | bytes) -> str:
    """``name`` (a file name: str with surrogate escapes, or bytes) as printable, unambiguous text.

    Valid UTF-8 stays as it is (``café.py``); every byte that is not valid
    UTF-8 becomes ``\\xNN``; control and other non-printable characters
    become ``\\n``, ``\\t``, ``\\xNN``, ``\\uNNNN``; a backslash becomes two,
    so different names never look the same. The result encodes to UTF-8.
    """
    raw = os.fsencode(name) if isinstance(name, str) else bytes(name)
    s = raw.decode("utf-8", "surrogateescape")
    out = []
    for ch in s:
        o = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif 0xDC80 <= o <= 0xDCFF:          # a byte that is not UTF-8
            out.append(f"\\x{o - 0xDC00:02x}")
        elif ch.isprintable():
            out.append(ch)
        elif ch in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        elif o < 0x100:
            out.append(f"\\x{o:02x}")
        elif o < 0x10000:
            out.append(f"\\u{o:04x}")
        else:
            out.append(f"\\U{o:08x}")
    return "".join(out)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "not a regular file"


def _not_regular(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return SYMLINK_MESSAGE
    return f"{_kind(mode)}, not a regular file: submit the .py file itself"


# --------------------------------------------------------------------------
# decoding
# --------------------------------------------------------------------------

def _line_of(data: bytes, pos: int) -> int:
    return data.count(b"\n", 0, pos) + 1


def decode_source(data: bytes) -> Decoded:
    """``data`` decoded as Python decodes a source file, or the reason it cannot be (never raises)."""
    notes: list[str] = []
    try:
        enc, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as e:
        msg = str(e.msg if hasattr(e, "msg") and e.msg else e)
        if msg.startswith("unknown encoding"):
            name = msg.split(":", 1)[-1].strip()
            return Decoded(error=f"the file's coding declaration names an unknown encoding {name!r} (PEP 263)")
        if msg.startswith("encoding problem"):
            return Decoded(error="the file starts with a UTF-8 byte-order mark but its coding declaration names "
                                 "another encoding (PEP 263)")
        # the first two lines are not UTF-8 and declare no encoding
        return Decoded(error=_not_utf8(data) or f"the file is not valid UTF-8 text and declares no encoding ({msg})")
    except Exception as e:  # pragma: no cover - detect_encoding raises SyntaxError only
        return Decoded(error=f"the file's encoding cannot be determined: {type(e).__name__}: {e}")
    try:
        codec = codecs.lookup(enc)
    except LookupError:  # pragma: no cover - detect_encoding looked it up already
        return Decoded(error=f"the file's coding declaration names an unknown encoding {enc!r} (PEP 263)")
    if not getattr(codec, "_is_text_encoding", True):
        return Decoded(error=f"the file's coding declaration names {enc!r}, which is not a text encoding (PEP 263)")
    try:
        text = importlib.util.decode_source(data)
    except UnicodeDecodeError as e:
        if enc in ("utf-8", "utf-8-sig"):
            return Decoded(error=_not_utf8(data) or f"the file is not valid UTF-8 text ({e.reason})")
        return Decoded(error=f"the file is not valid {enc} text, the encoding its coding declaration names "
                             f"({e.reason} at byte {e.start}, line {_line_of(data, e.start)})")
    except (SyntaxError, LookupError, ValueError, TypeError) as e:
        return Decoded(error=f"the file cannot be decoded as {enc}: {type(e).__name__}: {e}")
    except Exception as e:  # a codec's own bug: still a verdict, never a crash
        return Decoded(error=f"the file cannot be decoded as {enc}: {type(e).__name__}: {e}")
    if not isinstance(text, str):  # pragma: no cover - a codec returning something else
        return Decoded(error=f"the file cannot be decoded as {enc}")
    if enc == "utf-8-sig":
        notes.append("the file starts with a UTF-8 byte-order mark (ignored, as Python does)")
    elif enc != "utf-8":
        notes.append(f"decoded as {enc}, as its coding declaration says (PEP 263)")
    return Decoded(text, enc, tuple(notes))


def _not_utf8(data: bytes) -> str | None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        return (f"the file is not valid UTF-8 text ({e.reason} at byte {e.start}, line {_line_of(data, e.start)}) "
                "and declares no other encoding; save it as UTF-8")
    return None


# --------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------

def read_bytes(path: str | bytes, max_bytes: int = MAX_BYTES) -> tuple[bytes | None, str | None]:
    """(the first ``max_bytes + 1`` bytes of the regular file ``path``, None) or (None, why not); never raises.

    Symbolic links are never followed and only regular files are opened
    (non-blocking: a FIFO cannot hang the caller).
    """
    try:
        st = os.lstat(path)
    except OSError as e:
        return None, f"cannot read the file: {e.strerror or e}"
    except (ValueError, TypeError) as e:  # an embedded NUL, a bad type
        return None, f"cannot read the file: {e}"
    if not stat.S_ISREG(st.st_mode):
        return None, _not_regular(st.st_mode)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) \
        | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as e:
        if e.errno in (errno.ELOOP, getattr(errno, "EMLINK", -1)):  # swapped for a link since lstat
            return None, SYMLINK_MESSAGE
        if e.errno == errno.ENXIO:  # swapped for a socket / a FIFO without writer
            return None, "not a regular file: submit the .py file itself"
        return None, f"cannot read the file: {e.strerror or e}"
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None, _not_regular(st.st_mode)
        chunks, left = [], max_bytes + 1
        while left > 0:
            try:
                b = os.read(fd, min(left, 1 << 20))
            except BlockingIOError:  # pragma: no cover - regular files never block
                continue
            if not b:
                break
            chunks.append(b)
            left -= len(b)
        return b"".join(chunks), None
    except OSError as e:
        return None, f"cannot read the file: {e.strerror or e}"
    finally:
        os.close(fd)


def read_submission(path: str | bytes, max_bytes: int = MAX_BYTES) -> Source:
    """Read and decode one submission file; never raises (a problem is ``Source.error``)."""
    p = os.fsdecode(path)
    name = display_name(os.path.basename(p))
    if is_notebook(p):
        return _read_notebook(p, name, max_bytes)
    data, why = read_bytes(p, max_bytes)
    if why is not None:
        return Source(p, name, error=why)
    if len(data) > max_bytes:
        return Source(p, name, data, error=f"the file is larger than {_size(max_bytes)}")
    d = decode_source(data)
    if d.error is not None:
        return Source(p, name, data, error=d.error)
    return Source(p, name, data, d.text, d.encoding, d.notes)


def is_notebook(name: str | bytes) -> bool:
    """Whether ``name`` is read as a Jupyter notebook: it ends with .ipynb, in any case."""
    return os.fsdecode(name).lower().endswith(NOTEBOOK_SUFFIX)


def _read_notebook(p: str, name: str, max_bytes: int) -> Source:
    from checks.grader import notebook

    limit = max(max_bytes, NOTEBOOK_MAX_BYTES)
    raw, why = read_bytes(p, limit)
    if why is not None:
        return Source(p, name, error=why.replace("the .py file", "the .ipynb file"))
    if len(raw) > limit:
        return Source(p, name, error=f"the notebook is larger than {_size(limit)}: clear its outputs "
                                     "(Edit > Clear All Outputs) and save it again")
    prog = notebook.convert(raw)
    if prog.error is not None:
        return Source(p, name, error=prog.error)
    try:
        data = prog.text.encode("utf-8")
    except UnicodeEncodeError as e:  # JSON can spell a lone surrogate ("\\ud800")
        line = prog.text.count("\n", 0, e.start) + 1
        return Source(p, name, error=f"{prog.where(line) or 'a code cell'} holds {e.object[e.start]!r}, a lone "
                                     "surrogate, which is not a character: remove it")
    if len(data) > max_bytes:
        return Source(p, name, error=f"the notebook's code cells hold more than {_size(max_bytes)}")
    return Source(p, name, data, prog.text, "utf-8", prog.notes,
                  locate=notebook.make_locate(prog, worker_file_name(name), name))


def _size(n: int) -> str:
    return f"{n >> 20} MB" if n >= (1 << 20) and n % (1 << 20) == 0 else f"{n} bytes"


def worker_file_name(name: str) -> str:
    """A file name for the submission inside the worker: ``name`` when short and plain, else submission.py.

    A notebook ``x.ipynb`` (any case) runs as ``x.py`` (the program of its code cells).
    """
    if is_notebook(name):
        name = name[: -len(NOTEBOOK_SUFFIX)] + ".py"
    ok = (name.endswith(".py") and len(name) > 3 and len(name.encode("utf-8", "replace")) <= 100
          and not name.startswith(".") and name.isprintable() and not any(c in name for c in "/\\\0"))
    return name if ok else "submission.py"
