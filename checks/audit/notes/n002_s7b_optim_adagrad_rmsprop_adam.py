"""Audit of notes 002 (study notes), ``002_1feb5fa5caddec6d.md``:
§7 优化算法, eqs. (6)-(14): AdaGrad, RMSProp, Adam (moments, bias
correction, step, defaults), and the cost of a Hessian (7 Jacobians and
Hessians)."""

from __future__ import annotations

import numpy as np

from checks.audit.common import EPS0, EXACT, EXPONENT, LOOSE, TIGHT, R, fit_exponents, flops, ints, ref, sweep, torch_opt, vec
from checks.audit.model import FILES, collector, Truth
from checks.strategies import Case, array, st
from checks.oracles.torchlib import torch

ENTRIES, entry = collector(FILES["002"])


# =====================================================================
# §7 optimisers, eqs. (6)-(14)
# =====================================================================


@st.composite
def _ada_cases(draw, eps_choices=(1e-10, 1e-8, 1e-4, 1e-1)):
    d = draw(ints(1, 4))
    scale = draw(st.sampled_from([1.0, 1.0, 1e-3]))
    return Case((draw(vec(d)), draw(vec(d)) * scale, draw(array((d,), 0.01, 4)) * scale ** 2,
                 draw(st.floats(1e-2, 1.0)), draw(st.sampled_from(eps_choices))))


entry(
    id="002.7.eq6_adagrad_s", location="§7 优化算法, 4 AdaGrad, eq. (6)",
    quote="s ← s + ∇_θ J(θ) ⊗ ∇_θ J(θ) (6)",
    claim="AdaGrad accumulates the squared gradients.",
    as_written=lambda theta, g, s, lr, eps: s + g * g,
    correct=(ref("adagrad_step", lambda f: lambda *a: f(*a)[1], "reference.adagrad_step -> s"),
             Truth("torch.optim.Adagrad state 'sum'", lambda th, g, s, lr, eps: torch_opt("Adagrad", th, g, {"sum": s}, lr=lr, eps=eps)[1]["sum"])),
    strategy=lambda: _ada_cases(), tol=TIGHT, checked="θ, g, s (d,), d in 1..4; s in [0.01, 4]·scale²; gradients of scale 1 or 1e-3",
    topics=("optim", "adagrad"),
)


def _adagrad_notes(theta, g, s, lr, eps):
    s = s + g * g                                # (6)
    return theta - lr * g / np.sqrt(s + eps), s  # (7)


_EPS0 = lambda c: Case(c.args[:-1] + (EPS0,))  # noqa: E731  the variants coincide for eps -> 0

entry(
    id="002.7.eq7_adagrad", location="§7 优化算法, 4 AdaGrad, eq. (7)",
    quote="θ ← θ - η∇_θ J(θ) ⊘ sqrt(s + ε) (7)",
    claim="AdaGrad's step divides by sqrt(s + ε).",
    as_written=_adagrad_notes,
    correct=(ref("adagrad_step"), Truth("torch.optim.Adagrad", lambda th, g, s, lr, eps: (lambda r: (r[0], r[1]["sum"]))(torch_opt("Adagrad", th, g, {"sum": s}, lr=lr, eps=eps)))),
    strategy=lambda: _ada_cases(), tol=TIGHT, kind="variant",
    convention="ε inside the square root, sqrt(s + ε); torch.optim and the contract use sqrt(s) + ε; they coincide for ε -> 0",
    case_map=_EPS0,
    matters="the step differs by a factor (sqrt(s)+ε)/sqrt(s+ε): ≈ 1 when s ≫ ε² and s ≫ ε; it matters for tiny accumulated gradients (s ≲ ε, e.g. rare features or ε ~ 1e-4..1e-1), where ε inside caps the step at η g/√ε instead of η g/ε.",
    checked="θ, g, s (d,), d in 1..4; s in [0.01, 4]·scale²; gradients of scale 1 or 1e-3; ε in {1e-10, 1e-8, 1e-4, 1e-1}",
    topics=("optim", "adagrad"),
)

entry(
    id="002.7.adagrad_text_sum", location="§7 优化算法, 4 AdaGrad, text after eq. (7) (line 298)",
    quote="这个缩放操作是通过除以 sqrt(s + ε) 来完成的, s 一直在累加各维梯度之和 (会越来越来)",
    claim="s accumulates the sum of the gradients.",
    as_written=lambda theta, g, s, lr, eps: s + g,
    correct=(ref("adagrad_step", lambda f: lambda *a: f(*a)[1], "reference.adagrad_step -> s"),),
    strategy=lambda: _ada_cases(), tol=TIGHT, checked="θ, g, s (d,), d in 1..4",
    correction="s accumulates the SQUARED gradients g⊗g (eq. (6)); that is why it only grows ('越来越大') and why the step shrinks.",
    topics=("optim", "adagrad"),
)


