"""A Jupyter notebook (.ipynb) submission as the Python program it holds.

    prog = convert(data)             # the file's bytes; never raises
    if prog.error:                   # "not a Jupyter notebook: the file is not JSON (...)"
        ...
    prog.text                        # the code cells in order, IPython lines left out
    prog.notes                       # ("left out 2 IPython lines (not Python, not run): cell 2, line 1 `%pip ...`, ...",)
    prog.where(12)                   # "cell 3, line 2": program line 12 in the notebook's terms
    locate = make_locate(prog, "sub.py", "sub.ipynb")
    locate("f raised ValueError: x (line 12 of sub.py)")  # "... (cell 3, line 2 of sub.ipynb)"

* **Reading** is nbformat's: :func:`nbformat.reader.reads`, :func:`nbformat.convert`
  to version 4 and :func:`nbformat.validate` (what ``nbformat.reads(text,
  as_version=4)`` does, without its logging). A file that is not JSON, JSON
  that is not a notebook, or a notebook nbformat cannot read as version 4 is
  a one-line error; a notebook that reads but breaks the schema in some
  detail (Jupyter opens those too) is graded, with a note saying so.
* **The program** is the code cells, in order, one after the other (what
  "Run All" runs); markdown and raw cells are skipped. Every line of a code
  cell is one line of the program, so line numbers map back exactly.
* **IPython lines are left out and listed**: a cell magic (``%%time`` on the
  cell's first line: the whole cell), a line magic (``%matplotlib inline``),
  a shell command (``!pip install x``, ``files = !ls``), help (``?np.mean``,
  ``np.mean?``), autocall escapes (``/f x``, ``,f a``, ``;f a``) and the
  ``get_ipython()`` calls that nbconvert and jupytext write for them; only at
  the start of a statement (``x = (1\\n % 2)`` is Python). Each becomes
  ``pass`` at its own indentation (its continuation lines blank), so a magic
  alone in a block and every later line number stay valid.
* **Locations: "cell K, line L"** -- K counts every cell of the notebook from
  the top, from 1, markdown and raw cells included (as VS Code's "Cell K of N"
  does; Jupyter shows no cell numbers, and the ``In [n]`` execution counts
  change with every run); L counts the lines of that cell from 1.

This module imports only the standard library and nbformat.
"""

from __future__ import annotations

import json
import re
import threading
import warnings
from dataclasses import dataclass
from typing import Any, Callable

#: the note's list of left-out lines stops after this many (then "and N more")
MAX_LISTED = 8
_SHOWN_CHARS = 60

_NEWLINE = re.compile(r"\r\n|\r|\n")  # Python's line ends (str.splitlines has more)
_COOKIE = re.compile(r"^[ \t\f]*#.*?coding[:=]")  # PEP 263: meaningless in a notebook's (decoded) text
_HELP_END = re.compile(r"^[\w.*\[\]()'\"]*[\w\])*]\?{1,2}$")  # np.mean?  obj.attr??  np.*load*?
_ASSIGN = re.compile(r"^[\w.,()\[\] \t*]+?[ \t]*=[ \t]*(%|!|get_ipython\(\))")  # x = !ls   x = %who_ls
_IPY_CALL = re.compile(r"^get_ipython\(\)")
# nbformat's conversion and validation warn (MissingIDFieldWarning ...): catch_warnings is not thread-safe
_LOCK = threading.Lock()


@dataclass(frozen=True)
class LeftOut:
    cell: int              # the cell's number (every cell counted from 1)
    line: int              # its first line in the cell (from 1)
    lines: int             # how many lines of the cell it covers
    text: str              # its first line, as written
    kind: str              # "cell magic", "line magic", "shell command", "help", "autocall", "get_ipython() call"


@dataclass(frozen=True)
class Program:
    """A notebook's Python program (or the reason there is none)."""

    text: str = ""
    lines: tuple[tuple[int, int], ...] = ()   # program line n -> lines[n - 1] = (cell, line in cell)
    left_out: tuple[LeftOut, ...] = ()
    notes: tuple[str, ...] = ()
    cells: int = 0                            # all cells
    code_cells: int = 0
    error: str | None = None

    def where(self, lineno: int) -> str | None:
        """Program line ``lineno`` as "cell K, line L" (None: not a line of the program)."""
        if 1 <= lineno <= len(self.lines):
            c, l = self.lines[lineno - 1]
            return f"cell {c}, line {l}"
        return None


