"""Side by side: formulacheck, torch.autograd.gradcheck and a CS231n-style numeric gradient check.

The comparison a user makes before choosing a tool, measured in ONE run on the
same mutants (``tests/mutants``), the same correct variants (``tests/variants``,
when present) and the same formulas:

* **formulacheck** -- every oracle of the registry entry, ``profile="grade"``,
  ``shrink=False``; an implementation fails when any oracle fails;
* **gradcheck** -- ``torch.autograd.gradcheck`` (default, and ``fast_mode=True``)
  of a ``torch.autograd.Function`` whose forward is the REFERENCE forward
  (numpy) and whose backward is the numpy backward under test, in float64;
* **CS231n numeric** -- central differences (h = 1e-5) of ``sum(forward(x) * dout)``,
  as ``eval_numerical_gradient_array`` of the CS231n assignments, compared by
  the relative error ``|a - n| / max(|a|, |n|)`` (floored at 1e-8 as their
  ``rel_error``) < 1e-7, the bar of the CS231n notes; a second row uses their
  "okay for objectives with kinks" bar, 1e-4.

The external tools check gradients only: a backward, a gradient, a Jacobian,
a Hessian (:data:`SPECS` says, per formula, which forward each is the
derivative of). They get the same ``--inputs`` cases per formula (default 20),
drawn once from the formula's own strategy with ``checks.run.draw.cases``,
and stop at the first failing case (as formulacheck stops at its first
failing oracle). Formulas they cannot check are listed as "n/a" with the
reason (:data:`NA`); formulacheck's catch on those formulas' mutants is a
separate row (their variants with ``--forward-variants``: +3 min).

    python benchmarks/bench_tools.py            # full run (2.5 min, idle 2 cores), writes benchmarks/RESULTS-tools.md
    python benchmarks/bench_tools.py --quick    # a few formulas, prints only
    python benchmarks/bench_tools.py --formulas pool.maxpool2d_backward,norm.batchnorm_backward --inputs 10

Adding a tool (e.g. formulacheck from a vectors file) is one function
``tool(pairs: list[(Formula, fn)]) -> list[Outcome]`` and one line in
:func:`gradient_tools` or :func:`forward_tools`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import reference as R  # noqa: E402
from checks import registry  # noqa: E402
from checks.core.case import Case  # noqa: E402
from checks.run import draw  # noqa: E402

RESULTS = os.path.join(ROOT, "benchmarks", "RESULTS-tools.md")
H = 1e-5            # CS231n's h
STRICT = 1e-7       # CS231n notes: "1e-7 and less you should be happy"
KINKS = 1e-4        # CS231n notes: "1e-4 > relative error is usually okay for objectives with kinks"
QUICK = ("activations.sigmoid_backward", "activations.relu_backward", "reductions.max_backward",
         "norm.batchnorm_backward", "pool.maxpool2d_backward", "softmax.softmax", "pool.maxpool2d")


# ---------------------------------------------------------------- what a gradient formula is the derivative of

@dataclass(frozen=True)
class Spec:
    """A gradient formula as an external gradient checker sees it.

    ``wrt(case, rng)`` the differentiable inputs (copies); ``fwd(case, ps)`` the
    forward's outputs (a list of float arrays) at ``ps``; ``vjp(fn, case, ps,
    douts)`` the gradients the implementation ``fn`` under test gives for the
    upstream ``douts``, aligned with ``ps``; ``up(case, outs, rng)`` the
    upstream of the numeric check.
    """

    wrt: Callable[[Case, np.random.Generator], list]
    fwd: Callable[[Case, list], list]
    vjp: Callable[[Callable, Case, list, list], list]
    up: Callable[[Case, list, np.random.Generator], list]
    forward: str  # what the forward is, for the report


def _f(a) -> np.ndarray:
    return np.array(a, dtype=np.float64)


def _put(args: tuple, pos: tuple, vals: list) -> list:
    out = list(args)
    for i, v in zip(pos, vals):
        out[i] = v
    return out


def _aligned(res, keys) -> list:
    """The result of a backward as a list aligned with the differentiable inputs."""
    if keys is not None:
        return [res[k] for k in keys]
    return list(res) if isinstance(res, (tuple, list)) else [res]


def with_dy(forward: Callable, wrt: tuple, dy: tuple, name: str, keys=None) -> Spec:
    """``backward(*args)`` takes the forward's inputs and its upstream gradients at positions ``dy``."""

    def fwd(case, ps):
        a = _put(case.copy().args, wrt, ps)
        return [_f(o) for o in _aligned(forward(*[v for i, v in enumerate(a) if i not in dy]), None)]

    def vjp(fn, case, ps, douts):
        a = _put(_put(case.copy().args, wrt, [p.copy() for p in ps]), dy, douts)
        return _aligned(fn(*a), keys)

    return Spec(lambda case, rng: [_f(case.args[i]) for i in wrt], fwd, vjp,
                lambda case, outs, rng: [_f(case.args[i]) for i in dy], name)


