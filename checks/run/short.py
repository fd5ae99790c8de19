"""Short twins: drawn grading inputs with short numbers, kept only where their answers are trustworthy.

A drawn input reads ``x=np.array([[-1.4602349e-105, 0.7318293710293847]])``;
the same bug usually shows on ``x=np.array([[0.0, 0.7]])``. At vectors-build
time :func:`add_twins` derives, for the smallest drawn inputs (:data:`SHARE`
of them), a *twin*: every float truncated toward zero to :data:`DIGITS` significant
digits (first 1, then 2), values tiny against their array's largest one
flushed to 0 (tried first, then without), everything else untouched: ints,
bools, shapes, dtypes, integer index arrays, and floats that already have at
most :data:`KEEP` significant digits (regime constants: 0.999, 1e-8, dyadic
ties such as -0.25, the 40.0 of an open gate).

Truncation toward zero is monotone and never increases a magnitude, so a
twin keeps every sign, every zero, every exact tie, the weak order of the
values, and stays inside every interval [lo, hi] with lo <= 0 <= hi (or any
(0, 1) parameter: 0.9999 becomes 0.9, never 1.0); its (size, magnitude) is
at most its source's, so ordered by :func:`checks.core.vecfile.size_of`,
twin first at equal size, the twin is met before its source and the first
failure met is still the smallest one.

A twin is KEPT only when it is provably a valid input with trustworthy
answers (:func:`problem`): the explicit constraints of its strategy hold
(:data:`CONSTRAINTS`: relations between arguments that truncation can break,
e.g. highway pre-activations kept off relu's kink), every value oracle that
judges its source computes an answer without error, finite wherever the
source's is, those answers agree with each other within tolerance (the
formula's judge), the formula's reference passes every one of them and every
property oracle passes on the reference's result. Otherwise the next
candidate is tried, and a source whose every candidate fails is counted as
a drop (:class:`Stats`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any, Callable

import numpy as np

from checks.core import gradfns, vecfile
from checks.core.case import Case
from checks.core.judge import is_template, leaves, verdict_of

#: significant digits tried, in order (the first valid candidate is kept)
DIGITS = (1, 2)
#: floats with at most this many significant digits are left as they are
KEEP = 3
#: |value| below FLUSH x its array's largest |value| becomes 0 (first candidate only)
FLUSH = 1e-6
#: twins per formula: at most this share of its drawn inputs (the smallest ones with a long number);
#: measured on the library of mistakes, smallest-first beats "the first of each size" (53% vs 45%
#: of the shown inputs short at 10%; benchmarks/bench_short.py)
SHARE = 0.10


# --------------------------------------------------------------------------
# shortening values
# --------------------------------------------------------------------------

def sig_digits(x: float) -> int:
    """The significant digits of ``x``'s shortest repr (0.25 -> 2, 10000.0 -> 1, 0.0 -> 1)."""
    if not math.isfinite(x) or x == 0:
        return 1
    d = Decimal(repr(float(x))).normalize()
    return max(1, len(d.as_tuple().digits))


def truncate(x: float, digits: int) -> float:
    """``x`` truncated toward zero to ``digits`` significant digits (|result| <= |x|, same sign)."""
    if not math.isfinite(x) or x == 0 or sig_digits(x) <= max(digits, KEEP):
        return x
    d = Decimal(repr(float(x)))
    e = d.adjusted()
    q = d.scaleb(-e).quantize(Decimal(1).scaleb(1 - digits), rounding=ROUND_DOWN).scaleb(e)
    y = float(q)
    return y if abs(y) <= abs(x) else x  # never: fl is monotone and q <= |repr(x)|


def _short_array(a: np.ndarray, digits: int, flush: bool) -> np.ndarray:
    if a.dtype.kind != "f" or a.size == 0:
        return a
    flat = a.reshape(-1)
    out = np.array([truncate(float(v), digits) for v in flat], dtype=a.dtype).reshape(a.shape)
    if flush:
        fin = np.isfinite(a)
        scale = float(np.max(np.abs(a[fin]))) if fin.any() else 0.0
        tiny = fin & (np.abs(a) < FLUSH * scale)
        out[tiny] = 0.0
    return out


def shorten(v: Any, digits: int, flush: bool = False) -> Any:
    """A copy of ``v`` with its floats truncated (see the module doc); ints, bools, strings, shapes untouched.

    A flushed python float is flushed against the largest |float| among its siblings (a list or tuple).
    """
    if isinstance(v, np.ndarray):
        return _short_array(v, digits, flush)
    if isinstance(v, bool) or v is None or isinstance(v, (int, str, np.integer, np.bool_)):
        return v
    if isinstance(v, float):
        return truncate(v, digits)
    if isinstance(v, np.floating):
        return type(v)(truncate(float(v), digits))
    if isinstance(v, tuple):
        return tuple(shorten(x, digits, flush) for x in v)
    if isinstance(v, list):
        return [shorten(x, digits, flush) for x in v]
    if isinstance(v, dict):
        return {k: shorten(x, digits, flush) for k, x in v.items()}
    if isinstance(v, gradfns._GradFn):
        return type(v)(**{k: shorten(getattr(v, k), digits, flush) for k in v._fields})
    return v


