"""Generic relations between a wrong result and the expected one, for mistakes the library does not know.

On every failing case (the submission's result next to the expected answer
of a value oracle), each numeric output ("leaf") is either right, or in ONE
relation to the expected value that holds on all the cases:

- a scale factor: -1 (sign), 2, 1/2, 0, another constant, or a size of the
  input (N, 1/N: ``x.shape[0]`` on each case, a sum where a mean is due);
- transposed (the last two axes swapped);
- its blocks along an axis permuted (a stacked parameter: LSTM 4 gates, GRU 3);
- or whole outputs swapped / permuted (``formula.outputs``, a dict's entries).

A relation is reported only when it explains every wrong leaf on every
considered case; anything else is no diagnosis (None over noise).
"""

from __future__ import annotations

import inspect
import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from checks.core.compare import Tol
from checks.diagnose.trees import arrays_close, leaves

_BLOCKS = (4, 3, 2)


@dataclass(frozen=True)
class Relation:
    id: str            # generic:<kind>
    description: str
    hint: str


def param_names(fn_name: str) -> list[str]:
    try:
        import reference

        return list(inspect.signature(getattr(reference, fn_name)).parameters)
    except Exception:
        return []


def _scale(a: np.ndarray, e: np.ndarray, tol: Tol) -> float | None:
    if a.shape != e.shape or not (np.isfinite(a).all() and np.isfinite(e).all()):
        return None
    ee = float((e * e).sum())
    if ee == 0.0 or not math.isfinite(ee):
        return None
    c = float((a * e).sum()) / ee
    return c if arrays_close(a, c * e, tol) else None


def _transposed(a: np.ndarray, e: np.ndarray, tol: Tol) -> bool:
    if e.ndim < 2:
        return False
    t = np.swapaxes(e, -1, -2)
    return a.shape == t.shape and arrays_close(a, t, tol) and not arrays_close(a, e, tol)


def _block_perms(a: np.ndarray, e: np.ndarray, tol: Tol) -> set:
    out = set()
    if a.shape != e.shape:
        return out
    for axis in range(e.ndim):
        n = e.shape[axis]
        for k in _BLOCKS:
            if n % k or n < k:
                continue
            blocks = np.split(e, k, axis=axis)
            for perm in itertools.permutations(range(k)):
                if perm != tuple(range(k)) and arrays_close(a, np.concatenate([blocks[p] for p in perm], axis=axis), tol):
                    out.add((axis, k, perm))
    return out


def _sizes(case, names: list[str]) -> dict[str, float]:
    """Candidate sizes of an input: each array argument's dims and size, each int argument."""
    out: dict[str, float] = {}
    for p, v in enumerate(case.args):
        nm = names[p] if p < len(names) else f"argument {p + 1}"
        if isinstance(v, np.ndarray) and v.ndim > 0:
            for k, d in enumerate(v.shape):
                out.setdefault(f"{nm}.shape[{k}]", float(d))
            if v.ndim > 1:
                out.setdefault(f"{nm}.size", float(v.size))
        elif isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            out.setdefault(nm, float(v))
    return out


def _name_factor(cs: list[float], cases, names) -> tuple[str, str, str] | None:
    """(id, phrase, hint) naming a scale factor seen on each case, or None."""
    ref = cs[0]
    if all(abs(c - ref) <= 1e-9 * max(1.0, abs(ref)) for c in cs):
        if abs(ref) < 1e-12:
            return "generic:zero", "is zero everywhere", "a term or a whole path of the computation is missing: where should a non-zero value come from?"
        if abs(ref + 1) < 1e-9:
            return "generic:sign", "has the opposite sign of the expected value", "follow the sign through each step: a minus sign is lost or added (ascent vs descent, loss vs likelihood)."
        if abs(ref - 2) < 1e-9:
            return "generic:factor-2", "is exactly twice the expected value", "a term is counted twice, or a factor 2 is left over (the derivative of a square, a symmetric sum)."
        if abs(ref - 0.5) < 1e-9:
            return "generic:factor-1/2", "is exactly half the expected value", "a factor 2 is missing, or a half is applied once too often."
        if abs(ref - 1) < 1e-3:
            return None
        return "generic:factor", f"is the expected value times a constant {ref:.6g}", "every value is off by the same constant factor: check each coefficient of the formula."
    sizes = [_sizes(c, names) for c in cases]
    for key in sizes[0]:
        ns = [s.get(key) for s in sizes]
        if any(n is None or n <= 0 for n in ns) or len(set(ns)) < 2:
            continue
        if all(abs(c - n) <= 1e-9 * n for c, n in zip(cs, ns)):
            return "generic:factor-N", f"is {key} times the expected value (N = {key})", \
                f"a sum where a mean is due, or a missing division by N = {key}."
        if all(abs(c - 1 / n) <= 1e-9 / n for c, n in zip(cs, ns)):
            return "generic:factor-1/N", f"is the expected value divided by N = {key}", \
                f"a mean where a sum is due, or a division by N = {key} that should not be there."
    return None