def of_scalar(forward: Callable, wrt: tuple, name: str, keys=None) -> Spec:
    """``backward(*args)`` is the gradient of the scalar ``forward(*args)`` (no upstream argument)."""

    def fwd(case, ps):
        return [_f(forward(*_put(case.copy().args, wrt, ps)))]

    def vjp(fn, case, ps, douts):
        return [douts[0] * _f(g) for g in _aligned(fn(*_put(case.copy().args, wrt, [p.copy() for p in ps])), keys)]

    return Spec(lambda case, rng: [_f(case.args[i]) for i in wrt], fwd, vjp, lambda case, outs, rng: [_f(1.0)], name)


def jacobian(forward: Callable, at: int, spec: str, name: str) -> Spec:
    """``backward(*args)`` is the Jacobian of ``forward`` w.r.t. argument ``at``; vjp = einsum(spec, dout, J)."""

    def fwd(case, ps):
        return [_f(forward(*_put(case.copy().args, (at,), ps)))]

    def vjp(fn, case, ps, douts):
        return [np.einsum(spec, douts[0], _f(fn(*_put(case.copy().args, (at,), [ps[0].copy()]))))]

    return Spec(lambda case, rng: [_f(case.args[at])], fwd, vjp,
                lambda case, outs, rng: [rng.standard_normal(outs[0].shape)], name)


def _extra(shape_of: Callable, forward: Callable, backward_args: Callable, dy: int, name: str) -> Spec:
    """The differentiated input is not an argument of the backward: drawn here (dropout's x, embedding's E)."""
    return Spec(lambda case, rng: [rng.standard_normal(shape_of(case))],
                lambda case, ps: [_f(forward(case.copy(), ps[0]))],
                lambda fn, case, ps, douts: [fn(*backward_args(case.copy(), douts[0]))],
                lambda case, outs, rng: [_f(case.args[dy])], name)


# forwards the registry does not hold (written here, each one line of numpy or of the reference)
def _relu(x):
    return np.maximum(x, 0.0)


def _leaky(x, a):
    return np.where(x > 0, x, a * x)


def _prelu(x, a):
    return np.where(x > 0, x, a.reshape((1, -1) + (1,) * (x.ndim - 2)) * x)


def _avgpool(x, k, stride):
    w = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]
    return w.mean(axis=(4, 5))


def _rnn_loss(x, labels, h0, W1, W2, b2, U, b1):
    _, p = R.rnn_forward(x, h0, W1, W2, b2, U, b1)
    t, n = np.meshgrid(np.arange(p.shape[0]), np.arange(p.shape[1]), indexing="ij")
    return -np.log(p[t, n, labels]).sum() / p.shape[1]


def _rnn_step(x_t, h_prev, W1, W2, b2):
    H = h_prev.shape[1]
    return R.rnn_forward(x_t[None], h_prev, W1, W2, b2, np.zeros((1, H)), np.zeros(1))[0][0]


def _lstm_seq(x, h0, c0, W, b):
    h, c, out = h0, c0, []
    for t in range(x.shape[0]):
        h, c = R.lstm_cell(x[t], h, c, W, b)
        out.append(h)
    return np.stack(out)


def _gru_spec() -> Spec:
    keys = ("Wu", "Wr", "Wh", "Uu", "Ur", "Uh", "bu", "br", "bh")

    def fwd(case, ps):
        return [R.gru_cell(ps[0], ps[1], dict(zip(keys, ps[2:])))]

    def vjp(fn, case, ps, douts):
        dx, dh, dp = fn(ps[0].copy(), ps[1].copy(), {k: p.copy() for k, p in zip(keys, ps[2:])}, douts[0])
        return [dx, dh] + [dp[k] for k in keys]

    return Spec(lambda case, rng: [_f(case.args[0]), _f(case.args[1])] + [_f(case.args[2][k]) for k in keys],
                fwd, vjp, lambda case, outs, rng: [_f(case.args[3])], "reference.gru_cell")


