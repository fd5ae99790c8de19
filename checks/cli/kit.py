"""``formulacheck student-kit --out DIR [--force]``: the student kit folder (checks.deploy.kit).

The kit wheel (no reference implementation, no torch), the public vectors, the
submission template and a README. An existing non-empty DIR is refused
(exit 2) unless --force.
"""

from __future__ import annotations

import os

from checks.cli import console as cc
from checks.cli.console import UsageError


def add_parser(sub):
    p = sub.add_parser(
        "student-kit",
        help="write the student kit: the kit wheel (no answer key), public vectors, template, README",
        description="Write a folder for students: formulacheck's student wheel (it grades on vectors files and "
                    "holds no reference implementation; numpy only), the public grading vectors, the "
                    "submission template and a README (install, `formulacheck check`, `pytest --impl`).",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="the kit folder (created; must be new or empty)")
    cc.add_force(p, "the files of a non-empty --out folder")
    return p


def run(args) -> int:
    from checks.deploy import kit as kitmod
    from checks.deploy.wheel import BuildError

    try:
        kitmod.check_out_dir(args.out, args.force)
    except kitmod.KitError as e:
        raise UsageError(str(e)) from None
    try:
        k = kitmod.build_kit(args.out, force=args.force)
    except BuildError as e:
        raise cc.HarnessBug(f"the kit wheel could not be built: {str(e).splitlines()[0]}", [str(e)]) from None
    except OSError as e:
        raise UsageError(f"--out {cc.name(args.out)}: cannot write the kit: {e.strerror or e}") from None
    size = os.path.getsize(k.wheel)
    print(f"wrote the student kit to {cc.name(args.out)}: {', '.join(k.files)} (wheel {size / 1e6:.1f} MB)")
    return cc.OK