# --------------------------------------------------------------------------
# reading the notebook
# --------------------------------------------------------------------------

def _first_line(e: BaseException) -> str:
    msg = getattr(e, "message", None) or str(e) or type(e).__name__
    msg = msg.strip().splitlines()[0] if str(msg).strip() else type(e).__name__
    return msg if len(msg) <= 200 else msg[:197] + "..."


def _json_path(e: BaseException) -> str:
    path = list(getattr(e, "absolute_path", None) or getattr(e, "path", None) or ())
    return "/".join(str(p) for p in path)


def _language(meta: Any) -> str | None:
    """The notebook's language as its metadata says (language_info, then kernelspec), or None."""
    if not isinstance(meta, dict):
        return None
    for key, sub in (("language_info", "name"), ("kernelspec", "language")):
        d = meta.get(key)
        if isinstance(d, dict) and isinstance(d.get(sub), str) and d[sub].strip():
            return d[sub].strip()
    return None


def read_notebook(data: bytes) -> tuple[Any, list[str], str | None]:
    """(the notebook as nbformat 4, notes, None) or (None, [], why not); never raises."""
    notes: list[str] = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        return None, [], f"not a Jupyter notebook: the file is not UTF-8 text ({e.reason} at byte {e.start})"
    if text.startswith("\ufeff"):
        text = text[1:]
        notes.append("the notebook starts with a UTF-8 byte-order mark (ignored)")
    try:
        d = json.loads(text)
    except RecursionError:
        return None, [], "not a Jupyter notebook: the file's JSON is nested too deeply"
    except ValueError as e:
        return None, [], f"not a Jupyter notebook: the file is not JSON ({_first_line(e)})"
    if not isinstance(d, dict) or "nbformat" not in d:
        what = "a JSON object" if isinstance(d, dict) else f"JSON holding a {type(d).__name__}"
        return None, [], (f"not a Jupyter notebook: {what} without the \"nbformat\" key every notebook has; "
                          "submit the .ipynb file Jupyter saves")
    import nbformat
    from nbformat import reader

    with _LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            nb = nbformat.convert(reader.reads(text), 4)
        except Exception as e:  # NotJSONError, NBFormatError, ValidationError, AttributeError, KeyError...
            return None, [], f"not a Jupyter notebook nbformat can read as version 4: {_first_line(e)}"
        try:
            nbformat.validate(nb)
        except nbformat.ValidationError as e:
            at = _json_path(e)
            notes.append(f"the notebook does not follow the nbformat 4 schema ({_first_line(e)}"
                         + (f", at {at}" if at else "") + "); its code cells were graded anyway")
        except Exception as e:  # the validator's own trouble with an odd notebook: still graded
            notes.append(f"the notebook could not be validated ({type(e).__name__}: {_first_line(e)}); "
                         "its code cells were graded anyway")
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        return None, [], "not a Jupyter notebook: it has no list of cells"
    lang = _language(nb.get("metadata"))
    if lang is not None and not lang.lower().startswith(("python", "ipython")):
        return None, [], (f"a notebook in {lang[:40]!r}, not Python (its kernel's language): "
                          "write the submission in a Python notebook")
    for k, c in enumerate(cells, 1):
        if not isinstance(c, dict) or not isinstance(c.get("cell_type"), str):
            return None, [], f"not a readable Jupyter notebook: cell {k} has no cell type"
        if c["cell_type"] == "code" and not isinstance(c.get("source"), str):
            return None, [], f"not a readable Jupyter notebook: the source of cell {k} is not text"
    return nb, notes, None


# --------------------------------------------------------------------------
# IPython lines
# --------------------------------------------------------------------------

