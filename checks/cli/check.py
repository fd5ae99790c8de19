"""``formulacheck check``: a student's own check of a submission, as the grader grades it.

    formulacheck check my_submission.py [--group G[,G...]] [--vectors V.zip]
    formulacheck check my_notebook.ipynb

numpy only: torch, Hypothesis and SymPy need not be installed (the student
kit has none of them). The submission is graded on the public vectors (or
``--vectors``) by the grader itself (:class:`checks.grader.grade.Grader`):
the same import policy scan (:func:`checks.grader.policy.scan`, reported
first: a forbidden import such as torch zeroes every formula), the same
sandbox (at the strongest isolation level this machine allows, printed; a
lower one than the official grader's is fine for a local check), the same
judge and the same feedback text, printed in full for every formula that
fails, then the score.

Exit codes: 0 every formula graded passed, 1 some did not (a finding),
2 bad input (one line), 3 a bug of formulacheck.
"""

from __future__ import annotations

import os
import sys

from checks.cli import console as cc
from checks.cli.console import UsageError


def add_parser(sub):
    p = sub.add_parser(
        "check",
        help="check your submission on the public vectors, with the grader's feedback",
        description="Grade a submission (.py or .ipynb) on the public grading vectors exactly as the grader "
                    "does (import policy, sandbox, judge, feedback) and print the feedback of every failing "
                    "formula in full, then the score. Needs numpy only.",
    )
    p.add_argument("path", metavar="SUBMISSION", help="your .py file (or .ipynb notebook)")
    p.add_argument("--group", help="check only these groups (comma-separated, e.g. softmax,norm)")
    p.add_argument("--vectors", metavar="FILE", help="a vectors file (default: the package's public one)")
    p.add_argument("--timeout", type=float, metavar="S", help="seconds per formula (default: the grader's)")
    return p


def _ids_for_groups(groups: str, vectors_path: str) -> list[str]:
    """The formula ids of the vectors file in ``groups`` (an id is ``<group>.<name>``; no registry needed)."""
    from checks.core import vecfile

    try:
        manifest, _ = vecfile.read_manifest(vectors_path)
    except vecfile.VectorsError as e:
        raise UsageError(f"--vectors: {e}") from None
    ids = list(manifest.get("order") or manifest.get("formulas") or ())
    have = sorted({i.split(".", 1)[0] for i in ids})
    want = [g.strip() for g in groups.split(",") if g.strip()]
    unknown = [g for g in want if g not in have]
    if not want or unknown:
        raise UsageError(f"--group {groups!r}: no such group; the groups are {', '.join(have)}")
    return [i for i in ids if i.split(".", 1)[0] in want]


def unjudgeable(vectors_path: str, ids: list[str] | None = None) -> list[str]:
    """The formula ids of the vectors file whose judges this installation cannot load (the student kit).

    A vectors file names its judge-time code by reference (``"$": "ref"``: functions of
    ``checks.judges`` and ``checks.core``, which the kit ships). A formula is unjudgeable here
    only when the file names a module this installation lacks (a file built by a newer
    formulacheck, say): ``check`` lists it as not checked rather than failing it. Empty when the
    file and the installation match.
    """
    import importlib
    import json
    import zipfile

    loadable: dict[str, bool] = {}

    def ok_module(mod: str) -> bool:
        if mod not in loadable:
            try:
                importlib.import_module(mod)
                loadable[mod] = True
            except ImportError:
                loadable[mod] = False
        return loadable[mod]

    def judgeable(node) -> bool:
        if isinstance(node, dict):
            if node.get("$") == "ref" and isinstance(node.get("fn"), str) and not ok_module(node["fn"].split(":")[0]):
                return False
            return all(judgeable(v) for v in node.values())
        return not isinstance(node, list) or all(judgeable(v) for v in node)

    out = []
    with zipfile.ZipFile(vectors_path) as z:
        for name in sorted(z.namelist()):
            if name.startswith("formulas/") and name.endswith(".json"):
                fid = name[len("formulas/"):-len(".json")]
                if (ids is None or fid in ids) and not judgeable(json.loads(z.read(name))):
                    out.append(fid)
    return out


