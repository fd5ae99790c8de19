"""Judge-time code (attention): custom comparisons and property oracles, numpy/scipy only (no torch, SymPy or Hypothesis)."""

from __future__ import annotations

import numpy as np

from checks.core.compare import Tol, Verdict, assert_array_close, fail


def _single_key_rows(case, y):
    """A query row whose mask allows exactly one key j outputs V[:, j] exactly (its weight is 1)."""
    Q, K, V = case.args[:3]
    mask = case.args[3] if len(case.args) > 3 else case.kwargs.get("mask")
    m = K.shape[1]
    mk = np.ones((Q.shape[1], m), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    rows = np.flatnonzero(mk.sum(axis=1) == 1)
    if m == 1:
        rows = np.arange(Q.shape[1])
    for r in rows:
        j = int(np.flatnonzero(mk[r])[0])
        assert_array_close(np.asarray(y)[:, r, :], np.asarray(V)[:, j, :], Tol(rtol=1e-12, atol=1e-12),
                           f"attention -> y[:, {r}, :] (query {r} may attend to key {j} only, so its output is V[:, {j}, :])")
    # every output is a convex combination of the allowed values
    Vb = np.asarray(V)[:, None, :, :]  # (N, 1, m, dv)
    lo = np.where(mk[None, :, :, None], Vb, np.inf).min(axis=2)
    hi = np.where(mk[None, :, :, None], Vb, -np.inf).max(axis=2)
    bad = (np.asarray(y) < lo - 1e-9) | (np.asarray(y) > hi + 1e-9)
    if bad.any():
        i = tuple(int(k) for k in np.argwhere(bad)[0])
        fail(Verdict.PROPERTY, f"attention -> y{i} = {float(np.asarray(y)[i])!r} lies outside [{float(lo[i])!r}, {float(hi[i])!r}],"
             " the range of the values its query may attend to (softmax weights are >= 0 and sum to 1 over the keys)")


def _pe_rotation(case, pe):
    r"""PE[0] = (0,1,0,1,...) and PE[p+k] = R(k) PE[p] for every p, k: each (sin, cos) pair of
    frequency ω_i = 10000^(−2i/d) turns by the angle kω_i (sin(a+b) = sin a cos b + cos a sin b,
    cos(a+b) = cos a cos b − sin a sin b) -- the notes' reason for sinusoids (004 位置编码)."""
    n, d = case.args
    pe = np.asarray(pe, dtype=np.float64)
    tol = Tol(rtol=0.0, atol=1e-9)
    e0 = np.tile([0.0, 1.0], d // 2)
    if n:
        assert_array_close(pe[0], e0, tol, "positional_encoding -> PE[0] (sin 0 = 0 in even columns, cos 0 = 1 in odd)")
    w = 10000.0 ** (-2.0 * np.arange(d // 2) / d)
    s, c = pe[:, 0::2], pe[:, 1::2]
    for k in range(1, n):
        ck, sk = np.cos(k * w), np.sin(k * w)
        want = np.empty((n - k, d))
        want[:, 0::2] = s[:-k] * ck + c[:-k] * sk
        want[:, 1::2] = c[:-k] * ck - s[:-k] * sk
        assert_array_close(pe[k:], want, tol,
                           f"positional_encoding -> PE[k:] vs the rotation of PE[:-k] by the angles k*w_i, k = {k}")