def _advance(line: str, depth: int, quote: str | None) -> tuple[int, str | None, bool]:
    """(bracket depth, open string quote, backslash continuation) after the physical line ``line``."""
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if quote is not None:
            if c == "\\":
                if i == n - 1:          # an escaped line end: the string goes on
                    return depth, quote, False
                i += 2
            elif line.startswith(quote, i):
                i += len(quote)
                quote = None
            else:
                i += 1
            continue
        if c == "#":
            break
        if c in "\"'":
            quote = c * 3 if line.startswith(c * 3, i) else c
            i += len(quote)
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth = max(0, depth - 1)
        elif c == "\\" and i == n - 1:
            return depth, quote, True
        i += 1
    if quote is not None and len(quote) == 1:  # an unterminated one-line string: Python's error, not ours
        quote = None
    return depth, quote, False


def _kind(stripped: str) -> str | None:
    """What IPython makes of a line that starts a statement (None: Python's own)."""
    if not stripped:
        return None
    c = stripped[0]
    if c == "%":
        return "line magic"
    if c == "!":
        return "shell command"
    if c == "?":
        return "help"
    if c in "/,;":
        return "autocall"
    if _IPY_CALL.match(stripped):
        return "get_ipython() call"
    m = _ASSIGN.match(stripped)
    if m:
        return {"%": "line magic", "!": "shell command"}.get(m.group(1), "get_ipython() call")
    code = stripped.split("#", 1)[0].rstrip() if "'" not in stripped and '"' not in stripped else stripped
    if code.endswith("?") and _HELP_END.match(code):
        return "help"
    return None


