"""Shared by the per-group tests: a formula's strategy draws a hard regime on purpose."""

from __future__ import annotations

from hypothesis import given, settings

from checks import registry


def assert_regime_drawn(formula_id: str, regime, examples: int = 100) -> None:
    """``regime(case)`` holds for at least one of ``examples`` derandomized draws of the formula's strategy."""
    __tracebackhide__ = True
    hits = []

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None)
    @given(registry.get(formula_id).strategy())
    def collect(case):
        hits.append(bool(regime(case)))

    collect()
    assert any(hits), f"{formula_id}: the regime never came up in {len(hits)} draws"
