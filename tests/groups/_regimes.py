"""Shared by the per-group tests: a formula's strategy draws a hard regime on purpose.

The draws go through :func:`checks.run.draw.cases` with an explicit seed: the same inputs whatever
else the test process has imported (a test's own ``given`` mixes in the literals Hypothesis harvests
from every loaded module, so whether a rare regime comes up would depend on the other tests).
"""

from __future__ import annotations

from checks import registry
from checks.run import draw


def drawn(strategy, n: int, *name: str) -> list:
    """``n`` inputs of ``strategy``, seeded by ``name`` (e.g. the formula id and what is looked for)."""
    return draw.cases(strategy, n, draw.seed_for(draw.DEFAULT_SEED, "tests", *name))


def assert_regime_drawn(formula_id: str, regime, examples: int = 100) -> None:
    """``regime(case)`` holds for at least one of ``examples`` seeded draws of the formula's strategy."""
    __tracebackhide__ = True
    cases = drawn(registry.get(formula_id).strategy(), examples, formula_id, "regimes")
    hits = [bool(regime(c)) for c in cases]
    assert any(hits), f"{formula_id}: the regime never came up in {len(hits)} draws"
