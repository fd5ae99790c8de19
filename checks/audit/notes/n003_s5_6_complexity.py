"""Audit of notes 003 (the 1997 LSTM paper's appendix, explained), ``003_a1ac6faffcdc08b6.md``:
§5.6 权重更新算法的时间复杂度: the weight count, checked against the 1997
model's actual parameter count (:mod:`checks.audit.lstm1997`), its order,
the operation-count sum (SymPy) and eq. (29)."""

from __future__ import annotations

import itertools

from checks.audit import lstm1997 as L
from checks.audit.common import EXACT
from checks.audit.model import FILES, collector, Truth
from checks.strategies import Case, st

ENTRIES, entry = collector(FILES["003"])


@st.composite
def _size_cases(draw):
    K, H, C, S, D = (draw(st.integers(1, 4)) for _ in range(5))
    return Case((K, H, C, S, D + H + C * S + 1))


def _param_count(K, H, C, S, I):
    z = L.Sizes(D=I - H - C * S - 1, H=H, C=C, S=S, K=K)
    return sum(p.numel() for p in L.model(z).parameters())


entry(
    id="003.weight_count", location="§5.6 权重更新算法的时间复杂度 (line 165)",
    quote="所有权重数据的个数为 W = KH + KCS + CSI + 2CI + HI.",
    claim="The number of weights of the original LSTM.",
    as_written=lambda K, H, C, S, I: K * H + K * C * S + C * S * I + 2 * C * I + H * I,
    correct=(Truth("parameter count of the LSTM1997 torch module", _param_count),),
    strategy=lambda: _size_cases(), tol=EXACT,
    checked="K, H, C, S in 1..4 and I = D + H + C·S + 1 (inputs, hidden and cell outputs, a bias unit), D in 1..4",
    topics=("lstm1997", "count"),
)


def _ratio_bound(expr_num, expr_den, bound):
    worst = 0.0
    for K, H, C, S, I in itertools.product(range(1, 7), repeat=5):
        worst = max(worst, expr_num(K, H, C, S, I) / expr_den(K, H, C, S, I))
    return worst <= bound


_W = lambda K, H, C, S, I: K * H + K * C * S + C * S * I + 2 * C * I + H * I  # noqa: E731
_Wo = lambda K, H, C, S, I: K * H + K * C * S + C * S * I + H * I  # noqa: E731

entry(
    id="003.weight_count_order", location="§5.6 (line 171)",
    quote="更新所有权重需要 KH + KCS + CSI + 2CI + HI 步操作, O(W) = O(KH+KCS+CSI+HI)",
    claim="Dropping 2CI does not change the order: W ≤ 3·(KH + KCS + CSI + HI) for all sizes ≥ 1.",
    as_written=lambda: True,
    correct=(Truth("max of W / (KH+KCS+CSI+HI) over all sizes 1..6 is ≤ 3 (2CI ≤ 2CSI)", lambda: _ratio_bound(_W, _Wo, 3.0)),),
    tol=EXACT, checked="all K, H, C, S, I in 1..6", topics=("lstm1997", "count"),
)


def _sympy_sum():
    import sympy
    K, H, C, S, I = sympy.symbols("K H C S I", positive=True)
    listed = [K, K * H, K * C * S, K * (H + C), H * I, C * I, K * C * S, C * S * I, C * S * I, C * S * I, C * S * I]
    total = sympy.expand(sum(listed))  # (19), (20), (21), (22) l=k, l=i, l=out, (23), (25), (26), (27), (28)
    return {str(m): int(c) for m, c in sympy.Poly(total, K, H, C, S, I).terms()}


def _sympy_claimed():
    import sympy
    K, H, C, S, I = sympy.symbols("K H C S I", positive=True)
    claimed = sympy.sympify("K + 2*K*H + K*C + 2*K*C*S + H*I + C*I + 4*C*S*I", locals=dict(K=K, H=H, C=C, S=S, I=I))
    return {str(m): int(c) for m, c in sympy.Poly(claimed, K, H, C, S, I).terms()}


entry(
    id="003.operation_count_sum", location="§5.6, the sum of the per-equation costs (line 183)",
    quote="K + KH + KCS + K(H+C) + HI + CI + KCS + 4CSI = K + 2KH + KC + 2KCS + HI + CI + 4CSI",
    claim="The per-equation operation counts of (19)-(28) add up to K + 2KH + KC + 2KCS + HI + CI + 4CSI.",
    as_written=_sympy_claimed,
    correct=(Truth("SymPy expand of the listed costs (19) K, (20) KH, (21) KCS, (22) K(H+C), HI, CI, (23) KCS, (25)-(28) CSI each", _sympy_sum),),
    tol=EXACT, checked="SymPy polynomial coefficients in K, H, C, S, I", topics=("lstm1997", "count"),
)

_OPS = lambda K, H, C, S, I: K + 2 * K * H + K * C + 2 * K * C * S + H * I + C * I + 4 * C * S * I  # noqa: E731

entry(
    id="003.eq29_order", location="§5.6, eq. (29)",
    quote="= O(KH+KCS+CSI+HI) … 因此可以得到LSTM每一时间步的计算时间复杂度为: O(KH+KCS+CSI + HI)=O(W) (29)",
    claim="The per-step cost is O(W): K + 2KH + KC + 2KCS + HI + CI + 4CSI ≤ 5·(KH+KCS+CSI+HI) ≤ 5W for all sizes ≥ 1.",
    as_written=lambda: True,
    correct=(Truth("max of the operation count / (KH+KCS+CSI+HI) over all sizes 1..6 is ≤ 5", lambda: _ratio_bound(_OPS, _Wo, 5.0)),),
    tol=EXACT, checked="all K, H, C, S, I in 1..6", topics=("lstm1997", "count"),
)
