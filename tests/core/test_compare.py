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


# assert_array_close, as it was before its detailed path skipped the non-finite handling where every
# expected value is finite (and reused the common path's numbers): the same verdicts and messages

import math  # noqa: E402

from checks.core.compare import _idx, assert_close, fail  # noqa: E402


def _original_assert_array_close(a, e, tol, where, mask=None):
    if a.shape != e.shape:
        fail(Verdict.WRONG_TYPE, f"{where}: expected shape {e.shape}, got {a.shape}")
    if mask is None:
        with np.errstate(all="ignore"):
            if (np.abs(a - e) <= tol.atol + tol.rtol * np.abs(e)).all():
                return
    fin_e = np.isfinite(e)
    bad_nf = ~np.isfinite(a) & fin_e
    if mask is not None:
        bad_nf &= mask
    if bad_nf.any():
        i = _idx(int(np.flatnonzero(bad_nf)[0]), a.shape)
        fail(Verdict.NONFINITE,
             f"{where}: {int(bad_nf.sum())} non-finite value(s) (nan/inf) where finite values were expected;"
             f" first at index {i}: got {a[i]!r}, expected {e[i]!r}")
    with np.errstate(all="ignore"):
        diff = np.abs(a - e)
        diff = np.where(fin_e, diff, np.where((a == e) | (np.isnan(a) & np.isnan(e)), 0.0, np.inf))
        allowed = tol.atol + tol.rtol * np.abs(np.where(fin_e, e, 0.0))
        bad = diff > allowed
        if mask is not None:
            bad &= mask
        if not bad.any():
            return
        rel = np.where(np.abs(e) > 0, diff / np.abs(e), np.where(diff > 0, np.inf, 0.0))
    n_bad, n = int(bad.sum()), int(bad.size)
    ia = _idx(int(np.argmax(np.where(bad, diff, -1.0))), a.shape)
    ir = _idx(int(np.argmax(np.where(bad, rel, -1.0))), a.shape)
    fail(Verdict.MISMATCH,
         f"{where}: values are not close!\n"
         f"  Mismatched elements: {n_bad} / {n} ({100.0 * n_bad / n:.1f}%)\n"
         f"  Greatest absolute difference: {float(diff[ia]):.6g} at index {ia} (up to {tol.atol:g} allowed)\n"
         f"  Greatest relative difference: {float(rel[ir]):.6g} at index {ir} (up to {tol.rtol:g} allowed)\n"
         f"  At index {ia}: got {float(a[ia])!r}, expected {float(e[ia])!r}")


def _outcome(f, *args, **kw):
    try:
        f(*args, **kw)
    except CheckFailure as x:
        return x.verdict, x.message
    return None


def test_assert_array_close_verdicts_and_messages_are_unchanged():
    rng = np.random.default_rng(7)
    specials = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e308, -1e308, 5e-324]
    n_fail = 0
    for trial in range(3000):
        shape = [(), (1,), (4,), (2, 3), (3, 1, 2)][trial % 5]
        e = rng.normal(size=shape) * 10.0 ** rng.integers(-12, 12)
        a = e + rng.normal(size=shape) * 10.0 ** rng.integers(-14, 2) * rng.integers(0, 2)
        e, a = np.array(e, dtype=np.float64), np.array(a, dtype=np.float64)
        for x in (a, e):
            if x.size and rng.random() < 0.3:
                x.flat[rng.integers(x.size)] = specials[rng.integers(len(specials))]
        if e.size and rng.random() < 0.1:
            a.flat[0] = e.flat[0]
        tol = Tol(rtol=[0.0, 1e-7, 0.25][trial % 3], atol=[0.0, 1e-9, 1e-3][(trial // 3) % 3])
        mask = None if trial % 4 else rng.random(size=shape) < 0.5
        want = _outcome(_original_assert_array_close, a, e, tol, "f -> y", mask)
        got = _outcome(assert_array_close, a, e, tol, "f -> y", mask)
        assert got == want, (a, e, tol, mask)
        quiet = _outcome(assert_array_close, a, e, tol, "f -> y", mask, quiet=True)
        assert (quiet is None) == (want is None) and (quiet is None or quiet[0] == want[0])
        n_fail += want is not None
    assert 300 < n_fail < 2700   # both outcomes well exercised


def test_quiet_assert_close_fails_on_the_same_trees():
    tol = Tol()
    e = {"a": (np.zeros(2), 3), "b": [1.5, True]}
    for a, verdict in (({"a": (np.zeros(2), 3), "b": [1.5, True]}, None),
                       ({"a": (np.ones(2), 3), "b": [1.5, True]}, Verdict.MISMATCH),
                       ({"a": (np.zeros(2), 4), "b": [1.5, True]}, Verdict.MISMATCH),
                       ({"a": (np.zeros(2), 3), "b": [1.5, False]}, Verdict.MISMATCH),
                       ({"a": (np.zeros(2), 3), "b": [math.nan, True]}, Verdict.NONFINITE),
                       ({"a": (np.zeros(3), 3), "b": [1.5, True]}, Verdict.WRONG_TYPE)):
        loud = _outcome(assert_close, a, e, tol, "f")
        quiet = _outcome(assert_close, a, e, tol, "f", quiet=True)
        assert (loud and loud[0]) == (quiet and quiet[0]) == verdict
        assert quiet is None or quiet[1] == ""