@st.composite
def _rms_cases(draw):
    c = draw(_ada_cases())
    theta, g, s, lr, eps = c.args
    return Case((theta, g, s, lr, draw(st.floats(0.5, 0.999)), eps))


entry(
    id="002.7.eq8_rmsprop_s", location="§7 优化算法, 5 RMSProp, eq. (8)",
    quote="s ← βs + (1 - β)∇_θ J(θ) ⊗ ∇_θ J(θ) (8)",
    claim="RMSProp's exponential moving average of squared gradients.",
    as_written=lambda theta, g, s, lr, beta, eps: beta * s + (1 - beta) * g * g,
    correct=(ref("rmsprop_step", lambda f: lambda *a: f(*a)[1], "reference.rmsprop_step -> s"),
             Truth("torch.optim.RMSprop state 'square_avg'", lambda th, g, s, lr, b, eps: torch_opt("RMSprop", th, g, {"step": 0, "square_avg": s}, lr=lr, alpha=b, eps=eps)[1]["square_avg"])),
    strategy=lambda: _rms_cases(), tol=TIGHT, checked="θ, g, s (d,), d in 1..4; β in [0.5, 0.999]",
    topics=("optim", "rmsprop"),
)


def _rmsprop_notes(theta, g, s, lr, beta, eps):
    s = beta * s + (1 - beta) * g * g            # (8)
    return theta - lr * g / np.sqrt(s + eps), s  # (9)


def _rms_torch(th, g, s, lr, b, eps):
    r = torch_opt("RMSprop", th, g, {"step": 0, "square_avg": s}, lr=lr, alpha=b, eps=eps)
    return r[0], r[1]["square_avg"]


entry(
    id="002.7.eq9_rmsprop", location="§7 优化算法, 5 RMSProp, eq. (9)",
    quote="θ ← θ - η∇_θ J(θ) ⊘ sqrt(s + ε) (9)",
    claim="RMSProp's step divides by sqrt(s + ε).",
    as_written=_rmsprop_notes, correct=(ref("rmsprop_step"), Truth("torch.optim.RMSprop", _rms_torch)),
    strategy=lambda: _rms_cases(), tol=TIGHT, kind="variant",
    convention="ε inside the square root; torch.optim.RMSprop and the contract use sqrt(s) + ε; they coincide for ε -> 0",
    case_map=_EPS0,
    matters="as for AdaGrad: only when s is comparable to ε (tiny gradients, large ε); then ε inside gives a step up to sqrt(1/ε) times larger than torch's.",
    checked="θ, g, s (d,), d in 1..4; β in [0.5, 0.999]; gradients of scale 1 or 1e-3; ε in {1e-10, 1e-8, 1e-4, 1e-1}",
    topics=("optim", "rmsprop"),
)


def _rms_weights_truth(t, beta):
    """Weight of the squared gradient j steps back in s_t (from s_0 = 0): impulse responses of reference.rmsprop_step."""
    w = []
    for j in range(t):
        s = np.zeros(1)
        for step in range(t):
            g = np.ones(1) if step == t - 1 - j else np.zeros(1)
            _, s = R("rmsprop_step")(np.zeros(1), g, s, 1e-3, beta, 1e-8)
        w.append(float(s[0]))
    return w


entry(
    id="002.7.rmsprop_text_recent", location="§7 优化算法, 5 RMSProp, text before eq. (8) (line 302)",
    quote="RMSProp 通过只累加最近一次的梯度来解决这个问题 (AdaGrad 是累加之前所有的梯度)",
    claim="RMSProp accumulates only the most recent gradient.",
    as_written=lambda t, beta: [1.0] + [0.0] * (t - 1),
    correct=(Truth("weights of past squared gradients in s_t (impulse responses of reference.rmsprop_step)", _rms_weights_truth),),
    strategy=lambda: st.tuples(ints(1, 5), st.sampled_from([0.5, 0.9, 0.99])).map(lambda a: Case(a)), tol=LOOSE,
    checked="t in 1..5 steps, β in {0.5, 0.9, 0.99}",
    correction="s is an exponential moving average of ALL past squared gradients: the one j steps back has weight (1-β)β^j (eq. (8)); old gradients fade geometrically instead of accumulating, which is what fixes AdaGrad's ever-shrinking step.",
    topics=("optim", "rmsprop"),
)


