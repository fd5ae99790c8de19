"""pool.* -- max / average pooling (2-d, no padding, floor mode) and k-max pooling over time.

Ties are drawn on purpose (small-integer and constant inputs; for k-max
also 0/1 rows with a tie at the k-th largest value and a larger value after
the tied ones) and so are overlapping windows (stride < k). At ties the checks accept every element
of the subdifferential and nothing else:

* maxpool2d_backward: dx must be a SUM over windows of a split of that
  window's dy over its tied maxima (non-negative weights summing to 1). Off
  the ties dx is compared elementwise with autograd; where ties matter the
  existence of such a split is decided exactly as a flow problem
  (:func:`max_split_deficit`).
* kmax_pool / kmax_pool_backward: at a tie on the k-th largest value any
  valid choice of positions is accepted (all of them are enumerated); the
  values come in time order and dy goes, unsplit, to the chosen positions.
"""

from __future__ import annotations

from collections import deque
from itertools import combinations

import numpy as np

import reference.pool as ref
from checks.core.compare import Tol, Verdict, assert_array_close, fail
from checks.registry import Formula, Oracle, Source, register
from checks.strategies import Case, array, hnp, st
from checks.oracles.torchlib import F, N, T, torch, vjp

# ---------------------------------------------------------------- strategies


@st.composite
def _values(draw, shape):
    """Values in a drawn regime: continuous, small integers (many ties) or constant (every window tied)."""
    regime = draw(st.sampled_from(["continuous", "small-int", "small-int", "constant"]))
    if regime == "continuous":
        return draw(array(shape, -10, 10))
    if regime == "small-int":
        return draw(hnp.arrays(np.float64, shape, elements=st.integers(-2, 2).map(float)))
    return np.full(shape, float(draw(st.integers(-3, 3))))


def _out(size, k, stride):
    return (size - k) // stride + 1


@st.composite
def pool_case(draw, backward: bool = True):
    """x (N,C,H,W), k, stride (and dy): half the cases have overlapping windows (stride < k)."""
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    if draw(st.booleans()):  # overlapping windows
        h, w = draw(st.integers(2, 5)), draw(st.integers(2, 5))
        k = draw(st.integers(2, min(h, w, 3)))
        stride = draw(st.integers(1, k - 1))
    else:
        h, w = draw(st.integers(1, 5)), draw(st.integers(1, 5))
        k = draw(st.integers(1, min(h, w, 3)))
        stride = draw(st.integers(1, 3))
    x = draw(_values((n, c, h, w)))
    if not backward:
        return Case((x, k, stride))
    dy = draw(array((n, c, _out(h, k, stride), _out(w, k, stride)), -10, 10))
    return Case((x, k, stride, dy))


def _tie_trap_rows(draw, shape, k):
    """0/1 rows with fewer than k ones, one of them after the first k positions (k < T): the k-th
    largest is a tied 0, and "keep x >= the k-th largest, then the first k in time order" drops that 1.
    Varied rows from a drawn seed (Hypothesis' arrays repeat one fill value)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n, c, t = shape
    x = np.zeros(shape)
    for i in range(n):
        for j in range(c):
            g = int(rng.integers(0, k))  # ones besides the late one: g + 1 <= k
            x[i, j, int(rng.integers(k, t))] = 1.0
            x[i, j, rng.choice(t, size=g, replace=False)] = 1.0
    return x


@st.composite
def kmax_case(draw, backward: bool = True):
    """x (N,C,T), 1 <= k <= T (and dy (N,C,k)); ties at the k-th largest value are frequent."""
    n, c, t = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 6))
    k = draw(st.integers(1, t))
    if t > 1 and draw(st.integers(0, 3)) == 0:
        k = min(k, t - 1)
        x = _tie_trap_rows(draw, (n, c, t), k)
    else:
        x = draw(_values((n, c, t)))
    if not backward:
        return Case((x, k))
    return Case((x, k, draw(array((n, c, k), -10, 10))))


# ---------------------------------------------------------------- torch oracles


def _unfold(xt, k, stride):
    """(N,C,Ho,Wo,k,k) windows of a torch tensor."""
    return xt.unfold(2, k, stride).unfold(3, k, stride)


def _t_maxpool(x, k, stride):
    return N(F().max_pool2d(T(x), k, stride))


def _t_maxpool_unfold(x, k, stride):
    return N(_unfold(T(x), k, stride).amax(dim=(-1, -2)))


def _t_maxpool_bw(x, k, stride, dy):
    return vjp(lambda t: F().max_pool2d(t, k, stride), dy, x)


def _t_maxpool_unfold_bw(x, k, stride, dy):
    """autograd of unfold + amax: splits dy EVENLY over a window's tied maxima (another valid subgradient)."""
    return vjp(lambda t: _unfold(t, k, stride).amax(dim=(-1, -2)), dy, x)


