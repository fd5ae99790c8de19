"""The bulk test behind :func:`checks.core.assess.assess`: many cases of one oracle judged at once.

A value oracle with the default comparison: every case's result is checked
against its answer's types and shapes (a template compiled once per answer),
and all float leaves of all cases are compared in one numpy expression with
the elementwise test of :func:`~checks.core.compare.assert_array_close`'s
common path. A judge of :mod:`checks.judges` that declares a prepared form
(``prep`` / ``check``, maybe ``bounds``) is prepared once per oracle and
checked per result, in bulk where it gives elementwise bounds. The per-oracle
plans are cached by oracle object and reused by every submission judged
against it. :func:`_bulk_verdicts` says, per case, what it is certain of:
passing, the very CheckFailure of the per-case path, or nothing (the case is
judged by :func:`~checks.core.judge.verdict_of` in ``assess``). numpy only.
"""

from __future__ import annotations

import functools
import numbers
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

from checks.core.case import Case
from checks.core.judge import _copy, check_finite, conform_outputs
from checks.core.verdicts import CheckFailure

# --------------------------------------------------------------------------
# the bulk test of a value oracle with the default comparison
# --------------------------------------------------------------------------

# the compiled template of an answer: (kind, ...) mirroring conform's branches for the exact types it accepts
_ARR, _BOOL, _INT, _FLT, _DICT, _SEQ = range(6)


class _Unsupported(Exception):
    """An answer the bulk test does not handle: the oracle is judged case by case."""


def _spec(t: Any) -> tuple:
    tt = type(t)
    if tt is np.ndarray:
        if t.dtype.kind not in "biuf":
            raise _Unsupported
        return (_ARR, t.dtype, t.shape, t.ndim == 0)
    if tt is bool:
        return (_BOOL, t)
    if tt is int or isinstance(t, np.integer):
        return (_INT, t)
    if tt is float or isinstance(t, np.floating):
        return (_FLT,)
    if tt is dict:
        return (_DICT, tuple((k, _spec(v)) for k, v in t.items()))
    if tt is tuple or tt is list:
        return (_SEQ, len(t), tuple(_spec(v) for v in t), all(isinstance(v, numbers.Integral) for v in t))
    raise _Unsupported  # None leaves (a template), strings, subclasses...


def _answer_leaves(t: Any, s: tuple, out: list) -> None:
    """The float leaves of an answer as assert_close compares them (np.asarray(e, float64)), in walk order."""
    k = s[0]
    if k == _ARR or k == _FLT:
        out.append(np.asarray(t, dtype=np.float64))
    elif k == _DICT:
        for key, sub in s[1]:
            _answer_leaves(t[key], sub, out)
    elif k == _SEQ:
        for v, sub in zip(t, s[2]):
            _answer_leaves(v, sub, out)


def _walk(x: Any, s: tuple, out: list) -> bool:
    """Append the float leaves of result ``x`` as conform would return them; False unless conform would
    accept ``x`` (a subset of what it accepts: exact types) and its int and bool leaves equal the answer's."""
    k = s[0]
    tx = type(x)
    if k == _ARR:
        if tx is np.ndarray:
            if x.dtype != s[1] or x.shape != s[2]:
                return False
            out.append(x)
            return True
        if s[3] and (tx is float or tx is np.float64):
            out.append(float(x))
            return True
        return False
    if k == _FLT:
        if tx is float or tx is int or isinstance(x, (np.floating, np.integer)) or (
                tx is np.ndarray and x.ndim == 0 and x.dtype.kind in "fiu"):
            out.append(float(x))
            return True
        return False
    if k == _INT:
        return (tx is int or isinstance(x, np.integer)) and not (int(x) != s[1])
    if k == _BOOL:
        return (tx is bool or tx is np.bool_) and not (bool(x) != s[1])
    if k == _DICT:
        if tx is not dict:
            return False
        for key, sub in s[1]:
            if key not in x or not _walk(x[key], sub, out):
                return False
        return True
    if tx is np.ndarray and s[3] and x.ndim == 1 and x.dtype.kind in "iu":
        x, tx = x.tolist(), list
    if (tx is not list and tx is not tuple) or len(x) != s[1]:
        return False
    for v, sub in zip(x, s[2]):
        if not _walk(v, sub, out):
            return False
    return True


