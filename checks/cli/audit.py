"""``formulacheck audit [--format text|md|html|json] [--out FILE [--force]]``: the audit of the notes.

Exit 0 when every selected entry was evaluated (errata are findings, not
errors), 2 on bad input, 3 when an entry could not be evaluated (an
AuditHarnessError: a bug of the audit; the report of the others is still
printed or written first).
"""

from __future__ import annotations

import io
import sys
import time
import traceback

from checks.cli import console as cc
from checks.cli.console import UsageError


def add_parser(subparsers):
    p = subparsers.add_parser("audit", help="audit every formula and quantitative claim of the course notes (computed verdicts)")
    p.add_argument("--format", choices=("text", "md", "html", "json"), default="text", help="report format (default: text)")
    p.add_argument("--out", metavar="FILE", help="write the report to FILE (default: standard output)")
    cc.add_force(p, "the --out file")
    p.add_argument("--profile", help="Hypothesis profile: dev, ci (default), grade, thorough")
    p.add_argument("--id", action="append", dest="ids", metavar="ID", help="only this audit entry (repeatable)")
    p.add_argument("--file", dest="files", action="append", metavar="NNN", help="only this notes file: 001, 002, 003 or 004 (repeatable)")
    p.add_argument("--list", action="store_true", help="list the entries (id, file, location) without running them")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    return p


def _inputs(args):
    from checks import audit
    from checks.run import profiles

    if args.files:
        bad = [f for f in args.files if f not in audit.FILES and f not in audit.FILES.values()]
        if bad:
            raise UsageError(f"--file {bad[0]!r}: choose one of {', '.join(audit.FILES)}")
    try:
        prof = profiles.resolve(args.profile)
        entries = audit.select(ids=args.ids, files=args.files)
    except (ValueError, KeyError) as e:
        raise UsageError(e.args[0] if e.args else str(e)) from None
    if args.out and not args.list:
        cc.refuse_existing(args.out, "--out", args.force)
    return prof, entries


def run(args) -> int:
    from checks import audit
    from checks.audit import report
    from checks.audit.model import AuditHarnessError
    from checks.cli.progress import Progress

    prof, entries = _inputs(args)
    if args.list:
        for e in entries:
            print(f"{e.id}\t{e.file}\t{e.location}")
        return cc.OK
    err = cc.make(stderr=True)
    t0 = time.perf_counter()
    results = []
    failed = []
    with Progress("auditing", len(entries), quiet=getattr(args, "quiet", False)) as prog:
        for e in entries:
            prog.note(e.id)
            try:
                results.append(audit.evaluate(e, prof))
                prog.advance(note=f"{e.id}: {getattr(results[-1], 'verdict', 'done')}")
            except AuditHarnessError as x:
                failed.append((e.id, str(x), "".join(traceback.format_exception(x))))
                prog.advance(note=f"{e.id}: could not be evaluated")
    secs = time.perf_counter() - t0
    if args.format == "text":
        if args.out:
            from rich.console import Console

            buf = io.StringIO()
            report.print_text(results, Console(file=buf, width=160), prof, secs)
            cc.write_text(args.out, buf.getvalue(), "--out")
        else:
            report.print_text(results, cc.make(), prof, secs)
    else:
        text = {"md": lambda: report.to_markdown(results, prof, secs), "html": lambda: report.to_html(results, prof, secs),
                "json": lambda: report.to_json(results)}[args.format]()
        if args.out:
            cc.write_text(args.out, text, "--out")
        else:
            sys.stdout.write(text)
    if args.out:
        c = report.counts(results)
        summary = ", ".join(f"{v} {sum(x[v] for x in c.values())}" for v in audit.VERDICTS)
        err.print(f"wrote {cc.name(args.out)}: {len(results)} entries ({summary}) in {secs:.1f}s", markup=False, highlight=False)
    if failed:
        raise cc.HarnessBug(f"{len(failed)} audit entr{'y' if len(failed) == 1 else 'ies'} could not be evaluated, "
                            f"first {failed[0][0]}: {failed[0][1]}", [f"--- {i}\n{tb}" for i, _, tb in failed])
    return cc.OK