def twin_of(case: Case, digits: int, flush: bool) -> Case:
    return Case(shorten(case.args, digits, flush), shorten(case.kwargs, digits, flush))


def candidates(case: Case, fn_name: str = "f") -> list[Case]:
    """The distinct shortened versions of ``case``, shortest first (none equal to ``case``)."""
    seen = {case.call_repr(fn_name)}
    out = []
    for d in DIGITS:
        for flush in (True, False):
            t = twin_of(case, d, flush)
            r = t.call_repr(fn_name)
            if r not in seen:
                seen.add(r)
                out.append(t)
    return out


_NUMBER = re.compile(r"(?<![\w.'])-?(\d+\.?\d*(?:e[-+]?\d+)?)")


def numbers_of(text: str) -> list[str]:
    """The numeric literals of a call's source text (not the digits of names such as np.float64)."""
    return _NUMBER.findall(text)


def max_digits(text: str) -> int:
    """The most significant digits of any number in ``text`` (0 when it has none)."""
    best = 0
    for s in numbers_of(text):
        mant = s.lower().split("e")[0].replace(".", "").lstrip("0").rstrip("0")
        best = max(best, len(mant) or 1)
    return best


# --------------------------------------------------------------------------
# validity: explicit constraints of the strategies, then the oracles
# --------------------------------------------------------------------------

def _highway_off_kink(src: Case, twin: Case) -> str | None:
    x, WH, bH = twin.args[:3]
    a = x @ WH.T + bH
    if np.any(np.abs(a) < 1e-6):
        return "a pre-activation x·WH_j + bH_j within 1e-6 of relu's kink (the strategy keeps it off)"
    return None


def _psd_quadratic(src: Case, twin: Case) -> str | None:
    fn = twin.args[1]
    if isinstance(fn, gradfns.QuadraticGrad):
        A = fn.A
        if not np.array_equal(A, A.T):
            return "QuadraticGrad's A is no longer symmetric"
        scale = float(np.max(np.abs(A))) if A.size else 0.0
        if A.size and float(np.linalg.eigvalsh(A).min()) < -1e-12 * max(scale, 1e-300):
            return "QuadraticGrad's A is no longer positive semi-definite"
    return None


def _clip_norm_regime(src: Case, twin: Case) -> str | None:
    from checks.judges.clipping import _norm

    (g0, m0), (g1, m1) = src.args, twin.args
    t0, t1 = _norm(g0), _norm(g1)
    if m0 == t0:
        ok = m1 == t1
    elif m0 > t0:  # "below": the factor max_norm / (total + 1e-6) stays clearly > 1
        ok = m1 >= t1 * (1 + 1e-3) + 2e-6
    else:
        ok = m1 <= t1 * (1 - 1e-3)
    return None if ok else "max_norm left its regime against the total norm (below / at / above)"


def _positive_freqs(src: Case, twin: Case) -> str | None:
    f = np.asarray(twin.args[0], dtype=np.float64)
    return None if np.all(np.isfinite(f)) and np.all(f > 0) else "a frequency is no longer > 0"


#: formula id -> its strategies' constraints that truncation can break (what the oracles cannot see)
CONSTRAINTS: dict[str, Callable[[Case, Case], str | None]] = {
    "residual.highway": _highway_off_kink,
    "residual.highway_backward": _highway_off_kink,
    "optim.nag_step": _psd_quadratic,
    "clip.clip_grad_norm": _clip_norm_regime,
    "hsoftmax.huffman_codes": _positive_freqs,
}


def _finite_leaves(x: Any) -> list[bool]:
    out = []
    for leaf in leaves(x):
        if isinstance(leaf, np.ndarray) and leaf.dtype.kind in "fc":
            out.extend(np.isfinite(leaf).reshape(-1).tolist())
        elif isinstance(leaf, (float, np.floating)):
            out.append(bool(np.isfinite(leaf)))
    return out