def _leaf_perm(rows: list[list[tuple[str, np.ndarray, np.ndarray | None]]], tol: Tol) -> dict[int, int] | None:
    """A non-identity permutation pi of the leaves with actual[j] == expected[pi(j)] on every case."""
    n = len(rows[0])
    if n < 2 or n > 16:
        return None
    ok = [[all(r[j][2] is not None and arrays_close(r[j][2], r[k][1], tol) for r in rows) for k in range(n)] for j in range(n)]
    if all(ok[j][j] for j in range(n)):
        return None
    perm: dict[int, int] = {}
    used: set[int] = set()
    for j in range(n):
        if ok[j][j]:
            perm[j] = j
            used.add(j)
    for j in range(n):
        if j in perm:
            continue
        opts = [k for k in range(n) if ok[j][k] and k not in used and k != j]
        if len(opts) != 1:
            return None
        perm[j] = opts[0]
        used.add(opts[0])
    return perm


def relation(fv, evidence: list[tuple[Any, Any, Any]], tol: Tol) -> Relation | None:
    """The one generic relation of the failing cases ``evidence`` [(case, actual, expected)], or None."""
    if not evidence:
        return None
    names = param_names(fv.fn_name)
    outs = tuple(fv.outputs) if len(fv.outputs) > 1 else None
    rows = []
    for case, act, exp in evidence:
        if outs:
            rows.append(list(leaves(exp, act, "", outs)))
        else:
            rows.append(list(leaves(exp, act, fv.outputs[0])))
    n = len(rows[0])
    if n == 0 or any(len(r) != n or [p for p, _, _ in r] != [p for p, _, _ in rows[0]] for r in rows):
        return None
    paths = [p for p, _, _ in rows[0]]
    perm = _leaf_perm(rows, tol)
    if perm is not None:
        moved = [j for j in range(n) if perm[j] != j]
        pairs = ", ".join(f"{paths[j]} holds what belongs in {paths[perm[j]]}" for j in moved)
        kind = "swapped" if len(moved) == 2 else "permuted"
        return Relation(f"generic:outputs-{kind}", f"the results come back in the wrong places: {pairs}.",
                        f"compare the order (or the names) of what you return with the contract: {', '.join(paths)}.")
    findings: list[tuple[str, str, str]] = []   # (id, text, hint) per wrong leaf
    for j in range(n):
        col = [(r[j][1], r[j][2]) for r in rows]
        if all(a is not None and arrays_close(a, e, tol) for e, a in col):
            continue
        if any(a is None for _, a in col):
            return None
        cs = [_scale(a, e, tol) for e, a in col]
        if all(c is not None for c in cs):
            named = _name_factor(cs, [c for c, _, _ in evidence], names)
            if named is None:
                return None
            findings.append((named[0], f"{paths[j]} {named[1]}", named[2]))
            continue
        if all(_transposed(a, e, tol) or arrays_close(a, e, tol) for e, a in col):
            findings.append(("generic:transposed", f"{paths[j]} is transposed (its last two axes are swapped)",
                             "check the order of the factors of each product and where a .T belongs."))
            continue
        common = None
        for e, a in col:
            if arrays_close(a, e, tol):
                continue
            s = _block_perms(a, e, tol)
            common = s if common is None else common & s
            if not common:
                return None
        axis, k, perm_b = sorted(common)[0]
        order = ", ".join(str(p + 1) for p in perm_b)
        findings.append(("generic:blocks-permuted",
                         f"{paths[j]} has its {k} stacked blocks along axis {axis} in the wrong order (blocks {order} "
                         f"where 1..{k} are expected)",
                         "a stacked parameter's blocks (gates) must be read and written in the contract's order."))
    if not findings or len({f[0] for f in findings}) > 1:
        return None
    return Relation(findings[0][0], "; ".join(f[1] for f in findings) + ".", findings[0][2])
