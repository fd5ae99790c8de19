"""``formulacheck report RESULTS... [--out report.html] [--force] [--title T] [--text]``: the class report.

RESULTS are a batch's outputs: ``formulacheck grade --json-dir`` folders of
results.json files, those files, and/or the batch CSV (``--out grades.csv``).
Writes ONE self-contained HTML page (no script, nothing remote; the charts
are inline SVG made with matplotlib) and prints the plain-text summary.
Bad input (nothing found, a corrupt JSON file, a CSV that is not a grades
CSV) exits 2 with one line naming the file.
"""

from __future__ import annotations

import os
import sys

from checks.cli import console as cc
from checks.cli.console import UsageError

DEFAULT_OUT = "report.html"


def add_parser(sub):
    p = sub.add_parser(
        "report",
        help="the class report of a graded batch: one self-contained HTML page (charts, pass rates, mistakes)",
        description="Read a batch's results (grade --json-dir folders, results.json files and/or the grade --out CSV) "
                    "and write the class report: score distribution, pass rate and verdicts per formula, the most "
                    "common diagnosed mistakes, the submissions that could not be graded.",
    )
    p.add_argument("results", nargs="+", metavar="RESULTS", help="a --json-dir folder, results .json files, a grades .csv")
    p.add_argument("--out", metavar="HTML", default=DEFAULT_OUT, help=f"the page to write (default: {DEFAULT_OUT})")
    p.add_argument("--title", default="Class report", help="the page's title (e.g. the course and the assignment)")
    p.add_argument("--text", action="store_true", help="print only the text summary (write no page)")
    cc.add_force(p, "the --out file")
    return p


def run(args) -> int:
    from checks.report import load
    from checks.report.summary import text_summary

    if not args.text:
        if not args.out.lower().endswith((".html", ".htm")):
            raise UsageError(f"--out {cc.name(args.out)}: the report is an HTML page; give a file name ending in .html")
        cc.refuse_existing(args.out, "--out", args.force)
    try:
        rows = load.load(list(args.results))
    except load.LoadError as e:
        raise UsageError(str(e)) from None
    if not args.text:
        try:
            import matplotlib  # noqa: F401

            from checks.report import html
        except ImportError as e:  # matplotlib: the "report" extra
            raise UsageError(f"the HTML report needs matplotlib ({e}); pip install \"formulacheck[report]\" "
                             "(or use --text)") from None
        page = html.render(rows, title=args.title, inputs=[os.path.basename(os.path.normpath(p)) or p for p in args.results])
        cc.write_text(args.out, page, "--out")
    sys.stdout.write(text_summary(rows, title=args.title))
    if not args.text:
        print(f"wrote {cc.name(args.out)} ({len(rows)} submissions)")
    return cc.OK
