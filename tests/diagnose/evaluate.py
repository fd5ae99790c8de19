"""Scoring the diagnosis on the held-out mistakes (tests/heldout), graded in process from the public vectors.

Each held-out implementation runs on its formula's public cases; the grader's judge
(:func:`checks.core.judge.verdict_of`, through :func:`checks.diagnose.inprocess.judge_all`) splits
them into failing and passing; :func:`checks.diagnose.diagnose` gets exactly what the grader would
give it. The outcome of one entry:

- ``right``: the diagnosis names the truth alone;
- ``right-in-list``: a "Likely one of" list (2-3 entries) that holds the truth;
- ``none``: no diagnosis (right for an ``unknown`` truth, a miss otherwise);
- ``wrong``: a diagnosis that does not hold the truth (any diagnosis of an ``unknown`` entry);
- ``passes``: the public vectors do not catch it (not scored).
"""

from __future__ import annotations

import collections
import time
from dataclasses import dataclass

from checks.core.vecfile import read
from checks.data import PUBLIC_VECTORS
from checks.diagnose import diagnose
from checks.diagnose.inprocess import judge_all
from tests.heldout import Heldout, all_heldout


@dataclass
class Outcome:
    entry: Heldout
    kind: str
    ids: tuple[str, ...]
    seconds: float
    text: str = ""


def outcome_of(h: Heldout, ids: tuple[str, ...] | None) -> str:
    if ids is None:
        return "none"
    if h.truth in ids:
        return "right" if len(ids) == 1 else "right-in-list"
    return "wrong"


def evaluate(entries: list[Heldout] | None = None) -> list[Outcome]:
    entries = all_heldout() if entries is None else entries
    vectors = read(PUBLIC_VECTORS, sorted({h.formula for h in entries})).formulas
    out = []
    for h in entries:
        fv = vectors[h.formula]
        actual, failing, passing = judge_all(fv, h.fn)
        t0 = time.perf_counter()
        d = diagnose(fv, actual, failing, passing)
        dt = time.perf_counter() - t0
        if not failing:
            assert d is None
            out.append(Outcome(h, "passes", (), dt))
            continue
        out.append(Outcome(h, outcome_of(h, d.ids if d else None), d.ids if d else (), dt, d.text if d else ""))
    return out


@dataclass
class Score:
    scored: int          # caught entries whose truth is a library id or a generic relation
    right: int           # named alone
    in_list: int         # in a short list
    unknown: int         # caught entries with no truth to name
    abstained: int       # unknown entries without a diagnosis (right)
    wrong: int           # diagnoses that do not hold the truth (over every caught entry)
    caught: int
    passes: int

    @property
    def right_rate(self) -> float:
        return (self.right + self.in_list) / self.scored if self.scored else 0.0

    @property
    def exact_rate(self) -> float:
        return self.right / self.scored if self.scored else 0.0

    @property
    def wrong_rate(self) -> float:
        return self.wrong / self.caught if self.caught else 0.0


def score(outcomes: list[Outcome]) -> Score:
    c = collections.Counter()
    for o in outcomes:
        if o.kind == "passes":
            c["passes"] += 1
            continue
        c["caught"] += 1
        if o.entry.truth == "unknown":
            c["unknown"] += 1
            c["abstained"] += o.kind == "none"
        else:
            c["scored"] += 1
            c["right"] += o.kind == "right"
            c["in_list"] += o.kind == "right-in-list"
        c["wrong"] += o.kind == "wrong"
    return Score(c["scored"], c["right"], c["in_list"], c["unknown"], c["abstained"], c["wrong"], c["caught"], c["passes"])