RNN_KEYS = ("x", "h0", "W1", "W2", "b2", "U", "b1")
SPECS: dict[str, Spec] = {
    "activations.sigmoid_backward": with_dy(R.sigmoid, (0,), (1,), "reference.sigmoid"),
    "activations.tanh_backward": with_dy(np.tanh, (0,), (1,), "np.tanh"),
    "activations.relu_backward": with_dy(_relu, (0,), (1,), "max(x, 0)"),
    "activations.leaky_relu_backward": with_dy(_leaky, (0,), (2,), "where(x > 0, x, a x)"),
    "activations.prelu_backward": with_dy(_prelu, (0, 1), (2,), "where(x > 0, x, a_c x)"),
    "reductions.max_backward": with_dy(lambda x: x.max(axis=1), (0,), (1,), "x.max(axis=1)"),
    "softmax.softmax_jacobian": jacobian(lambda z: R.softmax(z[None])[0], 0, "i,ij->j", "reference.softmax"),
    "softmax.cross_entropy_backward": of_scalar(R.cross_entropy, (0,), "reference.cross_entropy"),
    "logistic.log_likelihood_grad": of_scalar(R.log_likelihood, (0, 1), "reference.log_likelihood"),
    "logistic.log_likelihood_hessian": jacobian(lambda th, X, y: R.log_likelihood_grad(th, X, y)[0], 0, "i,ij->j",
                                                "reference.log_likelihood_grad (dtheta)"),
    "conv.conv1x1_backward": with_dy(R.conv1x1, (0, 1, 2), (3,), "reference.conv1x1"),
    "rnn.rnn_bptt": of_scalar(_rnn_loss, (0, 2, 3, 4, 5, 6, 7), "loss of reference.rnn_forward", keys=RNN_KEYS),
    "rnn.rnn_step_jacobian": jacobian(_rnn_step, 1, "ni,nij->nj", "h_1 of reference.rnn_forward"),
    "lstm.lstm_cell_backward": with_dy(R.lstm_cell, (0, 1, 2, 3, 4), (5, 6), "reference.lstm_cell (h, c)"),
    "lstm.lstm_cell_state_jacobian": jacobian(lambda x, c, o, W, b: R.lstm_cell(x, o * np.tanh(c), c, W, b)[1], 1,
                                              "ni,nij->nj", "c of reference.lstm_cell, h_prev = o_prev tanh(c_prev)"),
    "lstm.lstm_bptt": with_dy(_lstm_seq, (0, 1, 2, 3, 4), (5,), "h_t of reference.lstm_cell over t",
                              keys=("x", "h0", "c0", "W", "b")),
    "gru.gru_cell_backward": _gru_spec(),
    "residual.residual_backward": with_dy(lambda x, W, b: x + np.tanh(x @ W.T + b), (0, 1, 2), (3,),
                                          "x + tanh(x W^T + b)"),
    "residual.highway_backward": with_dy(R.highway, (0, 1, 2, 3, 4), (5,), "reference.highway"),
    "dropout.dropout_backward": _extra(lambda c: np.shape(c.args[0]),
                                       lambda c, x: R.dropout_train(x, c.args[1], c.args[2], c.args[3]),
                                       lambda c, d: (d, c.args[1], c.args[2], c.args[3]), 0,
                                       "reference.dropout_train (x drawn here)"),
    "norm.batchnorm_backward": with_dy(R.batchnorm_forward, (0, 1, 2), (4,), "reference.batchnorm_forward"),
    "norm.batchnorm2d_backward": with_dy(
        lambda x, g, b, eps: R.batchnorm_forward(x.transpose(0, 2, 3, 1).reshape(-1, x.shape[1]), g, b, eps)
        .reshape(x.shape[0], x.shape[2], x.shape[3], x.shape[1]).transpose(0, 3, 1, 2),
        (0, 1, 2), (4,), "reference.batchnorm_forward per channel"),
    "norm.layernorm_backward": with_dy(R.layernorm_forward, (0, 1, 2), (4,), "reference.layernorm_forward"),
    "pool.maxpool2d_backward": with_dy(R.maxpool2d, (0,), (3,), "reference.maxpool2d"),
    "pool.avgpool2d_backward": with_dy(_avgpool, (0,), (3,), "mean over the windows"),
    "pool.kmax_pool_backward": with_dy(R.kmax_pool, (0,), (2,), "reference.kmax_pool"),
    "embedding.embedding_backward": _extra(lambda c: (c.args[2], np.shape(c.args[1])[2]),
                                           lambda c, E: E[c.args[0]], lambda c, d: (c.args[0], d, c.args[2]), 1,
                                           "E[indices] (E drawn here)"),
    "attention.attention_backward": with_dy(R.attention, (0, 1, 2), (3,), "reference.attention"),
}

