"""``formulacheck audit [--format text|md|html|json] [--out FILE]``: the audit of the notes."""

from __future__ import annotations

from checks.cli import _console

import sys
import time


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("audit", help="audit every formula and quantitative claim of the course notes (computed verdicts)")
    p.add_argument("--format", choices=("text", "md", "html", "json"), default="text", help="report format (default: text)")
    p.add_argument("--out", metavar="FILE", help="write the report to FILE (default: standard output)")
    p.add_argument("--profile", help="Hypothesis profile: dev, ci (default), grade, thorough")
    p.add_argument("--id", action="append", dest="ids", metavar="ID", help="only this audit entry (repeatable)")
    p.add_argument("--file", dest="files", action="append", metavar="NNN", help="only this notes file: 001, 002, 003 or 004 (repeatable)")
    p.add_argument("--list", action="store_true", help="list the entries (id, file, location) without running them")
    p.set_defaults(func=cmd_audit)


def cmd_audit(args) -> int:

    from checks import audit
    from checks.run import profiles
    from checks.audit import report
    from checks.audit.model import AuditHarnessError

    err = _console(stderr=True)
    try:
        prof = profiles.resolve(args.profile)
        entries = audit.select(ids=args.ids, files=args.files)
    except (ValueError, KeyError) as e:
        err.print(f"[red]error:[/red] {e.args[0] if e.args else e}")
        return 2
    if args.files:
        bad = [f for f in args.files if f not in audit.FILES and f not in audit.FILES.values()]
        if bad:
            err.print(f"[red]error:[/red] --file {bad[0]!r}: choose one of {', '.join(audit.FILES)}")
            return 2
    if args.list:
        for e in entries:
            print(f"{e.id}\t{e.file}\t{e.location}")
        return 0
    t0 = time.perf_counter()
    results = []
    failed = []
    quiet = args.format != "text" and not args.out
    ctx = err.status("auditing...") if not quiet and err.is_terminal else None
    try:
        if ctx:
            ctx.__enter__()
        for e in entries:
            if ctx:
                ctx.update(f"auditing {e.id}")
            try:
                results.append(audit.evaluate(e, prof))
            except AuditHarnessError as x:
                failed.append((e.id, str(x)))
    finally:
        if ctx:
            ctx.__exit__(None, None, None)
    secs = time.perf_counter() - t0
    if args.format == "text":
        if args.out:
            from rich.console import Console as C

            with open(args.out, "w", encoding="utf-8") as fh:
                report.print_text(results, C(file=fh, width=160), prof, secs)
        else:
            report.print_text(results, _console(), prof, secs)
    else:
        text = {"md": lambda: report.to_markdown(results, prof, secs), "html": lambda: report.to_html(results, prof, secs),
                "json": lambda: report.to_json(results)}[args.format]()
        if args.out:
            with open(args.out, "w", encoding="utf-8") as fh:
                fh.write(text)
        else:
            sys.stdout.write(text)
    if args.out:
        c = report.counts(results)
        summary = ", ".join(f"{v} {sum(x[v] for x in c.values())}" for v in audit.VERDICTS)
        err.print(f"wrote {args.out}: {len(results)} entries ({summary}) in {secs:.1f}s")
    for i, msg in failed:
        err.print(f"[red]audit harness error[/red] in {i}: {msg}")
    return 1 if failed else 0
