"""Drawing inputs: the ONLY module of formulacheck that calls Hypothesis' ``given``.

Two uses, one seed rule:

- :func:`cases` records ``n`` inputs of a strategy (the grading vectors are
  built from them: :mod:`checks.run.vectors`);
- :func:`search` runs a test on drawn inputs and, when it fails, lets
  Hypothesis shrink the failure to a minimal input (``formulacheck verify``,
  pytest, the audit).

Every run gets an explicit seed, :func:`seed_for` of (base seed, formula
id, oracle name, profile): never the digest of a function's source text
(Hypothesis' derandomize), so editing this module or any caller leaves the
drawn inputs unchanged. While drawing, Hypothesis' pool of "local
constants" (literals it harvests from the project's loaded modules) is
emptied, so the inputs do not depend on which modules are imported or on
their literals either. What remains is the Hypothesis version: the vectors
file removes that dependency for grading.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from dataclasses import dataclass
from typing import Any, Callable

from hypothesis import Phase, given, seed as hyp_seed, settings
from hypothesis.errors import HypothesisException

from checks.core.case import Case
from checks.core.verdicts import CheckFailure, HarnessError
from checks.run import profiles

#: the base seed of the shipped (public) vectors and of verify/pytest runs without --seed
DEFAULT_SEED = 20260611

_LOCK = threading.RLock()  # one Hypothesis run at a time (the constants patch is process-wide)


def seed_for(base: int, *parts: str) -> int:
    """A 64-bit seed from the base seed and names (formula id, oracle name, profile...)."""
    h = hashlib.sha256(repr((int(base),) + tuple(str(p) for p in parts)).encode()).digest()
    return int.from_bytes(h[:8], "big")


@contextlib.contextmanager
def _no_local_constants():
    """Empty Hypothesis' harvested-constants pool for the duration (see the module docstring)."""
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants

        saved = providers._get_local_constants
        empty = Constants()
    except (ImportError, AttributeError):  # another Hypothesis layout: nothing to empty
        yield
        return
    providers._get_local_constants = lambda: empty
    providers.CONSTANTS_CACHE.cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = saved
        providers.CONSTANTS_CACHE.cache.clear()


def _settings(profile: str | None, n: int, shrink: bool) -> settings:
    base = profiles.settings_for(profile)
    phases = [Phase.explicit, Phase.generate] + ([Phase.shrink] if shrink else [])
    return settings(base, max_examples=max(1, int(n)), derandomize=False, database=None, phases=phases)


def _run(strategy, body: Callable[[Case], None], n: int, seed: int, profile: str | None, shrink: bool) -> None:
    test = hyp_seed(seed)(_settings(profile, n, shrink)(given(strategy)(body)))
    with _LOCK, _no_local_constants():
        test()


def cases(strategy, n: int, seed: int, profile: str | None = None) -> list[Case]:
    """``n`` inputs drawn from ``strategy`` (fewer if it has fewer distinct values), in draw order."""
    out: list[Case] = []

    def body(case: Case) -> None:
        out.append(case.copy())

    try:
        _run(strategy, body, n, seed, profile, shrink=False)
    except HypothesisException as e:
        raise HarnessError(f"the strategy failed: {type(e).__name__}: {e}") from e
    return out


@dataclass
class Found:
    """A failing input (shrunk when the search shrank) and its failure."""

    case: Case
    failure: CheckFailure
    shrunk: bool
    detail: Any = None  # what the test attached to its failure (e.g. the result it got)


class Stop(BaseException):
    """Raised by a test to end a search at once, without shrinking (e.g. 'not implemented')."""

    def __init__(self, failure: CheckFailure):
        super().__init__(failure.message)
        self.failure = failure


def search(strategy, test: Callable[[Case], Any], n: int, seed: int, profile: str | None = None,
           shrink: bool = True) -> tuple[int, Found | None, Stop | None]:
    """Run ``test`` on up to ``n`` drawn inputs; (inputs tried, the minimal failure or None, a Stop or None).

    ``test(case)`` raises :class:`CheckFailure` on a failing input (it may set
    ``failure.detail``); any other exception is a :class:`HarnessError`.
    """
    state = {"n": 0, "last": None}

    def body(case: Case) -> None:
        state["n"] += 1
        try:
            test(case)
        except CheckFailure as f:
            state["last"] = Found(case.copy(), f, shrink, getattr(f, "detail", None))
            raise

    try:
        _run(strategy, body, n, seed, profile, shrink)
    except Stop as s:
        return state["n"], None, s
    except CheckFailure:
        return state["n"], state["last"], None
    except HarnessError:
        raise
    except HypothesisException as e:  # flaky and the like: report the failure seen, never crash
        if state["last"] is not None and _contains(e, CheckFailure):
            return state["n"], state["last"], None
        inner = _contains(e, HarnessError)
        if inner is not None:
            raise inner from e
        raise HarnessError(f"Hypothesis failed: {type(e).__name__}: {e}") from e
    except Exception as e:
        inner = _contains(e, HarnessError)
        if inner is not None:
            raise inner from e
        if state["last"] is not None and _contains(e, CheckFailure):
            return state["n"], state["last"], None
        raise HarnessError(f"{type(e).__name__}: {e}") from e
    return state["n"], None, None


def _contains(e: BaseException, cls) -> BaseException | None:
    seen: set[int] = set()
    stack = [e]
    while stack:
        x = stack.pop()
        if x is None or id(x) in seen:
            continue
        seen.add(id(x))
        if isinstance(x, cls):
            return x
        stack.extend(getattr(x, "exceptions", ()) or ())
        stack.extend([x.__cause__, x.__context__])
    return None