_FWD = "a forward formula: a gradient checker needs a backward to compare with it"
NA: dict[str, str] = {
    **{i: _FWD for i in (
        "activations.sigmoid", "softmax.softmax", "softmax.cross_entropy", "logistic.log_likelihood", "conv.conv1x1",
        "rnn.rnn_forward", "lstm.lstm_cell", "gru.gru_cell", "residual.highway", "dropout.dropout_train",
        "dropout.dropout_eval", "norm.batchnorm_forward", "norm.layernorm_forward", "pool.maxpool2d", "pool.kmax_pool",
        "attention.attention", "hsoftmax.hs_probabilities")},
    "norm.batchnorm_running_update": "running statistics: an update, not a derivative",
    "clip.clip_grad_norm": "transforms gradients, is not the gradient of anything",
    "clip.clip_grad_value": "transforms gradients, is not the gradient of anything",
    **{f"optim.{s}_step": "an optimiser update: consumes a gradient, is not one"
       for s in ("sgd", "momentum", "nag", "adagrad", "rmsprop", "adam")},
    "attention.positional_encoding": "a function of integers (n, d): nothing to differentiate",
    "decode.beam_search": "a discrete search: integer outputs",
    "decode.viterbi": "a discrete search: integer outputs",
    "hsoftmax.huffman_codes": "a discrete construction: integer codes",
    "init.fan_in_fan_out": "integer shape arithmetic",
    "init.xavier_normal_std": "a function of a shape: nothing to differentiate",
    "init.he_normal_std": "a function of a shape: nothing to differentiate",
}


# ---------------------------------------------------------------- tools

@dataclass
class Outcome:
    failed: bool
    seconds: float
    why: str = ""    # "" (passed), "mismatch", "error: ...", "harness: ..."
    inputs: int = 0  # inputs the tool ran the implementation on


Tool = Callable[[list], list]  # list[(Formula, fn)] -> list[Outcome]


def formulacheck_tool(pairs: list) -> list[Outcome]:
    """The registry's checks: every oracle, profile grade, no shrinking; failed when any oracle fails."""
    from checks.run.check import HarnessError, check
    from checks.run.local import local_caller

    out = []
    for f, fn in pairs:
        t0, why, n = time.perf_counter(), "", 0
        for o in f.oracles:
            try:
                r = check(f, o, local_caller(fn, f.fn_name, fresh_outputs=f.fresh_outputs), profile="grade",
                          shrink=False)
            except HarnessError as e:
                why = f"harness: {str(e)[:80]}"
                break
            n += r.examples
            if not r.passed:
                why = f"{o.name}: {r.verdict}"
                break
        out.append(Outcome(bool(why), time.perf_counter() - t0, why, n))
    return out


@dataclass
class Inputs:
    """The cases each external tool gets for one formula (drawn once, outside every tool's time)."""

    cases: list
    rngs: list  # one seed per case for what the case lacks (upstream of a Jacobian, dropout's x, embedding's E)
    seconds: float = 0.0


INPUTS: dict[str, Inputs] = {}


def inputs_for(f, n: int) -> Inputs:
    if f.id not in INPUTS:
        t0 = time.perf_counter()
        cases = draw.cases(f.strategy(), n, draw.seed_for(draw.DEFAULT_SEED, f.id, "bench_tools"))
        seeds = [draw.seed_for(draw.DEFAULT_SEED, f.id, "bench_tools", str(i)) for i in range(len(cases))]
        INPUTS[f.id] = Inputs(cases, seeds, time.perf_counter() - t0)
    return INPUTS[f.id]