@dataclass
class _Plan:
    cases: tuple[int, ...]
    specs: list                  # per case: its answer's compiled template (multi-output: one per output), or None
    answers: tuple               # keeps the answers (their ids are the cache key) alive
    starts: np.ndarray           # per case: its first element in E
    ends: np.ndarray             # per case: one past its last element in E
    E: np.ndarray                # every float leaf of every answer, flattened, concatenated (float64)
    B: np.ndarray                # the allowed difference: an element passes where |A - E| <= B ...
    L: np.ndarray | None = None  # ... or L <= A <= H (a judge's interval, e.g. a subgradient's)
    H: np.ndarray | None = None
    states: list | None = None   # hooked judges: per case its prepared state (_NONE: prep failed)
    check: Any = None            # hooked judges: check(state, conformed result)
    keep: tuple = ()             # keeps the cases and the judge (ids in the cache key) alive


def _compile(e, n_out: int):
    """(spec, float leaves) of one answer; _Unsupported where the bulk test cannot walk it."""
    if n_out == 1:
        s = _spec(e)
        out: list = []
        _answer_leaves(e, s, out)
        return s, out
    if type(e) not in (tuple, list) or len(e) != n_out:
        raise _Unsupported
    s = tuple(_spec(v) for v in e)
    out = []
    for v, sub in zip(e, s):
        _answer_leaves(v, sub, out)
    return s, out


def _assemble(cases, specs, answers, leaves_per_case, bounds_per_case, **extra) -> _Plan:
    counts = [sum(int(x.size) for x in ls) for ls in leaves_per_case]
    ends = np.cumsum(np.asarray(counts, dtype=np.int64)) if counts else np.zeros(0, dtype=np.int64)
    flat = [x for ls in leaves_per_case for x in ls]
    E = np.concatenate(flat, axis=None) if flat else np.zeros(0)

    def cat(k, missing=None):  # a leaf without an interval (None): the empty one, inf .. -inf
        parts = [b[k] if b[k] is not None else np.full(b[0].shape, missing) for bs in bounds_per_case for b in bs]
        return np.concatenate(parts, axis=None) if parts else np.zeros(0)

    has_interval = any(b[1] is not None for bs in bounds_per_case for b in bs)
    B = cat(0)
    L, H = (cat(1, np.inf), cat(2, -np.inf)) if has_interval else (None, None)
    return _Plan(tuple(cases), specs, tuple(answers), ends - np.asarray(counts, dtype=np.int64), ends, E, B,
                 L, H, **extra)


def _build_plan(fv, oracle, tol) -> _Plan | None:
    n_out = len(fv.outputs)
    if len(oracle.cases) != len(oracle.expected):
        return None
    specs, leaves = [], []
    try:
        for e in oracle.expected:
            s, ls = _compile(e, n_out)
            specs.append(s)
            leaves.append(ls)
    except (_Unsupported, RecursionError):
        return None
    plan = _assemble(oracle.cases, specs, oracle.expected, leaves, [])
    with np.errstate(all="ignore"):   # the very expression of assert_array_close, elementwise: on all at once
        plan.B = tol.atol + tol.rtol * np.abs(plan.E)
    return plan


# --------------------------------------------------------------------------
# custom comparisons and property oracles that declare a prepared form
# --------------------------------------------------------------------------
#
# A judge function g (a formula's compare, or a property oracle's fn; maybe a functools.partial
# binding keywords ``kw``) may carry ``g.prep`` and ``g.check`` such that, by its definition,
#     compare:  g(case, actual, expected, tol, fn, **kw) == check(prep(case, expected, tol, fn, **kw), actual)
#     property: g(case, result, **kw)                    == check(prep(case, **kw), result)
# (checks/judges/ defines them that way). The state prep returns depends on the case (and
# answer) only, so it is computed once per oracle, from copies, its arrays made read-only; each
# result then only costs the check. A comparison may also carry ``g.bounds(state)``: per float
# leaf of the answer (assert_close's walk order), (B, L, H) arrays (L, H may be None) such that
# a conformed result whose every element has |a - e| <= B or L <= a <= H certainly passes the
# check: those cases are tested together in one numpy expression, like the default comparison.