def problem(formula, oracles, source: Case, twin: Case, source_answers: dict[str, Any]) -> tuple[str | None, dict]:
    """(why ``twin`` is not a trustworthy input of ``formula`` for ``oracles`` or None, its answers).

    ``source_answers``: oracle name -> the source's expected answer (value oracles), to compare
    where answers are finite. The answers returned are what
    :func:`checks.run.expect.expected_for` gives (value: the oracle's; property: the reference's).
    """
    from checks.run.expect import expected_for

    rule = CONSTRAINTS.get(formula.id)
    if rule is not None:
        try:
            why = rule(source, twin)
        except Exception as e:  # a constraint that cannot be evaluated: not provably valid
            why = f"its constraint failed: {type(e).__name__}: {e}"
        if why:
            return f"constraint: {why}", {}
    answers: dict[str, Any] = {}
    try:
        c = twin.copy()
        ref = formula.reference(*c.args, **c.kwargs)
        for o in oracles:
            answers[o.name] = expected_for(formula, o, twin)
    except Exception as e:  # HarnessError included: an oracle that fails on the twin
        return f"error: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}", {}
    values = [o for o in oracles if o.kind == "value"]
    for o in values:
        src, got = _finite_leaves(source_answers.get(o.name)), _finite_leaves(answers[o.name])
        if len(src) != len(got) or any(s and not g for s, g in zip(src, got)):
            return f"non-finite: {o.name}'s answer is not finite where the source's is", {}
    try:
        for o in oracles:
            exp = answers[o.name]
            if verdict_of(formula, o, twin, ref, exp) is not None:
                return f"disagree: the reference fails {o.name}", {}
            if o.kind != "value":
                continue
            for other in values:
                a = answers[other.name]
                if other is not o and not is_template(a) and verdict_of(formula, o, twin, a, exp) is not None:
                    return f"disagree: {other.name} fails {o.name}", {}
    except Exception as e:  # a comparison that cannot judge the twin (HarnessError)
        return f"error: judging failed: {type(e).__name__}: {e}", {}
    return None, answers


# --------------------------------------------------------------------------
# adding twins to a pool of cases
# --------------------------------------------------------------------------

@dataclass
class Stats:
    """What :func:`add_twins` did: sources tried, twins kept, drops by reason (first word)."""

    tried: int = 0
    kept: int = 0
    candidates: int = 0
    drops: dict[str, int] = field(default_factory=dict)

    def add(self, other: "Stats") -> None:
        self.tried += other.tried
        self.kept += other.kept
        self.candidates += other.candidates
        for k, v in other.drops.items():
            self.drops[k] = self.drops.get(k, 0) + v

    @property
    def dropped(self) -> int:
        return self.tried - self.kept


def add_twins(formula, pool: list[Case], members: list[frozenset], answer: Callable[[int, Any], Any],
              stats: Stats | None = None) -> tuple[list[Case], list[frozenset], list[int | None], dict]:
    """Short twins of the smallest inputs, appended to ``pool``.

    Sources: the inputs in (size, magnitude) order, smallest first, that have a long number,
    until SHARE of the inputs have a twin (at least one; at most twice as many sources tried).
    ``members[i]``: the names of the oracles judging ``pool[i]`` (a twin inherits its
    source's); ``answer(i, oracle)``: the expected answer of ``pool[i]`` (cached by the
    caller). Returns (pool + twins, their members, the source of each case (None for a drawn
    one), the twins' answers {case index: {oracle name: answer}}).
    """
    st = stats if stats is not None else Stats()
    by_name = {o.name: o for o in formula.oracles}
    rank = list(by_name)
    sizes = [vecfile.size_of(c) for c in pool]
    seen = {c.call_repr(formula.fn_name) for c in pool}
    out, mem, src_of, answers = list(pool), list(members), [None] * len(pool), {}
    budget = max(1, int(round(SHARE * len(pool))))
    kept = tried = 0
    for i in sorted(range(len(pool)), key=lambda i: (sizes[i], i)):
        if kept >= budget or tried >= 2 * budget:
            break
        cands = [t for t in candidates(pool[i], formula.fn_name) if t.call_repr(formula.fn_name) not in seen]
        if not cands:
            continue
        tried += 1
        oracles = [by_name[k] for k in sorted(members[i], key=rank.index)]
        src_answers = {o.name: answer(i, o) for o in oracles if o.kind == "value"}
        why = None
        for t in cands:
            st.candidates += 1
            why, ans = problem(formula, oracles, pool[i], t, src_answers)
            if why is None:
                seen.add(t.call_repr(formula.fn_name))
                answers[len(out)] = ans
                out.append(t)
                mem.append(members[i])
                src_of.append(i)
                kept += 1
                break
        if why is not None:
            k = why.split(":", 1)[0]
            st.drops[k] = st.drops.get(k, 0) + 1
    st.tried += tried
    st.kept += kept
    return out, mem, src_of, answers


def order(pool: list[Case], src_of: list[int | None]) -> tuple[list[int], list[tuple[float, float]]]:
    """The case order (size, magnitude), a twin just before the drawn inputs of its size and magnitude,
    and the sizes. A twin's size is at most its source's, so it is met first."""
    sizes = [vecfile.size_of(c) for c in pool]
    idx = sorted(range(len(pool)), key=lambda i: (sizes[i], src_of[i] is None, i))
    return idx, sizes
