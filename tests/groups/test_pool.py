"""The pool checks' own tie handling: every valid subgradient is accepted, nothing else.

``maxpool_subgradient_compare`` decides whether dx is a sum over windows of
valid splits of dy (a flow problem); ``_kmax_compare`` enumerates every valid
choice of k positions. Both are checked here on hand-made ties and on random
valid / invalid answers.
"""

from __future__ import annotations

import numpy as np
import pytest

import reference.pool as ref
from checks.core.case import Case
from checks.core.compare import CheckFailure, Tol
from checks.formulas import pool as P

TOL = Tol(rtol=1e-7, atol=1e-12)


def _accepts(x, k, s, dy, dx):
    case = Case((np.asarray(x, float), k, s, np.asarray(dy, float)))
    expected = ref.maxpool2d_backward(*case.args)
    try:
        P.maxpool_subgradient_compare(case, np.asarray(dx, float), expected, TOL, "maxpool2d_backward")
    except CheckFailure:
        return False
    return True


def _plane(a):
    return np.asarray(a, float)[None, None]


def test_single_tied_window():
    x = np.ones((1, 1, 2, 2))
    dy = _plane([[4.0]])
    assert _accepts(x, 2, 1, dy, _plane([[2, 2], [0, 0]]))
    assert _accepts(x, 2, 1, dy, _plane([[0, 0], [0, 4]]))
    assert _accepts(x, 2, 1, dy, _plane([[1, 1], [1, 1]]))
    assert not _accepts(x, 2, 1, dy, _plane([[4, 4], [0, 0]]))   # weights sum to 2
    assert not _accepts(x, 2, 1, dy, _plane([[5, -1], [0, 0]]))  # negative weight
    assert not _accepts(x, 2, 1, dy, _plane([[2, 1], [0, 0]]))   # weights sum to 3/4


def test_overlapping_tied_windows_add_up():
    x = np.ones((1, 1, 2, 3))  # k=2, stride=1: two windows sharing the middle column
    dy = _plane([[1.0, 1.0]])
    assert _accepts(x, 2, 1, dy, _plane([[0, 2, 0], [0, 0, 0]]))  # both send to the shared column
    assert _accepts(x, 2, 1, dy, _plane([[1, 0, 0], [0, 0, 1]]))
    assert not _accepts(x, 2, 1, dy, _plane([[2, 0, 0], [0, 0, 0]]))  # the left column only sees window 1
    assert not _accepts(x, 2, 1, dy, _plane([[0, 1, 0], [0, 0, 0]]))  # assigned, not accumulated
    dy = _plane([[1.0, -1.0]])
    assert _accepts(x, 2, 1, dy, np.zeros((1, 1, 2, 3)))  # +1 and -1 meet in the middle
    assert _accepts(x, 2, 1, dy, _plane([[1, -1, 0], [0, 0, 0]]))
    assert _accepts(x, 2, 1, dy, _plane([[1, 0, 0], [0, 0, -1]]))
    assert not _accepts(x, 2, 1, dy, _plane([[-1, 0, 1], [0, 0, 0]]))  # signs swapped


def test_non_max_position_gets_nothing():
    x = _plane([[1, 1], [0, 1]])
    dy = _plane([[3.0]])
    assert _accepts(x, 2, 1, dy, _plane([[1, 1], [0, 1]]))
    assert not _accepts(x, 2, 1, dy, _plane([[1, 1], [1, 0]]))


def _random_valid(rng, x, k, s, dy, how):
    is_max, rows, cols = P._window_maxima(x, k, s)
    dx = np.zeros_like(x)
    Nn, C, Ho, Wo = dy.shape
    for n in range(Nn):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    m = np.flatnonzero(is_max[n, c, i, j])
                    if how == "first":
                        w = np.eye(len(m))[0]
                    elif how == "last":
                        w = np.eye(len(m))[-1]
                    else:
                        w = rng.dirichlet(np.ones(len(m)))
                    np.add.at(dx[n, c], (rows[i, j, m], cols[i, j, m]), dy[n, c, i, j] * w)
    return dx