_NONE = object()


def _hooks(f):
    """(prep, check, bounds, keywords) of a judge function that declares a prepared form, else None."""
    kw: dict = {}
    g = f
    if isinstance(f, functools.partial):
        if f.args:
            return None
        g, kw = f.func, dict(f.keywords)
    prep, check = getattr(g, "prep", None), getattr(g, "check", None)
    if not (callable(prep) and callable(check)):
        return None
    return prep, check, getattr(g, "bounds", None), kw


_ATOMS = frozenset((float, int, bool, str, bytes, type(None), np.float64, np.float32, np.int64, np.bool_))


def _freeze(x, depth: int = 0) -> None:
    """Make the arrays of a prepared state read-only (a check cannot change what later results see)."""
    t = type(x)
    if t is np.ndarray or isinstance(x, np.ndarray):
        x.setflags(write=False)
        return
    if t in _ATOMS or depth >= 8:
        return
    parts = x if t is tuple or t is list or isinstance(x, (tuple, list)) else x.values() if isinstance(x, dict) else \
        vars(x).values() if hasattr(x, "__dict__") and not callable(x) else ()
    for v in parts:
        if type(v) is np.ndarray:
            v.setflags(write=False)
        elif type(v) not in _ATOMS:
            _freeze(v, depth + 1)


def _leaf(v, x: np.ndarray) -> np.ndarray:
    """A bound ``v`` of the answer's float leaf ``x`` as float64 of its shape (broadcast if need be)."""
    a = np.asarray(v, dtype=np.float64)
    return a if a.shape == x.shape else np.broadcast_to(a, x.shape)


def _build_hooked(fv, oracle, tol, hooks) -> _Plan | None:
    prep, check, bounds, kw = hooks
    if len(oracle.cases) != len(oracle.expected):
        return None
    value = oracle.kind == "value"
    n_out = len(fv.outputs)
    states, specs, leaves, bnds = [], [], [], []
    for i, e in zip(oracle.cases, oracle.expected):
        try:
            case = Case(_copy(fv.cases[i].args), _copy(fv.cases[i].kwargs))
            st = prep(case, _copy(e), tol, fv.fn_name, **kw) if value else prep(case, **kw)
            _freeze(st)
        except Exception:   # judged by verdict_of (which reports it as before)
            st = _NONE
        states.append(st)
        s, ls, bs = None, [], []
        if value and bounds is not None and st is not _NONE:
            try:
                s, ls = _compile(e, n_out)
                got = bounds(st)
                if got is None or len(got) != len(ls):
                    raise _Unsupported
                for x, (b, lo, hi) in zip(ls, got):   # no interval (None): the difference alone decides
                    bs.append((_leaf(b, x), None, None) if lo is None else (_leaf(b, x), _leaf(lo, x), _leaf(hi, x)))
            except Exception:
                s, ls, bs = None, [], []
        specs.append(s)
        leaves.append(ls)
        bnds.append(bs)
    if not any(lo is not None and np.any(lo <= hi) for bs in bnds for (_, lo, hi) in bs):   # no interval anywhere
        bnds = [[(b, None, None) for b, _, _ in bs] for bs in bnds]
    f = fv.compare if value else oracle.fn
    return _assemble(oracle.cases, specs, oracle.expected, leaves, bnds, states=states, check=check,
                     keep=(f, tuple(fv.cases[i] for i in oracle.cases)))


