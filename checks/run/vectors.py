"""Building and checking grading vectors (instructor side: needs torch, SymPy, Hypothesis).

``build`` draws every formula's grading cases (:mod:`checks.run.draw`,
explicitly seeded), computes every value oracle's answers and every property
oracle's template (:mod:`checks.run.expect`), orders the cases by size then
magnitude (so the first failing case the grader meets is the smallest one)
and writes one portable file (:mod:`checks.core.vecfile`). ``check``
recomputes every answer of a file from the oracles and compares: proof that
a file's answers are right. Grading reads the file with numpy alone
(:mod:`checks.grader.grade`).

Public and hidden files: the package ships a PUBLIC file built with
:data:`checks.run.draw.DEFAULT_SEED` (students check locally against it);
an instructor builds a HIDDEN file with a secret seed for the official grade:
the same regimes, other values, so a table of public answers earns nothing.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from typing import Callable

from checks import __version__, registry
from checks.core import vecfile
from checks.core.case import Case, same
from checks.core.compare import Tol
from checks.core.verdicts import HarnessError
from checks.run import draw, profiles, short
from checks.run.check import strategy_key
from checks.run.expect import expected_for, strategy_for

from checks.data import PUBLIC_VECTORS as PUBLIC  # noqa: E402  the package's public file


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "absent"


def _built_with() -> dict:
    return {"python": platform.python_version(), "numpy": _version("numpy"), "torch": _version("torch"),
            "sympy": _version("sympy"), "hypothesis": _version("hypothesis"), "scipy": _version("scipy")}


def formula_vectors(formula, n: int, seed: int, profile: str, points: float | None = None, *,
                    short_twins: bool = True, stats: short.Stats | None = None) -> vecfile.FormulaVectors:
    """One formula's cases (shared by the oracles drawing from the same strategy), their short twins
    (:mod:`checks.run.short`) and the answers."""
    drawn: dict[str, list[Case]] = {}
    for o in formula.oracles:
        key = strategy_key(o)
        if key not in drawn:
            drawn[key] = draw.cases(strategy_for(formula, o), n, draw.seed_for(seed, formula.id, key, profile), profile)
    # unique cases; each judged by the oracles whose strategy drew it
    pool: list[Case] = []
    members: list[set[str]] = []
    index: dict[str, int] = {}
    for key, cs in drawn.items():
        names = {o.name for o in formula.oracles if strategy_key(o) == key}
        for c in cs:
            r = c.call_repr("f")
            if r not in index:
                index[r] = len(pool)
                pool.append(c)
                members.append(set())
            members[index[r]] |= names
    return _assemble(formula, list(formula.oracles), pool, [frozenset(m) for m in members], n, points,
                     short_twins, stats)


def _assemble(formula, oracles, pool: list[Case], members: list[frozenset], examples: int, points: float | None,
              short_twins: bool, stats: short.Stats | None) -> vecfile.FormulaVectors:
    """The one ladder of :func:`formula_vectors` and :func:`from_cases`: short twins added (optional),
    cases ordered by (size, magnitude), a twin before its source (the first failure met is the
    smallest one), every oracle's answers on the cases it judges (``members[i]``: their names)."""
    cache: dict[tuple[int, str], object] = {}

    def answer(i: int, o):
        k = (i, o.name)
        if k not in cache:
            cache[k] = expected_for(formula, o, pool[i])
        return cache[k]

    src_of: list[int | None] = [None] * len(pool)
    if short_twins:
        pool, members, src_of, twin_answers = short.add_twins(formula, pool, members, answer, stats)
        cache.update({(i, name): a for i, d in twin_answers.items() for name, a in d.items()})
    order, sizes = short.order(pool, src_of)
    rank = {old: new for new, old in enumerate(order)}
    fv = vecfile.FormulaVectors(
        id=formula.id, fn_name=formula.fn_name, outputs=tuple(formula.outputs), tol=formula.tol,
        points=float(formula.points if points is None else points), fresh_outputs=bool(formula.fresh_outputs),
        compare=formula.compare, examples=examples, cases=[pool[i] for i in order], sizes=[sizes[i] for i in order])
    for o in oracles:
        olds = [i for i in order if o.name in members[i]]
        ov = vecfile.OracleVectors(o.name, o.kind, o.tol, o.fn if o.kind == "property" else None,
                                   [rank[i] for i in olds])
        ov.expected = [answer(i, o) for i in olds]
        fv.oracles.append(ov)
    return fv