@pytest.mark.parametrize("seed", range(30))
def test_random_valid_splits_accepted_and_perturbations_rejected(seed):
    rng = np.random.default_rng(seed)
    H, W = rng.integers(2, 6, size=2)
    k = int(rng.integers(2, min(H, W, 3) + 1))
    s = int(rng.integers(1, k + 1))
    x = rng.integers(-1, 2, size=(2, 2, H, W)).astype(float)
    Ho, Wo = (H - k) // s + 1, (W - k) // s + 1
    dy = rng.normal(size=(2, 2, Ho, Wo)) * 5
    for how in ("first", "last", "random"):
        dx = _random_valid(rng, x, k, s, dy, how)
        assert _accepts(x, k, s, dy, dx), how
        bad = dx.copy()
        idx = tuple(rng.integers(0, d) for d in bad.shape)
        bad[idx] += 0.1 + abs(dy).max()  # any change of one entry is invalid (total mass changes)
        assert not _accepts(x, k, s, dy, bad)
    assert _accepts(x, k, s, dy, P._t_maxpool_unfold_bw(x, k, s, dy))  # torch's even split


def test_moving_mass_between_tied_windows_is_rejected():
    # two disjoint windows (stride 2), both all-tied: mass may not move from one window's area to the other's
    x = np.zeros((1, 1, 2, 4))
    dy = _plane([[1.0, 2.0]])
    assert _accepts(x, 2, 2, dy, _plane([[0.5, 0.5, 1, 1], [0, 0, 0, 0]]))
    assert not _accepts(x, 2, 2, dy, _plane([[1.5, 0, 0, 0], [0, 0, 0, 1.5]]))


# ------------------------------------------------------------------ k-max


def test_kmax_choices():
    assert P.kmax_choices(np.array([3.0, 1, 3, 2, 3]), 2) == [(0, 2), (0, 4), (2, 4)]
    assert P.kmax_choices(np.array([5.0, 1, 3, 3]), 2) == [(0, 2), (0, 3)]
    assert P.kmax_choices(np.array([1.0, 2, 3]), 3) == [(0, 1, 2)]
    assert P.kmax_choices(np.array([7.0]), 1) == [(0,)]


def _kmax_accepts(x, k, y, dy=None):
    x = np.asarray(x, float)
    if dy is None:
        case = Case((x, k))
        cmp, exp = P._kmax_compare(P._kmax_forward_candidate, "y"), ref.kmax_pool(x, k)
    else:
        case = Case((x, k, np.asarray(dy, float)))
        cmp, exp = P._kmax_compare(P._kmax_backward_candidate, "dx"), ref.kmax_pool_backward(x, k, dy)
    try:
        cmp(case, np.asarray(y, float), exp, TOL, "f")
    except CheckFailure:
        return False
    return True


def test_kmax_any_valid_choice():
    x = np.array([[[3.0, 1, 3, 2, 3], [1, 5, 2, 5, 0]]])
    assert _kmax_accepts(x, 2, [[[3, 3], [5, 5]]])
    assert not _kmax_accepts(x, 2, [[[3, 2], [5, 5]]])
    x = np.array([[[1.0, 2, 0, 2, 3]]])  # k=3: 3 and both 2s, in time order
    assert _kmax_accepts(x, 3, [[[2, 2, 3]]])
    assert not _kmax_accepts(x, 3, [[[3, 2, 2]]])  # value order
    dy = np.array([[[10.0, 20, 30]]])
    assert _kmax_accepts(x, 3, [[[0, 10, 0, 20, 30]]], dy)
    assert not _kmax_accepts(x, 3, [[[0, 20, 0, 10, 30]]], dy)
    x = np.array([[[2.0, 0, 2, 2]]])  # tie at the k-th largest: k=2 of three 2s
    dy = np.array([[[1.0, 4]]])
    for ok in ([1, 0, 4, 0], [1, 0, 0, 4], [0, 0, 1, 4]):
        assert _kmax_accepts(x, 2, [[ok]], dy), ok
    for bad in ([1, 0, 2, 2], [4, 0, 1, 0], [1, 4, 0, 0], [1, 0, 4, 4]):
        assert not _kmax_accepts(x, 2, [[bad]], dy), bad


def test_reference_errors_are_clear():
    with pytest.raises(ValueError, match="larger than"):
        ref.maxpool2d(np.zeros((1, 1, 2, 2)), 3, 1)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        ref.maxpool2d(np.zeros((2, 2)), 1, 1)
    with pytest.raises(ValueError, match="k=4"):
        ref.kmax_pool(np.zeros((1, 1, 3)), 4)
    with pytest.raises(ValueError, match="dy must have shape"):
        ref.avgpool2d_backward(np.zeros((1, 1, 3, 3)), 2, 1, np.zeros((1, 1, 1, 1)))