#: id(oracle) -> (weak reference to it, key, plan or None): one plan per oracle object for every submission.
#: No weakref callback (nor WeakKeyDictionary, nor finalize): a callback is Python code run by the garbage
#: collector, possibly inside CPython 3.11's ast.parse, where switching threads lets another thread's parse
#: (np.load's literal_eval in the grader's vectors-reading thread) break it ("AST constructor recursion
#: depth mismatch"). The plans of dead oracles are dropped when a new plan is stored.
_PLANS: dict[int, tuple] = {}


def _plan_of(fv, oracle, hooks=None) -> _Plan | None:
    """The oracle's bulk-test data, cached while the oracle lives (recomputed if its answers, tolerance,
    cases or judge change). Two threads may both compute it: the same plan, one of them kept."""
    tol = oracle.tol or fv.tol
    key = (len(fv.outputs), tol, tuple(oracle.cases), tuple(map(id, oracle.expected)))
    if hooks is not None:
        f = fv.compare if oracle.kind == "value" else oracle.fn
        key += (oracle.kind, id(f), fv.fn_name, tuple(id(fv.cases[i]) for i in oracle.cases))
    k = id(oracle)
    entry = _PLANS.get(k)
    if entry is not None and entry[0]() is oracle and entry[1] == key:
        return entry[2]
    plan = _build_plan(fv, oracle, tol) if hooks is None else _build_hooked(fv, oracle, tol, hooks)
    for dead in [d for d, e in list(_PLANS.items()) if e[0]() is None]:
        _PLANS.pop(dead, None)
    _PLANS[k] = (weakref.ref(oracle), key, plan)
    return plan


#: the prepared judges' oracles judged once (id -> weak reference): their plan costs more to build than one
#: submission's results judged case by case, so it is built when the oracle judges its second submission (a
#: single grade never builds one; a batch does, once). False: build it on first use. (The default
#: comparison's plans cost less than judging case by case: always built.)
LAZY = True
_SEEN: dict[int, weakref.ref] = {}


def _second_use(oracle) -> bool:
    entry = _PLANS.get(id(oracle))
    if not LAZY or (entry is not None and entry[0]() is oracle):
        return True
    seen = _SEEN.get(id(oracle))
    if seen is not None and seen() is oracle:
        return True
    for dead in [d for d, r in list(_SEEN.items()) if r() is None]:
        _SEEN.pop(dead, None)
    _SEEN[id(oracle)] = weakref.ref(oracle)
    return False


def _bulk_verdicts(fv, oracle, results: dict) -> list | None:
    """Per case of the oracle: True where verdict_of certainly returns None, the CheckFailure it certainly
    returns, or None (judged by verdict_of). None: no bulk test for this oracle."""
    hooks = None
    if oracle.kind != "value" or fv.compare is not None:
        hooks = _hooks(fv.compare if oracle.kind == "value" else oracle.fn)
        if hooks is None:
            return None
    if hooks is not None and not _second_use(oracle):
        return None
    plan = _plan_of(fv, oracle, hooks)
    if plan is None:
        return None
    multi = len(fv.outputs) > 1
    ok: list = []
    parts: list = []
    for p, i in enumerate(plan.cases):
        pre, x = results[i]
        n0 = len(parts)
        good = False
        s = plan.specs[p]
        if pre is None and s is not None:
            try:
                if not multi:
                    good = _walk(x, s, parts)
                elif (type(x) is tuple or type(x) is list) and len(x) == len(s):
                    good = all(_walk(v, sub, parts) for v, sub in zip(x, s))
            except Exception:   # an overflow in float(), a deep nesting...: judged by verdict_of
                good = False
        if not good:
            del parts[n0:]
            parts.append(plan.E[plan.starts[p]:plan.ends[p]])   # a placeholder keeps the others aligned
            good = None
        ok.append(good)
    try:
        A = np.concatenate(parts, axis=None, dtype=np.float64) if parts else np.zeros(0)
        if A.shape != plan.E.shape:
            return None
        with np.errstate(all="ignore"):
            close = np.abs(A - plan.E) <= plan.B
            if plan.L is not None:
                close |= (A >= plan.L) & (A <= plan.H)
    except Exception:
        return None
    if not close.all():
        for p in np.unique(np.searchsorted(plan.ends, np.flatnonzero(~close), side="right")).tolist():
            ok[p] = None
    if plan.states is not None:
        for p, i in enumerate(plan.cases):
            if ok[p] is None and results[i][0] is None and plan.states[p] is not _NONE:
                ok[p] = _checked(fv, oracle, plan, p, results[i][1])
    return ok