def _t_avgpool_bw(x, k, stride, dy):
    return vjp(lambda t: F().avg_pool2d(t, k, stride), dy, x)


def _t_avgpool_unfold_bw(x, k, stride, dy):
    return vjp(lambda t: _unfold(t, k, stride).mean(dim=(-1, -2)), dy, x)


def _t_kmax_index(xt, k):
    return torch().sort(torch().topk(xt, k, dim=-1).indices, dim=-1).values


def _t_kmax(x, k):
    xt = T(x)
    return N(xt.gather(-1, _t_kmax_index(xt, k)))


def _t_kmax_bw(x, k, dy):
    xt = T(x, grad=True)
    xt.gather(-1, _t_kmax_index(xt.detach(), k)).backward(T(dy))
    return N(xt.grad)


# ---------------------------------------------------------------- max pooling: exact subgradient check


def _window_maxima(x, k, stride):
    """Per window (N,C,Ho,Wo): the (row, col) of every position of the window and whether it is a maximum."""
    x = np.asarray(x, dtype=np.float64)
    Nn, C, H, W = x.shape
    Ho, Wo = _out(H, k, stride), _out(W, k, stride)
    win = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]
    win = win.reshape(Nn, C, Ho, Wo, k * k)
    is_max = win == win.max(axis=-1, keepdims=True)
    off = np.arange(k * k)
    rows = np.arange(Ho)[:, None, None] * stride + (off // k)[None, None, :]  # (Ho,1,kk)
    cols = np.arange(Wo)[None, :, None] * stride + (off % k)[None, None, :]   # (1,Wo,kk)
    rows, cols = np.broadcast_to(rows, (Ho, Wo, k * k)), np.broadcast_to(cols, (Ho, Wo, k * k))
    return is_max, rows, cols


def _max_flow(cap: list[list[float]], s: int, t: int, tiny: float) -> float:
    """Edmonds-Karp on a dense residual matrix (modified in place); residuals <= ``tiny`` count as 0."""
    n = len(cap)
    adj = [[j for j in range(n) if cap[i][j] > 0 or cap[j][i] > 0] for i in range(n)]
    total = 0.0
    while True:
        parent = [-1] * n
        parent[s] = s
        q = deque([s])
        while q and parent[t] == -1:
            i = q.popleft()
            for j in adj[i]:
                if parent[j] == -1 and cap[i][j] > tiny:
                    parent[j] = i
                    q.append(j)
        if parent[t] == -1:
            return total
        b, j = float("inf"), t
        while j != s:
            b = min(b, cap[parent[j]][j])
            j = parent[j]
        j = t
        while j != s:
            i = parent[j]
            cap[i][j] -= b
            cap[j][i] += b
            j = i
        total += b


def max_split_deficit(dx_plane: np.ndarray, dy_plane: np.ndarray, is_max: np.ndarray, rows, cols) -> float:
    """How far one (H, W) plane of dx is from every valid max-pooling subgradient.

    Valid: dx = sum_w dy_w p_w with p_w >= 0 on window w's maxima, summing to 1.
    Writing g_{w,p} = dy_w p_{w,p}, this is a transportation problem: windows
    with dy_w > 0 supply dy_w to their maxima, windows with dy_w < 0 draw -dy_w
    from them, and every position p must end with exactly dx_p. It is feasible
    iff a maximum flow saturates every source and sink edge; the unsaturated
    amount (0 for a valid dx) is returned. Exact up to rounding, never lenient.
    """
    H, W = dx_plane.shape
    Ho, Wo = dy_plane.shape
    nw, npos = Ho * Wo, H * W
    s, t = 0, 1
    wnode = lambda i, j: 2 + i * Wo + j  # noqa: E731
    pnode = lambda r, c: 2 + nw + r * W + c  # noqa: E731
    n = 2 + nw + npos
    cap = [[0.0] * n for _ in range(n)]
    inf = float("inf")
    for i in range(Ho):
        for j in range(Wo):
            d = float(dy_plane[i, j])
            if d == 0.0:
                continue
            w = wnode(i, j)
            for o in np.flatnonzero(is_max[i, j]):
                p = pnode(int(rows[i, j, o]), int(cols[i, j, o]))
                if d > 0:
                    cap[w][p] = inf
                else:
                    cap[p][w] = inf
            if d > 0:
                cap[s][w] = d
            else:
                cap[w][t] = -d
    for r in range(H):
        for c in range(W):
            v = float(dx_plane[r, c])
            if v > 0:
                cap[pnode(r, c)][t] = v
            elif v < 0:
                cap[s][pnode(r, c)] = -v
    supply, demand = sum(cap[s]), sum(cap[i][t] for i in range(n))
    scale = max(supply, demand, 1e-300)
    flow = _max_flow(cap, s, t, tiny=1e-15 * scale)
    return max(supply - flow, demand - flow)


def maxpool_subgradient_compare(case, actual, expected, tol: Tol, fn: str) -> None:
    """Accept dx iff it is a sum over windows of valid splits of dy over each window's tied maxima.

    Positions that are not a tied maximum of a window with a tie (and dy != 0)
    receive the same gradient from every valid split: there dx is compared
    elementwise with autograd. Each plane holding such ties is then decided
    exactly by :func:`max_split_deficit`.
    """
    __tracebackhide__ = True
    x, k, stride, dy = case.args
    a = np.asarray(actual, dtype=np.float64)
    dy = np.asarray(dy, dtype=np.float64)
    is_max, rows, cols = _window_maxima(x, k, stride)
    tied = (is_max.sum(axis=-1) > 1) & (dy != 0)  # (N,C,Ho,Wo)
    amb = np.zeros(a.shape, dtype=bool)
    Nn, C = a.shape[:2]
    for n in range(Nn):
        for c in range(C):
            for i, j in zip(*np.nonzero(tied[n, c])):
                m = is_max[n, c, i, j]
                amb[n, c, rows[i, j][m], cols[i, j][m]] = True
    where = f"{fn} -> dx"
    if not np.isfinite(a).all():
        i = tuple(int(v) for v in np.argwhere(~np.isfinite(a))[0])
        fail(Verdict.NONFINITE, f"{where}: {int((~np.isfinite(a)).sum())} non-finite value(s) (nan/inf); first at index {i}: {a[i]!r}")
    assert_array_close(a, np.asarray(expected, dtype=np.float64), tol, where, mask=~amb)
    for n in range(Nn):
        for c in range(C):
            if not amb[n, c].any():
                continue
            deficit = max_split_deficit(a[n, c], dy[n, c], is_max[n, c], rows, cols)
            # a valid dx has sum|dx| <= sum|dy|: the slack must not grow with a wrong, huge dx
            allowed = tol.atol * a[n, c].size + 2 * tol.rtol * np.abs(dy[n, c]).sum()
            if deficit > allowed:
                fail(
                    Verdict.MISMATCH,
                    f"{where}: at the ties of plane (n={n}, c={c}) dx is not a valid subgradient: it cannot be"
                    " written as a sum over pooling windows of a split of each window's dy over that window's"
                    " tied maxima (non-negative weights summing to 1; overlapping windows add up)."
                    f" Gradient mass that no valid split explains: {deficit:.6g} (up to {allowed:.3g} allowed).\n"
                    f"  got dx[{n}, {c}] = {a[n, c].tolist()}\n"
                    f"  one valid dx[{n}, {c}] = {np.asarray(expected)[n, c].tolist()}",
                )


# ---------------------------------------------------------------- k-max pooling: every valid choice


def kmax_choices(row: np.ndarray, k: int) -> list[tuple[int, ...]]:
    """Every valid choice of k positions of a 1-d row (in time order): all values above the
    k-th largest, plus any subset of the right size of the positions equal to it."""
    thr = np.sort(row)[::-1][k - 1]
    gt = [int(i) for i in np.flatnonzero(row > thr)]
    eq = [int(i) for i in np.flatnonzero(row == thr)]
    return [tuple(sorted(gt + list(sub))) for sub in combinations(eq, k - len(gt))]


def _kmax_rows(x):
    x = np.asarray(x, dtype=np.float64)
    return [(n, c) for n in range(x.shape[0]) for c in range(x.shape[1])]


def _close(a, e, tol: Tol) -> bool:
    return bool(np.all(np.abs(a - e) <= tol.atol + tol.rtol * np.abs(e)))


def _kmax_compare(candidate, what: str):
    """A comparison accepting, row by row, the result of any valid choice of positions."""

    def compare(case, actual, expected, tol: Tol, fn: str) -> None:
        __tracebackhide__ = True
        x, k = case.args[0], case.args[1]
        x = np.asarray(x, dtype=np.float64)
        a = np.asarray(actual, dtype=np.float64)
        where = f"{fn} -> {what}"
        unique = np.ones(a.shape, dtype=bool)
        ambiguous = []
        for n, c in _kmax_rows(x):
            if len(kmax_choices(x[n, c], k)) > 1:
                unique[n, c] = False
                ambiguous.append((n, c))
        assert_array_close(a, np.asarray(expected, dtype=np.float64), tol, where, mask=unique)
        for n, c in ambiguous:
            choices = kmax_choices(x[n, c], k)
            cands = [candidate(case, n, c, pos) for pos in choices]
            if not np.isfinite(a[n, c]).all():
                fail(Verdict.NONFINITE, f"{where}: non-finite value(s) in row (n={n}, c={c}): {a[n, c].tolist()}")
            if not any(_close(a[n, c], e, tol) for e in cands):
                shown = "\n".join(f"    positions {list(p)}: {e.tolist()}" for p, e in list(zip(choices, cands))[:4])
                more = f"\n    ... ({len(cands) - 4} more)" if len(cands) > 4 else ""
                fail(
                    Verdict.MISMATCH,
                    f"{where}: row (n={n}, c={c}) has a tie at the k-th largest value (k={k}); any valid choice of"
                    f" positions is accepted, but the result matches none of them.\n  got {a[n, c].tolist()}\n"
                    f"  valid results (the k largest in time order{', dy unsplit at the chosen positions' if what == 'dx' else ''}):\n"
                    f"{shown}{more}",
                )

    return compare


def _kmax_forward_candidate(case, n, c, pos):
    return np.asarray(case.args[0], dtype=np.float64)[n, c, list(pos)]


def _kmax_backward_candidate(case, n, c, pos):
    x, k, dy = case.args
    out = np.zeros(np.shape(x)[2], dtype=np.float64)
    out[list(pos)] = np.asarray(dy, dtype=np.float64)[n, c]
    return out


# ---------------------------------------------------------------- entries

_TOL = Tol(rtol=1e-7, atol=1e-12)
_SRC_MAX = Source("002", "§6 CNN (图像)", "y = max over each k×k window",
                  "最大池化： 每次选取每个区域的最大值作为该区域的特征值，得到新的特征值（保留高频特征）")
_SRC_AVG = Source("002", "§6 CNN (图像)", "y = mean over each k×k window",
                  "平均池化： 每次选取每个区域的均值作为该区域的特征值，得到新的特征值（保留低频特征）")
_SRC_KMAX = Source("002", "§6 CNN (文本)", "k-max pooling: the K largest of each vector",
                   "k-max pooling: 1-max pooling 每个卷积核可能丢掉其他该核的重要特征 每个向量选最大 K 个特征, 拼成 Kn 维向量")

register(Formula(
    id="pool.maxpool2d",
    source=_SRC_MAX,
    reference=ref.maxpool2d,
    strategy=lambda: pool_case(backward=False),
    outputs=("y",),
    oracles=(
        Oracle("torch:F.max_pool2d", _t_maxpool, description="F.max_pool2d(x, k, stride), no padding"),
        Oracle("torch", _t_maxpool_unfold, description="x.unfold(2,k,s).unfold(3,k,s).amax over the window"),
    ),
    points=1, tol=_TOL,
    summary="x (N,C,H,W) -> (N,C,Ho,Wo), no padding, floor mode; overlapping windows and ties drawn",
))

register(Formula(
    id="pool.maxpool2d_backward",
    source=Source("004", "池化的作用是什么 (最大池化)", "dx = Σ_windows dy_w · 1[p = argmax_w]",
                  "常见的池化操作（如最大池化）通过选取局部区域内的最大值来保留重要特征"),
    reference=ref.maxpool2d_backward,
    strategy=pool_case,
    outputs=("dx",),
    oracles=(
        Oracle("torch:F.max_pool2d", _t_maxpool_bw, description="autograd of F.max_pool2d (dy to one maximum per window)"),
        Oracle("torch", _t_maxpool_unfold_bw, description="autograd of unfold + amax (dy split evenly over tied maxima)"),
    ),
    compare=maxpool_subgradient_compare,
    points=2, tol=_TOL,
    summary="overlapping windows add up; at ties any split of each window's dy over its tied maxima",
))

register(Formula(
    id="pool.avgpool2d_backward",
    source=_SRC_AVG,
    reference=ref.avgpool2d_backward,
    strategy=pool_case,
    outputs=("dx",),
    oracles=(
        Oracle("torch:F.avg_pool2d", _t_avgpool_bw, description="autograd of F.avg_pool2d, no padding"),
        Oracle("torch", _t_avgpool_unfold_bw, description="autograd of unfold + mean over the window"),
    ),
    points=1, tol=_TOL,
    summary="dx = Σ over windows containing p of dy_w / k²",
))

register(Formula(
    id="pool.kmax_pool",
    source=_SRC_KMAX,
    reference=ref.kmax_pool,
    strategy=lambda: kmax_case(backward=False),
    outputs=("y",),
    oracles=(Oracle("torch", _t_kmax, description="torch.topk indices, sorted into time order, gathered"),),
    compare=_kmax_compare(_kmax_forward_candidate, "y"),
    points=1, tol=_TOL,
    summary="k largest per row in time order; at a tie on the k-th largest any valid choice",
))

register(Formula(
    id="pool.kmax_pool_backward",
    source=_SRC_KMAX,
    reference=ref.kmax_pool_backward,
    strategy=kmax_case,
    outputs=("dx",),
    oracles=(Oracle("torch", _t_kmax_bw, description="autograd of the topk + sort + gather rebuild"),),
    compare=_kmax_compare(_kmax_backward_candidate, "dx"),
    points=1, tol=_TOL,
    summary="dy[j] to the j-th chosen position (time order), unsplit; any valid choice at a tie",
))