def python_lines(lines: list[str], cell: int) -> tuple[list[str], list[LeftOut]]:
    """The cell's ``lines`` with its IPython lines replaced (``pass`` at their indentation, then blank)."""
    out = list(lines)
    left: list[LeftOut] = []
    first = next((k for k, s in enumerate(lines) if s.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        out = [""] * len(lines)
        out[first] = "pass"
        return out, [LeftOut(cell, first + 1, len(lines) - first, lines[first].strip(), "cell magic")]
    depth, quote, cont = 0, None, False
    k = 0
    while k < len(lines):
        line = lines[k]
        stripped = line.strip()
        kind = _kind(stripped) if (depth == 0 and quote is None and not cont) else None
        if kind is None:
            depth, quote, cont = _advance(line, depth, quote)
            k += 1
            continue
        start = k
        out[k] = line[: len(line) - len(line.lstrip())] + "pass"
        if kind == "get_ipython() call":   # Python syntax: it ends where the statement ends
            d, q, c = _advance(line, 0, None)
            while (d or q is not None or c) and k + 1 < len(lines):
                k += 1
                out[k] = ""
                d, q, c = _advance(lines[k], d, q)
        else:                               # IPython's own syntax: only a backslash continues it
            while lines[k].rstrip().endswith("\\") and k + 1 < len(lines):
                k += 1
                out[k] = ""
        left.append(LeftOut(cell, start + 1, k - start + 1, stripped, kind))
        k += 1
    return out, left


# --------------------------------------------------------------------------
# the program
# --------------------------------------------------------------------------

def _shown(s: str) -> str:
    s = s if len(s) <= _SHOWN_CHARS else s[: _SHOWN_CHARS - 3] + "..."
    return "`" + s.replace("`", "'") + "`"


def left_out_note(left: list[LeftOut] | tuple[LeftOut, ...]) -> str:
    n = sum(x.lines for x in left)
    items = []
    for x in left[:MAX_LISTED]:
        where = f"cell {x.cell}, line {x.line}" if x.lines == 1 else f"cell {x.cell}, lines {x.line}-{x.line + x.lines - 1}"
        items.append(f"{where} {_shown(x.text)}" + (" (a cell magic: the whole cell)" if x.kind == "cell magic" else ""))
    if len(left) > MAX_LISTED:
        items.append(f"and {len(left) - MAX_LISTED} more")
    return f"left out {n} IPython line{'s' if n != 1 else ''} (not Python, not run): " + ", ".join(items)


def to_program(nb: Any) -> Program:
    """The code cells of the (read) notebook ``nb`` as one program, with its line map."""
    cells = nb["cells"]
    text: list[str] = []
    where: list[tuple[int, int]] = []
    left: list[LeftOut] = []
    code = 0
    for k, c in enumerate(cells, 1):
        if c["cell_type"] != "code":
            continue
        code += 1
        src = c["source"]
        lines = _NEWLINE.split(src)
        if lines and lines[-1] == "":
            lines.pop()
        py, lo = python_lines(lines, k)
        left += lo
        text += py
        where += [(k, j) for j in range(1, len(py) + 1)]
    if not code:
        kinds = sorted({c["cell_type"] for c in cells})
        return Program(cells=len(cells), error=f"the notebook has no code cell ({len(cells)} cell"
                       f"{'s' if len(cells) != 1 else ''}{': ' + ', '.join(kinds) if kinds else ''}); "
                       "write your functions in code cells")
    if not any(s.strip() for s in text) and not left:
        return Program(cells=len(cells), code_cells=code,
                       error=f"the notebook's {code} code cell{'s are' if code != 1 else ' is'} empty; "
                             "write your functions in code cells")
    for j in range(min(2, len(text))):  # a coding declaration means nothing in decoded text: the program is UTF-8
        if _COOKIE.match(text[j]):
            text[j] = ""
    notes = (left_out_note(left),) if left else ()
    return Program("".join(s + "\n" for s in text), tuple(where), tuple(left), notes, len(cells), code)


def convert(data: bytes) -> Program:
    """The notebook file's bytes as a :class:`Program` (``error`` set when it is not a usable notebook)."""
    try:
        nb, notes, why = read_notebook(data)
        if why is not None:
            return Program(error=why)
        p = to_program(nb)
    except RecursionError:
        return Program(error="not a readable Jupyter notebook: it is nested too deeply")
    if p.error is not None:
        return p
    return Program(p.text, p.lines, p.left_out, tuple(notes) + p.notes, p.cells, p.code_cells)


# --------------------------------------------------------------------------
# locations in messages
# --------------------------------------------------------------------------

def make_locate(prog: Program, worker_name: str, notebook_name: str) -> Callable[[str], str]:
    """A function rewriting the program's locations in a message into the notebook's.

    ``worker_name`` is the file name the worker ran the program as
    (``source.worker_file_name``), ``notebook_name`` the one the student knows.
    It rewrites exactly the forms the grader writes: the worker's
    "(line N of sub.py)", a traceback's 'File "sub.py", line N', the policy
    scan's "syntax error at line N" and "line N: importing ...". Lines that are
    not the program's stay as they are; rewriting twice changes nothing.
    """
    w = re.escape(worker_name)
    of = re.compile(rf"\bline (\d+) of {w}(?![\w.])")
    tb = re.compile(rf'File "{w}", line (\d+)')
    syntax = re.compile(r"\bsyntax error at line (\d+)")
    policy = re.compile(r"(^|: |; )line (\d+): ", re.M)

    def loc(m: re.Match, g: int) -> str | None:
        return prog.where(int(m.group(g)))

    def sub_of(m):
        at = loc(m, 1)
        return f"{at} of {notebook_name}" if at else m.group(0)

    def sub_tb(m):
        at = loc(m, 1)
        return f'File "{notebook_name}", {at}' if at else m.group(0)

    def sub_syntax(m):
        at = loc(m, 1)
        return f"syntax error at {at}" if at else m.group(0)

    def sub_policy(m):
        at = loc(m, 2)
        return f"{m.group(1)}{at}: " if at else m.group(0)

    def locate(message: str) -> str:
        if not message:
            return message
        for rx, fn in ((of, sub_of), (tb, sub_tb), (syntax, sub_syntax), (policy, sub_policy)):
            message = rx.sub(fn, message)
        return message

    return locate


def relocate_result(res: Any, locate: Callable[[str], str] | None, reason_limit: int = 140) -> None:
    """Rewrite a ``SubmissionResult``'s locations in place: its message, output, and each formula's reason and feedback."""
    if locate is None:
        return
    res.message = locate(res.message)
    res.output = locate(res.output)
    for t in res.tests:
        t.feedback = locate(t.feedback)
        r = locate(t.reason)
        t.reason = r if len(r) <= reason_limit or r == t.reason else r[: reason_limit - 3] + "..."
