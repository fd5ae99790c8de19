"""``formulacheck template [--out FILE [--force]]``: the student template (every function raising NotImplementedError)."""

from __future__ import annotations

import sys

from checks.cli import console as cc


def add_parser(sub):
    p = sub.add_parser("template", help="write the student template (every function raising NotImplementedError)")
    p.add_argument("--out", help="write it here (default: print it)")
    cc.add_force(p, "the --out file")
    return p


def run(args) -> int:
    from checks.registry.template import render_template

    if args.out:
        cc.refuse_existing(args.out, "--out", args.force)
    text = render_template()  # the registry's: student/template.py is this text (tests/meta/test_template.py)
    if args.out:
        cc.write_text(args.out, text, "--out")
        print(f"wrote {cc.name(args.out)}")
    else:
        sys.stdout.write(text)
    return cc.OK
