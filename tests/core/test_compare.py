"""checks.core.compare: conformance to the contract's types, the assert_close-style summary, tolerances."""

from __future__ import annotations

import numpy as np
import pytest

from checks.core.compare import CheckFailure, Tol, Verdict, assert_array_close, conform


@pytest.mark.parametrize(
    "actual, template, ok",
    [
        (np.zeros(3, dtype=np.float32), np.zeros(3), False),
        ([0.0, 0.0, 0.0], np.zeros(3), False),
        (np.zeros((3, 1)), np.zeros(3), False),
        (np.zeros(3), np.zeros(3), True),
        (np.float64(1.0), 1.0, True),
        (np.array(1.0), 1.0, True),
        (1.0, np.array(1.0), True),
        ("1.0", 1.0, False),
        (True, 1.0, False),
        ([np.zeros(2), np.zeros(1)], (np.zeros(2), np.zeros(1)), True),
        ({"a": np.zeros(2), "extra": 1}, {"a": np.zeros(2)}, True),
        ({"b": np.zeros(2)}, {"a": np.zeros(2)}, False),
        (np.int64(3), 3, True),
        (3.0, 3, False),
        ((np.int64(1), 0), [1, 0], True),
        (np.array([1, 0]), [1, 0], True),
    ],
)
def test_conform_accepts_exactly_the_contract_types(actual, template, ok):
    if ok:
        conform(actual, template, "f -> y")
    else:
        with pytest.raises(CheckFailure) as e:
            conform(actual, template, "f -> y")
        assert e.value.verdict is Verdict.WRONG_TYPE and e.value.message.startswith("f -> y")


def test_assert_close_counts_and_locates_the_worst_element():
    e = np.array([[1.0, 2.0], [3.0, 4.0]])
    a = e.copy()
    a[1, 0] += 0.5
    a[0, 1] += 1e-3
    with pytest.raises(CheckFailure) as err:
        assert_array_close(a, e, Tol(1e-7, 1e-9), "f -> y")
    m = err.value.message
    assert "Mismatched elements: 2 / 4 (50.0%)" in m
    assert "Greatest absolute difference: 0.5 at index (1, 0) (up to 1e-09 allowed)" in m


def test_tolerance_arguments_are_validated():
    with pytest.raises(ValueError, match="rtol=-1"):
        Tol(rtol=-1)
