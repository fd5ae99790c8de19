"""``formulacheck gradescope``: the Gradescope autograder zip (checks.deploy.gradescope).

    formulacheck gradescope --out autograder.zip [--vectors hidden.zip] [--rubric rubric.toml] [--force]

Run it in a formulacheck clone (it builds the student-kit wheel from the source tree). Without
--vectors the zip grades on the package's public vectors, with a warning: official grading uses a
hidden file (``formulacheck vectors build --out hidden.zip --seed SECRET``). The rubric is checked
against the vectors' formula ids before anything is built.

Exit codes (the policy of :mod:`checks.cli`): 0 written, 2 bad input (one line: a missing or
invalid vectors or rubric file, an output that exists without --force, not a clone), 3 a bug
(the wheel could not be built).
"""

from __future__ import annotations

from checks.cli import console as cc
from checks.cli.console import UsageError


def add_parser(sub):
    p = sub.add_parser(
        "gradescope",
        help="build a Gradescope autograder zip (setup.sh, run_autograder, the kit wheel, the vectors, the rubric)",
        description="Build autograder.zip for Gradescope: setup.sh installs formulacheck's grading dependencies "
                    "(no torch) in /autograder/venv; run_autograder grades the submitted .py or .ipynb with "
                    "`formulacheck grade --json` on the vectors file (hidden: readable by root only) and the "
                    "rubric, and prints the isolation level used. See docs/gradescope.md.",
    )
    p.add_argument("--out", required=True, metavar="ZIP", help="the zip to write (e.g. autograder.zip)")
    p.add_argument("--vectors", metavar="FILE",
                   help="the grading vectors (default: the package's PUBLIC file, with a warning; official "
                        "grading: `formulacheck vectors build --out hidden.zip --seed SECRET`)")
    p.add_argument("--rubric", metavar="TOML", help="points, visibility, [submission] file, limits (docs/grading.md)")
    cc.add_force(p, "the --out file")
    return p


def run(args) -> int:
    from checks.deploy import gradescope as gs
    from checks.deploy import wheel as wh

    cc.refuse_existing(args.out, "--out", args.force)
    if not args.out.lower().endswith(".zip"):
        raise UsageError(f"--out {cc.name(args.out)}: Gradescope takes a .zip file; give e.g. --out autograder.zip")
    try:
        wh.source_root()
    except wh.BuildError as e:
        raise UsageError(str(e)) from None
    err = cc.make(stderr=True)
    say = lambda text, **k: err.print(text, markup=False, highlight=False, soft_wrap=True, **k)  # noqa: E731
    try:
        with err.status("building the student-kit wheel and the autograder zip..."):
            info = gs.build_autograder(args.out, vectors=args.vectors, rubric=args.rubric)
    except gs.AutograderError as e:
        raise UsageError(str(e)) from None
    except wh.BuildError as e:
        raise cc.HarnessBug(f"the student-kit wheel could not be built: {str(e).splitlines()[0]}", [str(e)]) from None
    for w in info.warnings:
        say(f"formulacheck gradescope: warning: {w}", style="yellow")
    out = cc.make()
    show = lambda text: out.print(text, markup=False, highlight=False, soft_wrap=True)  # noqa: E731
    show(f"wrote {cc.name(info.path)} ({info.bytes / 1e6:.1f} MB): {', '.join(info.files)}")
    show(f"  vectors: {'PUBLIC' if info.public else 'hidden'}, {info.formulas} formulas, sha256 "
         f"{info.vectors_sha256[:16]}" + ("" if info.public else " (readable by root only in the container)"))
    show(f"  rubric: {cc.name(info.rubric) if info.rubric else 'none (the registry points, visible tests)'}"
         + (f"; graded file: {info.submission_file}" if info.submission_file else "; graded file: the one .py or "
            ".ipynb submitted"))
    show("next: Gradescope > the assignment > Configure Autograder > upload this zip (base image Ubuntu 22.04 or "
         "24.04), then Test Autograder with a reference submission (docs/gradescope.md)")
    return cc.OK