def _external(check_one: Callable[[Spec, Callable, Case, int], bool]) -> Tool:
    """A tool that runs ``check_one(spec, fn, case, seed)`` (True = passed) on each input, up to the first failure."""

    def tool(pairs: list) -> list[Outcome]:
        out = []
        for f, fn in pairs:
            spec, ins = SPECS[f.id], INPUTS[f.id]
            t0, why, n = time.perf_counter(), "", 0
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for case, seed in zip(ins.cases, ins.rngs):
                    n += 1
                    try:
                        ok = check_one(spec, fn, case, seed)
                    except Exception as e:  # the tool reports the implementation's error (or a shape it rejects)
                        why = f"error: {type(e).__name__}: {str(e)[:60]}"
                        break
                    if not ok:
                        why = "mismatch"
                        break
            out.append(Outcome(bool(why), time.perf_counter() - t0, why, n))
        return out

    return tool


def torch_function(spec: Spec, fn: Callable, case: Case):
    """``f(*tensors)``: the reference forward in numpy, the backward under test in numpy (float64)."""
    import torch

    class Fn(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *ts):
            ps = [t.detach().numpy().copy() for t in ts]
            ctx.ps = ps
            return tuple(torch.from_numpy(o) for o in spec.fwd(case, ps))

        @staticmethod
        def backward(ctx, *gs):
            douts = [g.detach().numpy().copy() for g in gs]
            return tuple(torch.from_numpy(_f(g)) for g in spec.vjp(fn, case, ctx.ps, douts))

    return Fn.apply


def gradcheck_one(fast: bool):
    def check_one(spec, fn, case, seed):
        import torch

        ps = spec.wrt(case, np.random.default_rng(seed))
        ts = tuple(torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in ps)
        return bool(torch.autograd.gradcheck(torch_function(spec, fn, case), ts, fast_mode=fast,
                                             raise_exception=False))

    return check_one


def numeric_grads(spec: Spec, case: Case, ps: list, douts: list, h: float = H) -> list:
    """CS231n's eval_numerical_gradient_array, summed over the forward's outputs, for every input in ``ps``."""
    grads = []
    for p in ps:
        g = np.zeros_like(p)
        for ix in np.ndindex(p.shape):
            old = p[ix]
            p[ix] = old + h
            pos = spec.fwd(case, ps)
            p[ix] = old - h
            neg = spec.fwd(case, ps)
            p[ix] = old
            g[ix] = sum(np.sum((a - b) * d) for a, b, d in zip(pos, neg, douts)) / (2 * h)
        grads.append(g)
    return grads


def rel_error(a, n) -> float:
    """max |a - n| / max(|a|, |n|), the denominator floored at 1e-8 (CS231n's rel_error floors its sum so)."""
    a, n = np.asarray(a, dtype=np.float64), np.asarray(n, dtype=np.float64)
    if a.size == 0 and n.size == 0:
        return 0.0
    r = np.abs(a - n) / np.maximum(1e-8, np.maximum(np.abs(a), np.abs(n)))
    return float(np.nan_to_num(r, nan=np.inf).max())


def numeric_error(spec: Spec, fn: Callable, case: Case, seed: int) -> float:
    """The largest relative error between the backward under test and central differences, on one case."""
    rng = np.random.default_rng(seed)
    ps = spec.wrt(case, rng)
    douts = spec.up(case, spec.fwd(case, ps), rng)
    analytic = spec.vjp(fn, case, [p.copy() for p in ps], douts)
    if len(analytic) != len(ps):
        raise ValueError(f"{len(analytic)} gradients for {len(ps)} inputs")
    return max([rel_error(a, n) for a, n in zip(analytic, numeric_grads(spec, case, ps, douts))], default=0.0)


def numeric_one(threshold: float):
    return lambda spec, fn, case, seed: numeric_error(spec, fn, case, seed) < threshold


def gradient_tools() -> list[tuple[str, Tool]]:
    return [
        ("formulacheck (grade profile, every oracle)", formulacheck_tool),
        ("torch.autograd.gradcheck", _external(gradcheck_one(False))),
        ("torch.autograd.gradcheck, fast_mode=True", _external(gradcheck_one(True))),
        (f"CS231n numeric, rel. error < {STRICT:g}", _external(numeric_one(STRICT))),
        (f"CS231n numeric, rel. error < {KINKS:g} (kinks bar)", _external(numeric_one(KINKS))),
    ]


def forward_tools() -> list[tuple[str, Tool]]:
    return [("formulacheck (grade profile, every oracle)", formulacheck_tool)]


# ---------------------------------------------------------------- the run

