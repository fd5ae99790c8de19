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

import reference.pool as ref
from checks.core.compare import Tol
from checks.formulas import Strategies, moved
from checks.judges.kmax import _kmax_backward_candidate, _kmax_compare, _kmax_forward_candidate
from checks.judges.subgradient import maxpool_subgradient_compare
from checks.oracles.pool import _t_avgpool_bw, _t_avgpool_unfold_bw, _t_kmax, _t_kmax_bw, _t_maxpool, _t_maxpool_bw, _t_maxpool_unfold, _t_maxpool_unfold_bw
from checks.registry import Formula, Oracle, Source, register


S = Strategies("pool")

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
    strategy=lambda: S.pool_cases(backward=False),
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
    strategy=S.pool_cases,
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
    strategy=S.pool_cases,
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
    strategy=lambda: S.kmax_cases(backward=False),
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
    strategy=S.kmax_cases,
    outputs=("dx",),
    oracles=(Oracle("torch", _t_kmax_bw, description="autograd of the topk + sort + gather rebuild"),),
    compare=_kmax_compare(_kmax_backward_candidate, "dx"),
    points=1, tol=_TOL,
    summary="dy[j] to the j-th chosen position (time order), unsplit; any valid choice at a tie",
))

# names that lived here before the split (tests/test_*_extra.py, benchmarks/ import them from this module)
__getattr__ = moved("checks.strategies.pool", "checks.oracles.pool", "checks.judges.subgradient", "checks.judges.kmax", "checks.judges.maxflow")