@st.composite
def _adam_cases(draw, eps=None):
    d = draw(ints(1, 4))
    g = draw(vec(d))
    g = np.where(np.abs(g) < 0.05, 0.5, g)
    return Case((draw(vec(d)), g, draw(vec(d)), draw(array((d,), 0.01, 4)), draw(ints(1, 6)),
                 draw(st.floats(1e-3, 0.5)), draw(st.sampled_from([0.9, 0.5, 0.0])), draw(st.sampled_from([0.999, 0.9])),
                 eps if eps is not None else draw(st.sampled_from([1e-8, 1e-4, 1e-1]))))


def _adam_torch(theta, g, m, s, t, lr, b1, b2, eps):
    th, stt = torch_opt("Adam", theta, g, {"step": t - 1, "exp_avg": m, "exp_avg_sq": s}, lr=lr, betas=(b1, b2), eps=eps)
    return th, stt["exp_avg"], stt["exp_avg_sq"]


_ADAM_TRUTHS = (ref("adam_step"), Truth("torch.optim.Adam", _adam_torch))
_ADAM_CHECKED = "θ, g, m (d,), s in [0.01,4], d in 1..4; t in 1..6; η in [1e-3,0.5]; β1 in {0.9,0.5,0}, β2 in {0.999,0.9}"

entry(
    id="002.7.eq10_adam_m", location="§7 优化算法, 6 Adam, eq. (10)",
    quote="m ← β_1 m + (1 - β_1)∇_θ J(θ) (10)",
    claim="Adam's first moment.",
    as_written=lambda theta, g, m, s, t, lr, b1, b2, eps: b1 * m + (1 - b1) * g,
    correct=(ref("adam_step", lambda f: lambda *a: f(*a)[1], "reference.adam_step -> m"), Truth("torch.optim.Adam exp_avg", lambda *a: _adam_torch(*a)[1])),
    strategy=lambda: _adam_cases(), tol=TIGHT, checked=_ADAM_CHECKED, topics=("optim", "adam"),
)

entry(
    id="002.7.eq11_adam_s", location="§7 优化算法, 6 Adam, eq. (11)",
    quote="s ← β_2 s + (1 - β_2)∇_θ J(θ) ⊗ ∇_θ J(θ) (11)",
    claim="Adam's second moment.",
    as_written=lambda theta, g, m, s, t, lr, b1, b2, eps: b2 * s + (1 - b2) * g * g,
    correct=(ref("adam_step", lambda f: lambda *a: f(*a)[2], "reference.adam_step -> s"), Truth("torch.optim.Adam exp_avg_sq", lambda *a: _adam_torch(*a)[2])),
    strategy=lambda: _adam_cases(), tol=TIGHT, checked=_ADAM_CHECKED, topics=("optim", "adam"),
)


def _adam_eq12_literal(theta, g, m, s, t, lr, b1, b2, eps):
    """(10), (11), then (12) literally: m ← m/(1-β1) (overwriting m, no t); (13) done right; eps outside (library)."""
    m = b1 * m + (1 - b1) * g
    s = b2 * s + (1 - b2) * g * g
    m = m / (1 - b1)                       # (12)
    s_hat = s / (1 - b2 ** t)
    return theta - lr * m / (np.sqrt(s_hat) + eps), m, s


def _adam_eq13_literal(theta, g, m, s, t, lr, b1, b2, eps):
    """(10), (11), (12) done right, then (13) literally: s ← s/(1-β2) (overwriting s, no t); eps outside (library)."""
    m = b1 * m + (1 - b1) * g
    s = b2 * s + (1 - b2) * g * g
    m_hat = m / (1 - b1 ** t)
    s = s / (1 - b2)                       # (13)
    return theta - lr * m_hat / (np.sqrt(s) + eps), m, s


_ADAM_FIX = ("m̂ = m/(1-β1^t) and ŝ = s/(1-β2^t) with t the 1-based step number, kept as NEW variables: the stored m and s stay "
             "uncorrected (overwriting them compounds the correction every step), then θ ← θ - η m̂ ⊘ (sqrt(ŝ) + ε). "
             "Without the exponent t the correction is right only at t = 1.")

entry(
    id="002.7.eq12_adam_m_hat", location="§7 优化算法, 6 Adam, eq. (12)",
    quote="m ← m / (1 - β_1) (12)",
    claim="Adam's bias correction of m: m ← m/(1 - β1).",
    as_written=_adam_eq12_literal, correct=_ADAM_TRUTHS, strategy=lambda: _adam_cases(), tol=LOOSE,
    checked=_ADAM_CHECKED + "; eps in {1e-8, 1e-4, 0.1} (outside the root on both sides)",
    correction=_ADAM_FIX, topics=("optim", "adam"),
)

