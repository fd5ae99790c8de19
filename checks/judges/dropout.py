"""Judge-time code (dropout): custom comparisons and property oracles, numpy/scipy only (no torch, SymPy or Hypothesis)."""

from __future__ import annotations

import numpy as np

from checks.core.compare import Verdict, fail


def _prop_train(case, y):
    """Dropped units are exactly 0; kept units are exactly x (standard) or x/p_keep (inverted)."""
    x, mask, p, inv = case.args
    x, mask, y = np.asarray(x), np.asarray(mask), np.asarray(y)
    dropped = (mask == 0) & (y != 0)
    if dropped.any():
        i = np.unravel_index(int(np.flatnonzero(dropped)[0]), y.shape) if y.ndim else ()
        fail(Verdict.PROPERTY, f"dropout_train: unit {tuple(map(int, i))} is dropped (mask 0) but its output is {float(y[i])!r}, not 0")
    want = x / p if inv else x
    kept = (mask == 1) & ~(np.abs(y - want) <= 1e-12 * np.abs(want))
    if kept.any():
        i = np.unravel_index(int(np.flatnonzero(kept)[0]), y.shape) if y.ndim else ()
        conv = "x/p_keep (inverted)" if inv else "x (standard: no scaling at train time)"
        fail(Verdict.PROPERTY, f"dropout_train: kept unit {tuple(map(int, i))} gives {float(y[i])!r}; it must be {conv} = {float(want[i])!r}")


def _prop_backward(case, dx):
    """Dropout is linear and diagonal: dx is the same map applied to dy (0 where dropped, dy or dy/p_keep where kept)."""
    dy, mask, p, inv = case.args
    want = np.asarray(dy) * np.asarray(mask) / (p if inv else 1.0)
    bad = ~(np.abs(np.asarray(dx) - want) <= 1e-12 * np.abs(want))
    if bad.any():
        i = np.unravel_index(int(np.flatnonzero(bad)[0]), want.shape) if want.ndim else ()
        fail(Verdict.PROPERTY, f"dropout_backward: at {tuple(map(int, i))} (mask {float(np.asarray(mask)[i])!r}) dx is"
                               f" {float(np.asarray(dx)[i])!r}; the derivative of the forward map gives {float(want[i])!r}")
