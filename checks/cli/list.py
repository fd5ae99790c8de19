"""``formulacheck list [--json] [--group G]``: every formula id with its notes source, oracles and points."""

from __future__ import annotations

import json
import sys

from checks.cli import console as cc
from checks.cli.console import UsageError


def add_parser(sub):
    p = sub.add_parser("list", help="list every formula id with its notes source, oracles and points")
    p.add_argument("--json", action="store_true", help="print JSON (a list of objects)")
    p.add_argument("--group", help="only these groups (comma-separated)")
    return p


def run(args) -> int:
    from checks import registry

    try:
        fs = registry.select(group=args.group)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if args.json:
        out = [
            {
                "id": f.id,
                "group": f.group,
                "function": f.fn_name,
                "source": str(f.source),
                "source_file": f.source.file,
                "section": f.source.section,
                "equation": f.source.equation,
                "oracles": f.families(),
                "checks": [o.name for o in f.oracles],
                "points": f.points,
                "summary": f.summary,
            }
            for f in fs
        ]
        json.dump(out, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return cc.OK
    from rich.table import Table
    from rich.text import Text

    t = Table(title=f"{len(fs)} formulas")
    for c in ("id", "source", "oracles", "points"):
        t.add_column(c, overflow="fold")  # nothing cut off
    for f in fs:
        # Text, not markup: sources hold brackets ("1[x > 0]") that rich would take for tags
        t.add_row(Text(f.id), Text(str(f.source)), Text(", ".join(o.name for o in f.oracles)), f"{f.points:g}")
    cc.make().print(t)
    return cc.OK