@dataclass
class Item:
    formula: Any
    kind: str      # "reference", "variant", "mutant"
    name: str
    fn: Callable
    results: dict = field(default_factory=dict)  # tool label -> Outcome


def items_for(formulas: list, variants: list | None) -> list[Item]:
    from tests.mutants import all_mutants

    ids = {f.id for f in formulas}
    out = [Item(f, "reference", "reference", f.reference) for f in formulas]
    out += [Item(registry.get(v.formula), "variant", v.name, v.fn) for v in variants or [] if v.formula in ids]
    out += [Item(registry.get(m.formula), "mutant", m.name, m.fn) for m in all_mutants() if m.formula in ids]
    return out


def run_tools(items: list[Item], tools: list[tuple[str, Tool]]) -> dict[str, float]:
    """Run every tool on every item (references first, as a user would); the total seconds per tool."""
    totals = {}
    for label, tool in tools:
        t0 = time.perf_counter()
        for it, res in zip(items, tool([(it.formula, it.fn) for it in items])):
            it.results[label] = res
        totals[label] = time.perf_counter() - t0
        print(f"  {label}: {totals[label]:.1f}s", file=sys.stderr, flush=True)
    return totals


def load_variants():
    try:
        from tests.variants import all_variants
    except ImportError:
        return None
    return all_variants()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK)}; prints, writes nothing")
    ap.add_argument("--formulas", help="comma-separated formula ids (prints, writes nothing unless --out)")
    ap.add_argument("--inputs", type=int, default=20, help="cases per formula for the external tools (default 20)")
    ap.add_argument("--no-variants", action="store_true", help="skip the correct variants of tests/variants")
    ap.add_argument("--forward-variants", action="store_true",
                    help="also run formulacheck on the other formulas' variants (~3 more minutes)")
    ap.add_argument("--out", help=f"write the markdown here (default: {os.path.relpath(RESULTS, ROOT)} on a full run)")
    args = ap.parse_args(argv)
    if args.inputs < 1:
        ap.error(f"--inputs must be >= 1, got {args.inputs}")

    fs = registry.all_formulas()
    if args.quick or args.formulas:
        want = QUICK if args.quick else tuple(args.formulas.split(","))
        for i in want:
            try:
                registry.get(i)
            except KeyError as e:
                ap.error(f"--formulas: {e.args[0]}")
        fs = [f for f in fs if f.id in want]
    out = args.out or (None if args.quick or args.formulas else RESULTS)
    variants = None if args.no_variants else load_variants()

    import torch

    torch.set_num_threads(1)
    grads = [f for f in fs if f.id in SPECS]
    fwds = [f for f in fs if f.id not in SPECS]
    t0 = time.perf_counter()
    for f in grads:
        inputs_for(f, args.inputs)
    drawing = time.perf_counter() - t0
    g_items, f_items = items_for(grads, variants), items_for(fwds, variants if args.forward_variants else None)
    print(f"gradient formulas: {len(grads)}, {len(g_items)} implementations", file=sys.stderr)
    g_tot = run_tools(g_items, gradient_tools())
    print(f"other formulas: {len(fwds)}, {len(f_items)} implementations", file=sys.stderr)
    f_tot = run_tools(f_items, forward_tools())
    md = render(grads, fwds, g_items, f_items, g_tot, f_tot, drawing, args.inputs, variants is not None)
    print(md)
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(md)
        print(f"wrote {os.path.relpath(out)}", file=sys.stderr)


# ---------------------------------------------------------------- the report

def summary(items: list[Item], label: str, n_formulas: int, seconds: float, base: float) -> list[str]:
    """The cells of one tool's row: caught, false failures (reference, variants), seconds, per formula, ratio."""
    by = {k: [it for it in items if it.kind == k] for k in ("mutant", "reference", "variant")}
    bad = {k: sum(it.results[label].failed for it in v) for k, v in by.items()}
    runs = sum(it.results[label].inputs for it in items)
    clean = {it.formula.id for it in by["reference"] if not it.results[label].failed}
    fair = [it for it in by["mutant"] if it.formula.id in clean]
    var = f"{bad['variant']}/{len(by['variant'])}" if by["variant"] else "-"
    return [f"{bad['mutant']}/{len(by['mutant'])}", f"{sum(it.results[label].failed for it in fair)}/{len(fair)}",
            f"{bad['reference']}/{len(by['reference'])}", var,
            f"{seconds:.1f}", f"{seconds / max(1, n_formulas):.2f}", f"{seconds / base:.2f}x" if base else "-",
            str(runs), f"{1000 * seconds / runs:.2f}" if runs else "-"]