def build(out: str, *, seed: int | None = None, profile: str = "grade", rubric=None, ids: list[str] | None = None,
          progress: Callable[[str, int, int], None] | None = None, short_twins: bool = True) -> dict:
    """Build a vectors file; return {path, sha256, seconds, formulas, cases, bytes, visibility, twins}
    (``twins``: formula id -> the :class:`short.Stats` of its short twins).

    ``short_twins`` False: the drawn inputs only (no :mod:`checks.run.short` twins).
    ``seed`` None builds the PUBLIC file (:data:`draw.DEFAULT_SEED`); any other seed a hidden one.
    """
    from checks.oracles.torchlib import torch  # noqa: F401  (one thread; imported once, up front)

    t0 = time.perf_counter()
    profile = profiles.resolve(profile)
    public = seed is None or seed == draw.DEFAULT_SEED
    s = draw.DEFAULT_SEED if seed is None else int(seed)
    fs = registry.select(ids=ids) if ids else registry.all_formulas()
    out_fs = []
    twins: dict[str, short.Stats] = {}
    for k, f in enumerate(fs):
        if progress:
            progress(f.id, k, len(fs))
        n = rubric.examples_for(f, profile) if rubric is not None else profiles.examples(profile, f.examples_scale)
        pts = rubric.points_for(f) if rubric is not None else None
        try:
            twins[f.id] = short.Stats()
            out_fs.append(formula_vectors(f, n, s, profile, pts, short_twins=short_twins, stats=twins[f.id]))
        except HarnessError:
            raise
        except vecfile.VectorsError as e:
            raise HarnessError(f"{f.id}: {e}") from e
    manifest = {"formulacheck": __version__, "profile": profile, "visibility": "public" if public else "hidden",
                "seed": s if public else "hidden", "built_with": _built_with(),
                "built_on": f"{sys.platform}-{platform.machine()}",
                "short_twins": {"on": bool(short_twins), "share": short.SHARE, "digits": list(short.DIGITS),
                                "kept": sum(t.kept for t in twins.values()),
                                "dropped": sum(t.dropped for t in twins.values())}}
    os.makedirs(os.path.dirname(os.path.abspath(out)) or ".", exist_ok=True)
    tmp = f"{out}.tmp{os.getpid()}"
    try:
        sha = vecfile.write(tmp, manifest, out_fs)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return {"path": out, "sha256": sha, "seconds": time.perf_counter() - t0, "formulas": len(out_fs),
            "cases": sum(len(f.cases) for f in out_fs), "bytes": os.path.getsize(out),
            "visibility": manifest["visibility"], "twins": twins}


@dataclass
class CheckReport:
    answers: int = 0
    identical: int = 0
    within_tol: int = 0
    wrong: list[str] = None  # one line per wrong answer
    missing: list[str] = None  # formula ids of the registry absent from the file, or unknown to it

    @property
    def ok(self) -> bool:
        return not self.wrong and not self.missing


def check(path: str, ids: list[str] | None = None) -> CheckReport:
    """Recompute every expected answer of a vectors file from the oracles and compare."""
    from checks.core.compare import assert_close
    from checks.core.verdicts import CheckFailure

    v = vecfile.read(path, ids)
    rep = CheckReport(wrong=[], missing=[])
    known = {f.id: f for f in registry.all_formulas()}
    for fid in (ids or list(known)):
        if fid not in v.formulas:
            rep.missing.append(f"{fid}: in the registry, not in the file")
    for fid, fv in v.formulas.items():
        f = known.get(fid)
        if f is None:
            rep.missing.append(f"{fid}: in the file, not in the registry")
            continue
        names = [o.name for o in f.oracles]
        if names != [o.name for o in fv.oracles]:
            rep.wrong.append(f"{fid}: the file's oracles {[o.name for o in fv.oracles]} are not the registry's {names}")
            continue
        for o, ov in zip(f.oracles, fv.oracles):
            for i, exp in zip(ov.cases, ov.expected):
                rep.answers += 1
                again = expected_for(f, o, fv.cases[i])
                if same(again, exp):
                    rep.identical += 1
                    continue
                try:
                    assert_close(again, exp, o.tol or f.tol or Tol(), f"{fid} vs {o.name}, case {i}")
                    rep.within_tol += 1
                except (CheckFailure, TypeError, ValueError, KeyError, IndexError) as e:
                    rep.wrong.append(f"{fid} vs {o.name}, case {i}: the stored answer differs from the oracle's: "
                                     f"{str(e).splitlines()[0]}")
    return rep


# --------------------------------------------------------------------------
# added for the one-pipeline proof (tests/meta/test_one_pipeline.py) and the audit
# (checks/audit/formula.py): vectors on GIVEN inputs
# --------------------------------------------------------------------------

def from_cases(formula, cases: list[Case], oracles: list[str] | None = None,
               points: float | None = None, *, short_twins: bool = False,
               stats: short.Stats | None = None) -> vecfile.FormulaVectors:
    """One formula's vectors on the given inputs: each of ``oracles`` (names) judges every case.

    ``oracles`` None: the oracles that draw from the formula's own strategy (valid on any
    input of the formula; an oracle with its own strategy may hold only on its own
    inputs, e.g. beam 1). The cases are ordered as :func:`formula_vectors` orders drawn
    ones (size, magnitude; duplicates dropped), so the first failure met is the smallest
    failing input, whoever judges it (``check_vectors``, the grader, the audit). Write
    several with :func:`vecfile.write`. ``short_twins``: add the short twins of the
    smallest inputs as :func:`formula_vectors` does (off by default: a given input is
    judged as given, e.g. an audit's counterexample).
    """
    if oracles is None:
        chosen = [o for o in formula.oracles if strategy_key(o) == "formula"]
    else:
        known = {o.name: o for o in formula.oracles}
        unknown = [n for n in oracles if n not in known]
        if unknown:
            raise ValueError(f"{formula.id} has no oracle {', '.join(map(repr, unknown))} (it has {', '.join(known)})")
        chosen = [o for o in formula.oracles if o.name in oracles]
    if not chosen:
        raise ValueError(f"{formula.id}: no oracle to judge the given inputs")
    pool: list[Case] = []
    seen: set[str] = set()
    for c in cases:
        r = c.call_repr("f")
        if r not in seen:
            seen.add(r)
            pool.append(c)
    names = frozenset(o.name for o in chosen)
    return _assemble(formula, chosen, pool, [names] * len(pool), len(pool), points, short_twins, stats)