entry(
    id="002.7.eq13_adam_s_hat", location="§7 优化算法, 6 Adam, eq. (13)",
    quote="s ← s / (1 - β_2) (13)",
    claim="Adam's bias correction of s: s ← s/(1 - β2).",
    as_written=_adam_eq13_literal, correct=_ADAM_TRUTHS, strategy=lambda: _adam_cases(), tol=LOOSE,
    checked=_ADAM_CHECKED + "; eps in {1e-8, 1e-4, 0.1} (outside the root on both sides)",
    correction=_ADAM_FIX, topics=("optim", "adam"),
)


def _adam_eq14_inside(theta, g, m, s, t, lr, b1, b2, eps):
    """(10), (11), correct bias correction, then (14): θ ← θ - η m ⊘ sqrt(s + ε) (eps inside)."""
    m = b1 * m + (1 - b1) * g
    s = b2 * s + (1 - b2) * g * g
    m_hat, s_hat = m / (1 - b1 ** t), s / (1 - b2 ** t)
    return theta - lr * m_hat / np.sqrt(s_hat + eps), m, s


entry(
    id="002.7.eq14_adam_step", location="§7 优化算法, 6 Adam, eq. (14)",
    quote="θ ← θ - η m ⊘ sqrt(s + ε) (14)",
    claim="Adam's step divides by sqrt(ŝ + ε).",
    as_written=_adam_eq14_inside, correct=_ADAM_TRUTHS, strategy=lambda: _adam_cases(), tol=LOOSE, kind="variant",
    convention="ε inside the square root (with the bias corrections of the Adam paper); torch.optim.Adam and the contract use sqrt(ŝ) + ε; they coincide for ε -> 0",
    case_map=_EPS0,
    matters="negligible at the default ε = 1e-8 unless ŝ ≲ 1e-8 (gradients ~1e-4 or smaller), where ε inside bounds the step by η m̂/√ε (≈ 1e4 η m̂) while torch's is bounded by η m̂/ε; with large ε (1e-4 .. 1e-1, sometimes used for stability) the steps differ visibly.",
    checked=_ADAM_CHECKED + "; eps in {1e-8, 1e-4, 0.1}",
    topics=("optim", "adam"),
)


def _adam_defaults():
    import inspect
    tch = torch()
    sig = inspect.signature(tch.optim.Adam.__init__).parameters
    b1, b2 = sig["betas"].default
    return {"beta1": float(b1), "beta2": float(b2), "eps": float(sig["eps"].default)}


entry(
    id="002.7.adam_defaults", location="§7 优化算法, 6 Adam (line 333)",
    quote="一般根据经验我们将 β_1 设置为 0.9, β_2 设置为 0.999, 平滑系数 ε 一般设置为一个非常小的数 (比如 10^{-8})",
    claim="Adam's usual hyper-parameters: β1 = 0.9, β2 = 0.999, ε = 1e-8.",
    as_written=lambda: {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
    correct=(Truth("torch.optim.Adam defaults", _adam_defaults),), tol=EXACT, checked="the defaults of torch.optim.Adam",
    topics=("optim", "adam"),
)


def _hessian_cost(n):
    tch = torch()
    X, y = tch.randn(16, n), tch.randn(16, 1)
    theta = tch.randn(n, 1)  # 2-d, so that the products are matrix products FlopCounterMode counts
    return flops(lambda: tch.autograd.functional.hessian(lambda th: ((X @ th - y) ** 2).sum(), theta))


entry(
    id="002.7.hessian_cost", location="§7 Jacobians and Hessians (line 338)",
    quote="但是这种方式的时间复杂度是 O(n^2) (n 是参数个数)",
    claim="Second-order (Hessian) methods cost O(n²) in the number of parameters n.",
    as_written=lambda: {"n": 2.0},
    correct=(Truth("FlopCounterMode of torch.autograd.functional.hessian (least squares, 16 samples), fitted exponent",
                   lambda: fit_exponents(sweep(_hessian_cost, {"n": [16, 32, 64, 128]}))),),
    tol=EXPONENT, checked="FLOPs of the Hessian of ‖Xθ - y‖² (X 16×n) for n in {16,32,64,128}; tolerance 0.1 (forming the Hessian; inverting it would be O(n³))",
    topics=("optim",),
)