def _cell(items: list[Item], fid: str, label: str) -> str:
    mine = [it for it in items if it.formula.id == fid]
    mut = [it for it in mine if it.kind == "mutant"]
    s = f"{sum(it.results[label].failed for it in mut)}/{len(mut)}"
    if any(it.results[label].failed for it in mine if it.kind == "reference"):
        s += " **ref✗**"
    v = [it for it in mine if it.kind == "variant"]
    if any(it.results[label].failed for it in v):
        s += f" var✗{sum(it.results[label].failed for it in v)}/{len(v)}"
    return s


def render(grads, fwds, g_items, f_items, g_tot, f_tot, drawing, n_inputs, have_variants) -> str:
    import platform

    import torch

    head = "| tool | mutants caught | caught where the reference passes | false failures: reference | false failures: correct variants | seconds | s / formula | time vs formulacheck | inputs run | ms / input |"
    rule = "|---|---|---|---|---|---|---|---|---|---|"
    L = ["# formulacheck vs torch.autograd.gradcheck vs a CS231n numeric gradient check", "",
         f"Generated by `python benchmarks/bench_tools.py` (torch {torch.__version__}, numpy {np.__version__}, "
         f"Python {platform.python_version()}, one thread, {os.cpu_count()} cores). The external tools get "
         f"{n_inputs} inputs per formula drawn from its strategy (`checks.run.draw.cases`, {drawing:.1f}s, not in "
         "their time) and stop at the first failing input; formulacheck runs every oracle of the formula "
         "(profile `grade`, its own draws, its time included) and stops at the first failing oracle. "
         "False failures on a reference count formulas; on variants, implementations. A tool that fails a "
         "formula's reference also fails (\"catches\") its mutants for nothing: *caught where the reference "
         "passes* counts only the mutants of the formulas whose reference the tool passes. Inputs run: "
         "(formula, oracle, input) evaluations for formulacheck, (formula, input) checks for the others. "
         + ("Correct variants: `tests/variants`" if have_variants else "Correct variants: skipped (`tests/variants` absent)")
         + (" (on the other formulas: not run, `--forward-variants`)." if not any(it.kind == "variant" for it in f_items)
            else "."),
         "", f"## Gradient formulas ({len(grads)}: backward passes, gradients, Jacobians, a Hessian)", "", head, rule]
    base = g_tot[next(iter(g_tot))] if g_tot else 0.0
    for label, secs in g_tot.items():
        L.append(f"| {label} | " + " | ".join(summary(g_items, label, len(grads), secs, base)) + " |")
    L += ["", f"## Other formulas ({len(fwds)}: forwards, updates, discrete algorithms): out of the external tools' scope",
          "", head, rule]
    fbase = f_tot[next(iter(f_tot))] if f_tot else 0.0
    for label, secs in f_tot.items():
        L.append(f"| {label} | " + " | ".join(summary(f_items, label, len(fwds), secs, fbase)) + " |")
    L += ["| torch.autograd.gradcheck (both modes), CS231n numeric | n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a |"]
    labels = list(g_tot)
    L += ["", "## Per gradient formula", "",
          "Mutants caught; **ref✗**: the tool fails the reference (a false failure); var✗k/n: it fails k of n "
          "correct variants.", "",
          "| formula | forward differentiated | " + " | ".join(labels) + " |", "|---|---|" + "---|" * len(labels)]
    for f in grads:
        L.append(f"| `{f.id}` | {SPECS[f.id].forward} | " + " | ".join(_cell(g_items, f.id, lb) for lb in labels) + " |")
    L.append("")
    for lb in labels:
        missed = [it for it in g_items if it.kind == "mutant" and not it.results[lb].failed]
        L.append(f"- missed by {lb}: " + ("; ".join(f"`{it.formula.id}` {it.name}" for it in missed) or "none"))
    L += [
          "", "## Formulas the external tools cannot check (n/a)", "", "| formula | why |", "|---|---|"]
    for f in fwds:
        L.append(f"| `{f.id}` | {NA.get(f.id, 'no adapter written in benchmarks/bench_tools.py (a new formula?)')} |")
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    main()
