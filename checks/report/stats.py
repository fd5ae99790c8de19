"""The class report's numbers, computed once from :class:`~checks.report.rows.Row` s for every renderer.

Conventions (stated on every rendering):

- the **score distribution** covers every scored submission (all but the ones
  an interrupted batch did not grade): a file with a syntax error scores 0,
  and that is its grade;
- a formula's **pass rate** and **verdicts** cover the submissions whose
  formulas were run (status ``ok``, or ``grader error`` for the formulas
  that could be checked), so a broken file does not count as a wrong
  formula; the non-ok submissions are listed on their own;
- **mistakes**: per formula, the known mistakes the diagnosis matched (their
  ids), else the diagnosis' text, with how many submissions made them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from checks.core.verdicts import Verdict
from checks.report.rows import VERDICT_ORDER, Row

PASSED = Verdict.PASSED.value
#: the most bins of a histogram of whole-point scores
MAX_BINS = 16


@dataclass
class FormulaStats:
    id: str
    n: int = 0                                            # the submissions it counts (ran, checked)
    passed: int = 0
    verdicts: Counter = field(default_factory=Counter)
    mistakes: Counter = field(default_factory=Counter)    # mistake id (or diagnosis text) -> submissions
    examples: dict[str, str] = field(default_factory=dict)  # mistake id -> a diagnosis text naming it

    @property
    def rate(self) -> float | None:
        return self.passed / self.n if self.n else None

    def ordered_verdicts(self) -> list[tuple[str, int]]:
        return [(v, self.verdicts[v]) for v in VERDICT_ORDER if self.verdicts.get(v)]


@dataclass
class ClassStats:
    rows: list[Row]
    scores: np.ndarray                    # of the scored submissions
    max_score: float                      # the largest max_score (a batch has one rubric)
    formulas: list[FormulaStats]
    not_ok: list[Row]
    vectors: list[str]                    # the distinct vectors files' SHA-256 (one, normally)
    n_ran: int = 0

    @property
    def n(self) -> int:
        return len(self.rows)

    @property
    def n_scored(self) -> int:
        return int(self.scores.size)

    def quantiles(self) -> dict[str, float]:
        if not self.scores.size:
            return {}
        q = np.percentile(self.scores, [0, 25, 50, 75, 100])
        return {"min": float(q[0]), "25%": float(q[1]), "median": float(q[2]), "75%": float(q[3]),
                "max": float(q[4]), "mean": float(self.scores.mean())}

    def histogram(self, bins: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(counts, edges) over [0, max_score].

        Whole-point scores (the usual case) get bins of whole points, at most
        :data:`MAX_BINS` of them, with edges at half points (``edges[0] == -0.5``):
        bin ``i`` holds the scores ``edges[i] + 0.5 .. edges[i + 1] - 0.5``. Other
        scores get ``bins`` (default 10) equal bins.
        """
        top = self.max_score if self.max_score > 0 else (float(self.scores.max()) if self.scores.size else 1.0)
        top = top or 1.0
        whole = float(top).is_integer() and all(float(x).is_integer() for x in self.scores)
        if whole and bins is None:
            width = int(np.ceil((int(top) + 1) / MAX_BINS))
            edges = np.arange(-0.5, int(top) + width, width, dtype=float)
            edges[-1] = min(edges[-1], top + 0.5)
        else:
            edges = np.linspace(0.0, top, (bins or 10) + 1)
        counts, edges = np.histogram(np.clip(self.scores, edges[0], edges[-1]), bins=edges)
        return counts, edges

    @staticmethod
    def bin_labels(edges: np.ndarray) -> list[str]:
        """ "3" or "3-4" per bin of whole points, "2.5-5" otherwise."""
        if edges[0] == -0.5:
            out = []
            for a, b in zip(edges[:-1] + 0.5, edges[1:] - 0.5):
                a, b = int(round(a)), int(np.floor(b + 1e-9))
                out.append(str(a) if a == b else f"{a}-{b}")
            return out
        return [f"{num(a)}-{num(b)}" for a, b in zip(edges[:-1], edges[1:])]

    def top_mistakes(self, per_formula: int = 3) -> list[tuple[str, str, int, str]]:
        """(formula, mistake, submissions, example diagnosis), the most common first within each formula."""
        out = []
        for f in self.formulas:
            for m, c in f.mistakes.most_common(per_formula):
                out.append((f.id, m, c, f.examples.get(m, "")))
        return sorted(out, key=lambda t: (-t[2], t[0], t[1]))


def mistake_label(formula: str, mistake: str) -> str:
    """A mistake's id without its formula's prefix (``softmax.softmax:softmax_no_shift`` -> ``softmax_no_shift``)."""
    return mistake[len(formula) + 1:] if mistake.startswith(formula + ":") else mistake


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return " ".join(line.split())
    return ""


def compute(rows: list[Row]) -> ClassStats:
    scored = [r for r in rows if r.scored]
    scores = np.array([r.score for r in scored], dtype=float)
    max_score = max((r.max_score or 0.0 for r in scored), default=0.0)
    by_id: dict[str, FormulaStats] = {}
    ran = [r for r in rows if r.ran]
    for r in rows:  # every formula named anywhere, in the batch's order
        for t in r.tests:
            by_id.setdefault(t.id, FormulaStats(t.id))
    for r in ran:
        seen: set[tuple[str, str]] = set()
        for t in r.tests:
            if not t.counted:
                continue
            f = by_id[t.id]
            f.n += 1
            f.passed += t.passed
            f.verdicts[t.verdict] += 1
            if t.passed:
                continue
            keys = list(t.mistakes) or ([_first_line(t.diagnosis)] if t.diagnosis.strip() else [])
            for k in keys:
                if (t.id, k) in seen:
                    continue
                seen.add((t.id, k))
                f.mistakes[k] += 1
                if k not in f.examples and t.diagnosis.strip():
                    f.examples[k] = _first_line(t.diagnosis)
    not_ok = [r for r in rows if not r.ok]
    vectors = sorted({r.vectors for r in rows if r.vectors})
    return ClassStats(rows, scores, float(max_score), list(by_id.values()), not_ok, vectors, len(ran))


def num(x: float | None) -> str:
    """A score as people write it: 3, 2.5, 0.333."""
    if x is None:
        return ""
    x = float(x)
    return str(int(x)) if x.is_integer() else f"{x:.3g}" if abs(x) < 10 else f"{x:.1f}"


def pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.0f}%"
