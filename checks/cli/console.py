"""What every sub-command shares: the rich console, the error lines, the bug report, the output-file policy.

Only :mod:`checks.cli` imports this module (nothing below the command line
prints to a console of its own: ``checks.grader`` and ``checks.audit`` return
values and raise exceptions, the command line turns them into output).

Exit codes (see :mod:`checks.cli`): a sub-command raises :class:`UsageError`
for bad input (exit 2, one line on stderr); anything else it did not expect
is a bug of formulacheck (exit 3, :func:`bug_report`).
"""

from __future__ import annotations

import os
import sys

#: the exit codes, one policy for every sub-command
OK, FAILED, BAD_INPUT, HARNESS_BUG = 0, 1, 2, 3
#: stdout closed by its reader (``formulacheck list | head -1``): 128 + SIGPIPE, what a shell reports
CLOSED_PIPE = 141
INTERRUPTED = 130

class UsageError(Exception):
    """Bad input (an option, a file, a rubric...): ``formulacheck <cmd>: error: <message>``, exit 2.

    ``prog`` names the command when the parser raised it (``formulacheck grade``).
    """

    def __init__(self, message: str, prog: str | None = None):
        super().__init__(message)
        self.prog = prog


class HarnessBug(Exception):
    """A bug of formulacheck found (and survived) by a sub-command: exit 3 with :func:`bug_report`.

    Raised after the sub-command printed and wrote what it could; ``details``
    are the tracebacks (or messages) of what failed.
    """

    def __init__(self, summary: str, details: list[str]):
        super().__init__(summary)
        self.summary = summary
        self.details = details


def make(stderr: bool = False):
    """A rich console; wide enough for the tables when output is not a terminal (CI logs, files).

    A closed pipe raises :class:`BrokenPipeError` (rich would exit 1 itself):
    :func:`checks.cli.main` turns it into the quiet exit 141 of every sub-command.
    """
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError("the reader closed the pipe")

    stream = sys.stderr if stderr else sys.stdout
    return _Console(stderr=stderr) if stream.isatty() else _Console(stderr=stderr, width=160)


def clean(text: str) -> str:
    """``text`` on one line and encodable as UTF-8 (a lone surrogate of a bytes-safe name becomes ``\\udcff``)."""
    text = " ".join(str(text).split())
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def name(path: str) -> str:
    """A file name as the user typed it, printable whatever its bytes."""
    return clean(os.fspath(path))


def error_line(prog: str, message: str) -> None:
    """The one line of a bad input, on stderr (plain text: rich would wrap it)."""
    print(f"{prog}: error: {clean(message)}", file=sys.stderr, flush=True)


def version() -> str:
    """The installed distribution's version, else the one in this clone's pyproject.toml (else ``checks.__version__``)."""
    from importlib import metadata

    try:
        return metadata.version("formulacheck")
    except metadata.PackageNotFoundError:
        pass
    try:
        import tomllib

        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        with open(os.path.join(root, "pyproject.toml"), "rb") as fh:
            return str(tomllib.load(fh)["project"]["version"])
    except (OSError, KeyError, ValueError):
        from checks import __version__

        return __version__


def bug_report(prog: str, command: str, summary: str, details: list[str]) -> int:
    """A bug of formulacheck (never the user's input): a short message, a request to report it, the details.

    ``details`` are tracebacks (or messages when none exists). Everything
    goes to stderr; returns :data:`HARNESS_BUG`.
    """
    w = sys.stderr
    print(f"{prog}: internal error (a bug of formulacheck, not of your input): {clean(summary)}", file=w)
    print(f"Please report this bug to the formulacheck maintainers with the lines below "
          f"(formulacheck {version()}, Python {sys.version.split()[0]}, command: {clean(command)})", file=w)
    for d in details:
        text = d if d.endswith("\n") else d + "\n"
        w.write(text.encode("utf-8", "backslashreplace").decode("utf-8"))
    w.flush()
    return HARNESS_BUG


# --------------------------------------------------------------------------
# output files: one policy for every option that writes one
# --------------------------------------------------------------------------

def refuse_existing(path: str, option: str, force: bool) -> None:
    """An output file of ``option``: refused when it exists (unless ``force``), is a directory, or has no directory.

    Checked before any work is done, so a refusal costs nothing. A symbolic
    link (even a dangling one) counts as existing.
    """
    d = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(d):
        raise UsageError(f"{option} {name(path)}: the directory {name(d)} does not exist")
    if os.path.isdir(path):
        raise UsageError(f"{option} {name(path)} is a directory; give a file name")
    if os.path.lexists(path) and not force:
        raise UsageError(f"{option} {name(path)}: the file exists; --force overwrites it")


def write_text(path: str, text: str, option: str) -> None:
    """Write ``text`` to ``path`` (already checked by :func:`refuse_existing`); a failure is bad input."""
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as e:
        raise UsageError(f"{option} {name(path)}: cannot write it: {e.strerror or e}") from None


def add_force(parser, what: str) -> None:
    parser.add_argument("--force", action="store_true", help=f"overwrite {what} if it exists (default: refuse, exit 2)")
