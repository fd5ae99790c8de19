"""Judge-time code (lstm): custom comparisons and property oracles, numpy/scipy only (no torch, SymPy or Hypothesis)."""

from __future__ import annotations

import numpy as np

from checks.core.compare import Tol, assert_array_close


_TOL = Tol(rtol=1e-7, atol=1e-10)  # the lstm entries' tolerance


def _notes_four_terms(x, c_prev, o_prev, W, b):
    """The notes' ∂C^(k)/∂C^(k−1), one sample at a time, as four explicit matrix terms (001 A6.3):
    C^(k−1) σ′ W_f o^(k−1) tanh′(C^(k−1)) + a^(k) σ′ W_i o tanh′ + i^(k) tanh′ W_c o tanh′ + f."""
    H = c_prev.shape[1]
    sig = lambda a: 0.5 * (1.0 + np.tanh(0.5 * a))  # noqa: E731  (σ without overflow)
    out = []
    for n in range(c_prev.shape[0]):
        cp, op = c_prev[n], o_prev[n]
        hp = op * np.tanh(cp)
        a = W @ np.concatenate([hp, x[n]]) + b
        ai, af, ag = a[:H], a[H:2 * H], a[2 * H:3 * H]
        i, f, g = sig(ai), sig(af), np.tanh(ag)
        Wi, Wf, Wc = W[:H, :H], W[H:2 * H, :H], W[2 * H:3 * H, :H]
        dh_dc = np.diag(op * (1.0 - np.tanh(cp) ** 2))          # ∂h^(k−1)/∂C^(k−1) = o tanh′(C)
        t1 = np.diag(cp * f * (1.0 - f)) @ Wf @ dh_dc  # via the forget gate
        t2 = np.diag(g * i * (1.0 - i)) @ Wi @ dh_dc               # via the input gate (a^(k) = C̃)
        t3 = np.diag(i * (1.0 - g ** 2)) @ Wc @ dh_dc              # via the candidate C̃
        out.append(t1 + t2 + t3 + np.diag(f))                       # + f: the constant error path
    return np.stack(out)


def _four_prep(case):
    return _notes_four_terms(*case.copy().args)


def _four_run(want, J):
    assert_array_close(np.asarray(J, dtype=np.float64), want, _TOL,
                       "lstm_cell_state_jacobian -> J (vs the notes' four terms)")


def _prop_four_terms(case, J):
    """The result equals the notes' four-term ∂C^(k)/∂C^(k−1) (a property: the notes' own formula)."""
    return _four_run(_four_prep(case), J)


_prop_four_terms.prep, _prop_four_terms.check = _four_prep, _four_run
