"""The ``formulacheck`` command line.

    formulacheck verify [--group G] [--id ID] [--profile P] [--seed N] [--json F [--force]]
    formulacheck list [--json] [--group G]
    formulacheck template [--out FILE [--force]]
    formulacheck grade SUBMISSION.py ...                      (checks.cli.grade)
    formulacheck audit [--format text|md|html|json] [--out F] (checks.cli.audit)
    formulacheck vectors build | info | check          (checks.cli.vectors)
    formulacheck report RESULTS... [--out report.html] (checks.cli.report)
    formulacheck check SUBMISSION                      (checks.cli.check: numpy only, the public vectors)
    formulacheck student-kit --out DIR                 (checks.cli.kit)
    formulacheck gradescope --out autograder.zip       (checks.cli.gradescope)
    formulacheck --version

Each sub-command is a module of this package listed in :data:`COMMANDS`; it
exposes ``add_parser(subparsers)`` (adding its parser and returning it) and
``run(args) -> int`` (or sets ``func`` itself with ``set_defaults``, e.g. for
sub-sub-commands). Adding a sub-command is writing that module and listing it.

Exit codes, the same for every sub-command:

- 0: done (``verify``: every check passed; ``grade``: graded, whatever the grades);
- 1: ``verify``: some check failed (a finding, not an error);
- 2: bad input (an option, a missing file, an unknown --group or --id, an
  output file that exists without --force or cannot be written, a bad
  rubric, an isolation level that cannot be had...): exactly one line on
  stderr, ``formulacheck <cmd>: error: ...``, never a traceback;
- 3: a bug of formulacheck (an unexpected exception, a HarnessError: the
  reference, an oracle or the grader failed): a short message, a line
  asking to report it (with the version and the command), then the traceback,
  all on stderr;
- 130 / 143: interrupted by SIGINT / SIGTERM (``grade`` writes what was graded first);
- 141: standard output was closed by its reader (``formulacheck list | head -1``):
  quietly, as a shell reports a process stopped by SIGPIPE.

Output files (``verify --json``, ``template --out``, ``grade --json / --out /
--json-dir / --write-reference``, ``audit --out``): an existing file is
refused (exit 2, before any work) unless ``--force`` is given.

Beware: ``checks.cli.list`` is a sub-module, so inside this file the name
``list`` is that module once the commands are imported, not the builtin.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shlex
import sys
import traceback

from checks.cli import console
from checks.cli.console import UsageError

#: the sub-command modules, in the order of ``formulacheck --help``
COMMANDS: tuple[str, ...] = (
    "checks.cli.verify",
    "checks.cli.list",
    "checks.cli.template",
    "checks.cli.grade",
    "checks.cli.report",
    "checks.cli.audit",
    "checks.cli.vectors",
    "checks.cli.check",
    "checks.cli.kit",
    "checks.cli.gradescope",
)


class _Parser(argparse.ArgumentParser):
    """An argparse parser whose errors are :class:`UsageError` (one line, exit 2) instead of usage + exit."""

    def error(self, message: str):
        raise UsageError(f"{message} (see {self.prog} --help)", prog=self.prog)


class _Version(argparse.Action):
    """``--version``: the version looked up only when asked (importlib.metadata costs 40 ms of every start)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings=option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        sys.stdout.write(f"formulacheck {console.version()}\n")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="formulacheck", description="Verify, grade and audit the formulas of deep learning.")
    ap.add_argument("--version", action=_Version, help="show the version and exit")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        mod = importlib.import_module(name)
        p = mod.add_parser(sub)
        if p is not None and p.get_default("func") is None:
            p.set_defaults(func=mod.run)
    return ap


def _command_line(argv) -> str:
    return "formulacheck " + shlex.join(os.fsdecode(a) if isinstance(a, bytes) else str(a) for a in argv)


def main(argv: list[str] | None = None) -> int:
    """Run ``formulacheck`` with ``argv`` (default: ``sys.argv[1:]``); the exit code (see the module docstring)."""
    argv = sys.argv[1:] if argv is None else argv
    prog = "formulacheck"
    try:
        ap = build_parser()
        try:
            args, extra = ap.parse_known_args(argv)
        except SystemExit as e:  # --help, --version
            return e.code if isinstance(e.code, int) else 0
        prog = f"formulacheck {args.command}"
        if extra:  # named after the sub-command they were given to, not the top level
            raise UsageError(f"unrecognized arguments: {' '.join(extra)} (see {prog} --help)")
        rc = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return rc
    except UsageError as e:
        console.error_line(e.prog or prog, str(e))
        return console.BAD_INPUT
    except console.HarnessBug as e:
        return console.bug_report(prog, _command_line(argv), e.summary, e.details)
    except BrokenPipeError:
        _quiet_stdout()
        return console.CLOSED_PIPE
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return console.INTERRUPTED
    except Exception as e:
        return console.bug_report(prog, _command_line(argv), f"{type(e).__name__}: {e}", [traceback.format_exc()])


def _quiet_stdout() -> None:
    """The reader went away: what is still buffered for stdout goes nowhere (no error at exit)."""
    try:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, sys.stdout.fileno())
        os.close(fd)
    except (OSError, ValueError, AttributeError):  # no real file descriptor (captured by a test)
        pass
