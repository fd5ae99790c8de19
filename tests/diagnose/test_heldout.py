"""The diagnosis on held-out mistakes (tests/heldout): coverage >= 70% right, <= 5% wrong.

The held-out implementations were written apart from the library (other code, other bugs, some
the library does not know); each states its truth. They are graded in process from the public
vectors with the grader's judge, then diagnosed with exactly what the grader passes.
"""

from __future__ import annotations

import os

import pytest

from checks import mistakes
from tests.diagnose.evaluate import evaluate, score
from tests.heldout import all_heldout

RIGHT_GOAL = 0.70
WRONG_GOAL = 0.05
HELDOUT = all_heldout()


@pytest.fixture(scope="module")
def outcomes():
    return evaluate(HELDOUT)


def test_heldout_set_covers_every_group_and_states_its_truth():
    groups = sorted(f[:-3] for f in os.listdir(os.path.join(os.path.dirname(mistakes.__file__), "..", "formulas"))
                    if f.endswith(".py") and not f.startswith("_"))
    assert len(HELDOUT) >= 40
    assert sorted({h.formula.split(".")[0] for h in HELDOUT}) == groups
    for h in HELDOUT:
        if h.truth == "unknown" or h.truth.startswith("generic:"):
            continue
        assert mistakes.get(h.truth).formula == h.formula, h   # a real library id of that formula
    assert sum(h.truth == "unknown" for h in HELDOUT) >= 5, "the set must test abstention too"
    assert sum(h.truth.startswith("generic:") for h in HELDOUT) >= 5, "and the generic relations"


def test_heldout_coverage_and_precision(outcomes):
    s = score(outcomes)
    table = "\n".join(f"{o.kind:14} {o.entry.formula:34} {o.entry.name:40} truth={o.entry.truth} got={o.ids}"
                      for o in outcomes if o.kind != "right")
    assert s.passes == 0, "a held-out mistake passes the public vectors:\n" + table
    assert s.right_rate >= RIGHT_GOAL, f"right {s.right_rate:.0%} < {RIGHT_GOAL:.0%}\n{table}"
    assert s.wrong_rate <= WRONG_GOAL, f"wrong {s.wrong_rate:.0%} > {WRONG_GOAL:.0%}\n{table}"


def test_diagnosis_text_names_the_description_and_hint(outcomes):
    for o in outcomes:
        if o.kind == "right" and not o.ids[0].startswith("generic:"):
            m = mistakes.get(o.ids[0])
            assert o.text == f"Likely mistake: {m.description}\nHint: {m.hint}"