def _check_file(path: str) -> None:
    if not os.path.lexists(path):
        raise UsageError(f"{cc.name(path)}: no such file; give your submission's .py (or .ipynb) file")
    if os.path.isdir(path):
        raise UsageError(f"{cc.name(path)} is a directory; give your submission's .py (or .ipynb) file")
    if not path.lower().endswith((".py", ".ipynb")):
        raise UsageError(f"{cc.name(path)}: not a .py or .ipynb file; give your submission's .py (or .ipynb) file")


def policy_problems(path: str, policy):
    """(source text or None, the reason it is unreadable or None, the policy scan) of a submission, as the grader reads it."""
    from checks.grader.policy import scan
    from checks.grader.source import read_submission

    src = read_submission(path)
    if src.error is not None:
        return None, src.error, None
    return src.text, None, scan(src.text, policy, src.name)


def run(args) -> int:
    from checks import data
    from checks.grader.grade import Grader
    from checks.grader.rubric import Rubric

    path = args.path
    _check_file(path)
    vectors = args.vectors or data.PUBLIC_VECTORS
    if args.vectors is not None and not os.path.isfile(args.vectors):
        raise UsageError(f"--vectors {cc.name(args.vectors)}: no such file")
    if args.timeout is not None and not (0 < args.timeout <= 3600):
        raise UsageError(f"--timeout {args.timeout}: give seconds between 0 and 3600")
    ids = _ids_for_groups(args.group, vectors) if args.group else None
    unjudged = unjudgeable(vectors, ids)
    if unjudged:  # the student kit: grade the others (see unjudgeable)
        from checks.core import vecfile

        every = ids or list(vecfile.read_manifest(vectors)[0].get("order") or ())
        ids = [i for i in every if i not in unjudged]
    out = cc.make()
    say = lambda text="": out.print(text, markup=False, highlight=False, soft_wrap=True)  # noqa: E731

    rubric = Rubric()
    # the import policy first, at once: the grader zeroes a submission that breaks it
    _, unreadable, sc = policy_problems(path, rubric.policy)
    if sc is not None and (sc.syntax_error or sc.violations):
        what = [sc.syntax_error] if sc.syntax_error else sc.violations
        say(f"{cc.name(path)}: the grader would give 0 points for EVERY formula:")
        for v in what:
            say(f"  {v}")
        if sc.violations:
            say("Remove these imports: a submission may import numpy, scipy, math and the standard library only.")
    if args.timeout is not None:
        from dataclasses import replace

        rubric = replace(rubric, limits=replace(rubric.limits, timeout=args.timeout))
    if unjudged:
        say(f"not checked here ({len(unjudged)} formulas: the vectors file names judge code this installation lacks; "
            f"install the formulacheck that built the file to check them): {', '.join(unjudged)}")
    if ids == []:
        return cc.OK
    with Grader(rubric, vectors=args.vectors, ids=ids) as g:
        res = g.grade_file(path)
    say(f"graded {res.name} on {os.path.basename(vectors)} (sha256 {res.vectors[:12]}), "
        f"isolation level {res.isolation or '?'} ({res.resources or '?'}), {res.seconds:.1f} s")
    if res.message:
        say(f"{res.status}: {res.message}" if str(res.status) != "ok" else res.message)
    if unreadable is None and sc is not None and not (sc.syntax_error or sc.violations):
        failed = [t for t in res.tests if not t.passed]
        for t in res.tests:
            say(f"  {'ok  ' if t.passed else 'FAIL'}  {t.id}" + ("" if t.passed else f"  {t.reason}"))
        for t in failed:
            say()
            say(t.feedback)
    passed = sum(t.passed for t in res.tests)
    say()
    say(f"score: {res.score:g} / {res.max_score:g} ({passed} of {len(res.tests)} formulas passed)")
    if res.output:
        say("your submission printed (first lines):")
        say("\n".join(res.output.splitlines()[:20]))
    sys.stdout.flush()
    if str(res.status) == "grader error":
        raise cc.HarnessBug(res.message, [t.feedback for t in res.tests if str(t.verdict) == "not graded"][:3])
    return cc.OK if passed == len(res.tests) and res.tests else cc.FAILED