def _checked(fv, oracle, plan: _Plan, p: int, actual: Any):
    """The judgement of one result by a prepared judge: what judge() does after copying the case
    (conform, the finite test of a property, the check); True, its CheckFailure, or None (any other
    exception: verdict_of decides)."""
    expected = plan.answers[p]
    try:
        res = conform_outputs(fv, actual, expected)
        if oracle.kind != "value":
            check_finite(res, expected, fv.fn_name)
        plan.check(plan.states[p], res)
    except CheckFailure as f:
        return f
    except Exception:
        return None
    return True


# --------------------------------------------------------------------------
# value oracles that agree bit for bit: one judgement per case
# --------------------------------------------------------------------------
#
# A value oracle's verdict on case i is a function of the formula (its comparison, its outputs), the case,
# the result, the answer and the tolerance (checks.core.judge.judge: the oracle itself enters only by its
# kind and its tol). Two value oracles whose answers for case i are equal bit for bit (same types, dtypes,
# shapes and bytes) under the same tolerance give that case the same verdict: it is judged once (a torch
# module and torch.nn.functional give the same bits on about a quarter of the public file's answers).

def _same(a: Any, b: Any, depth: int = 0) -> bool:
    """``a`` and ``b`` equal bit for bit: same types, dtypes, shapes and bytes (floats by their IEEE bytes)."""
    t = type(a)
    if t is not type(b) or depth > 64:
        return False
    if t is np.ndarray:
        return a.dtype == b.dtype and a.shape == b.shape and a.dtype.kind in "biuf" and a.tobytes() == b.tobytes()
    if t is float or t is np.float64 or t is np.float32:
        return np.asarray(a).tobytes() == np.asarray(b).tobytes()
    if t is int or t is bool or t is str or t is np.int64 or t is np.bool_ or a is None:
        return a == b
    if t is tuple or t is list:
        return len(a) == len(b) and all(_same(x, y, depth + 1) for x, y in zip(a, b))
    if t is dict:
        return list(a) == list(b) and all(_same(a[k], b[k], depth + 1) for k in a)
    return False   # anything else: never taken for the same


#: id(formula vectors) -> (weak reference to them, {id(oracle): [class of each of its answers]})
_CLASSES: dict[int, tuple] = {}


def answer_classes(fv) -> dict[int, list]:
    """Per value oracle of ``fv`` (by id), the class of each of its answers: two answers of one case share a
    class when they are equal bit for bit under the same tolerance (see above). Cached while ``fv`` lives."""
    entry = _CLASSES.get(id(fv))
    if entry is not None and entry[0]() is fv:
        return entry[1]
    out: dict[int, list] = {}
    seen: dict[int, list] = {}   # case -> [(answer, tol, class)]
    n = 0
    for o in fv.oracles:
        if o.kind != "value" or len(o.cases) != len(o.expected):
            continue
        tol = o.tol or fv.tol
        classes = []
        for i, e in zip(o.cases, o.expected):
            c = None
            for e2, t2, c2 in seen.get(i, ()):
                if t2 == tol and _same(e, e2):
                    c = c2
                    break
            if c is None:
                c, n = n, n + 1
                seen.setdefault(i, []).append((e, tol, c))
            classes.append(c)
        out[id(o)] = classes
    for dead in [d for d, e in list(_CLASSES.items()) if e[0]() is None]:
        _CLASSES.pop(dead, None)
    try:
        _CLASSES[id(fv)] = (weakref.ref(fv), out)
    except TypeError:   # not weakly referenceable: not cached
        pass
    return out
