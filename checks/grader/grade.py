"""Grading submissions: fixed cases per batch, remote calls, judging in the grader.

Per formula the grader draws the grading cases ONCE per batch with
Hypothesis (seeded, so every submission and every run sees the same inputs)
and computes every oracle's expected answers once. For each submission it
sends a formula's cases to the submission's worker in one request, decodes
the plain results and judges them with :func:`checks.run.check.judge`. The
verdict and the score come from these fixed cases only.

When a formula fails, a bounded, seeded Hypothesis search (the remote
caller in place of an in-process one) shrinks the failure to a minimal
input for the feedback; if it does not reproduce the failure, the feedback
shows the first failing grading case instead.
"""

from __future__ import annotations

import copy
import os
import pickle
import queue
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from checks import registry
from checks.core import feedback
from checks.core.judge import verdict_of
from checks.run import draw, profiles
from checks.run.expect import expected_for, strategy_for
from checks.core.case import Case
from checks.core.compare import CheckFailure, Verdict
from checks.core import wire
from checks.grader.cache import Cache, Entry as CacheEntry
from checks.grader.policy import scan
from checks.grader.rubric import Rubric
from checks.grader.source import decode_source, display_name, read_submission, worker_file_name
from checks.grader import isolation as isolation_mod
from checks.grader import sandbox
from checks.grader.sandbox import Sandbox, SandboxError, Zygote
from checks.registry import Formula, Oracle

#: the seed of every grading run: the same inputs for every submission
GRADE_SEED = 20260611
#: bounds of the search for a minimal counterexample (feedback only)
SHRINK_MAX_CALLS = 120
SHRINK_MAX_SECONDS = 10.0
MAX_SOURCE_BYTES = 2 << 20

_HYP_LOCK = threading.RLock()  # Hypothesis and the oracles run in one thread at a time


class _StopSearch(draw.Stop):
    def __init__(self):
        BaseException.__init__(self, 'stop')


# --------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------

@dataclass
class FormulaResult:
    id: str
    score: float
    max_score: float
    verdict: str
    reason: str = ""              # one line
    feedback: str = ""            # the full message: minimal failing input, expected...

    @property
    def passed(self) -> bool:
        return self.verdict == Verdict.PASSED.value


@dataclass
class SubmissionResult:
    name: str
    path: str
    status: str = "ok"            # ok / policy violation / syntax error / import error / ... / grader error
    message: str = ""
    tests: list[FormulaResult] = field(default_factory=list)
    output: str = ""              # what the submission printed (capped)
    seconds: float = 0.0
    isolation: str = ""           # the isolation level it was graded at (checks.grader.isolation)
    resources: str = ""           # how its resources were limited: cgroup-v1 / cgroup-v2 / rlimit

    @property
    def score(self) -> float:
        return sum(t.score for t in self.tests)

    @property
    def max_score(self) -> float:
        return sum(t.max_score for t in self.tests)


# --------------------------------------------------------------------------
# the batch's cases
# --------------------------------------------------------------------------

@dataclass
class Prepared:
    formula: Formula
    points: float
    examples: int
    cases: list[Case] = field(default_factory=list)          # unique cases of every oracle
    blobs: list[bytes] = field(default_factory=list)         # their pickles, as the worker gets them
    plan: list[tuple[Oracle, list[int], list[Any]]] = field(default_factory=list)
    error: str | None = None                                 # a harness error: the formula cannot be graded


def draw_cases(formula: Formula, oracle: Oracle, n: int, profile: str) -> list[Case]:
    """The grading cases of one oracle: an explicitly seeded draw."""
    return draw.cases(strategy_for(formula, oracle), n, draw.seed_for(GRADE_SEED, formula.id, oracle.name, profile), profile)


def prepare(formula: Formula, rubric: Rubric, profile: str) -> Prepared:
    n = rubric.examples_for(formula, profile)
    p = Prepared(formula, rubric.points_for(formula), n)
    index: dict[bytes, int] = {}
    drawn: dict[int, list[Case]] = {}
    try:
        for o in formula.oracles:
            key = id(o.strategy or formula.strategy)
            if key not in drawn:
                drawn[key] = draw_cases(formula, o, n, profile)
            idxs, expected = [], []
            for case in drawn[key]:
                blob = pickle.dumps((case.args, case.kwargs), protocol=5)
                i = index.get(blob)
                if i is None:
                    i = index[blob] = len(p.cases)
                    p.cases.append(case)
                    p.blobs.append(blob)
                idxs.append(i)
                with _HYP_LOCK:
                    expected.append(expected_for(formula, o, case))
            p.plan.append((o, idxs, expected))
    except Exception as e:  # HarnessError or a strategy bug: ours, not the student's
        p.error = f"{type(e).__name__}: {e}"
    return p


def prepare_cached(formula: Formula, rubric: Rubric, profile: str, store: "Cache | None") -> tuple[Prepared, bool]:
    """:func:`prepare` through the disk cache ``store`` (None: no cache); (prepared, True if it came from the cache)."""
    if store is None:
        return prepare(formula, rubric, profile), False
    n = rubric.examples_for(formula, profile)
    key = store.key(formula, profile, n, GRADE_SEED)
    entry = store.load(formula, key)
    if entry is not None:
        return Prepared(formula, rubric.points_for(formula), n, entry.cases, entry.blobs, entry.plan), True
    p = prepare(formula, rubric, profile)
    if p.error is None:  # harness errors are never cached
        store.save(formula, key, CacheEntry(p.cases, p.blobs, p.plan))
    return p, False


# --------------------------------------------------------------------------
# judging one formula
# --------------------------------------------------------------------------

def _worker_failure(fn: str, reply: dict) -> tuple[CheckFailure | None, Any]:
    """(failure, decoded result) of one reply of the worker."""
    k = reply["k"]
    msg = reply.get("msg")
    msg = msg[:2000] if isinstance(msg, str) else ""
    if k == "exc":
        return CheckFailure(Verdict.ERROR, msg or f"{fn} raised an exception"), None
    if k == "inplace":
        return CheckFailure(Verdict.INPLACE, msg or f"{fn} modified an argument in place"), None
    if k in ("alias", "bad"):
        return CheckFailure(Verdict.WRONG_TYPE, msg or f"{fn} returned an unreadable result"), None
    try:
        return None, wire.decode(reply.get("v"))
    except (wire.WireError, RecursionError, ValueError, TypeError) as e:
        return CheckFailure(Verdict.WRONG_TYPE, f"{fn}: its result could not be read: {e}"), None


def _judge(formula: Formula, oracle: Oracle, case: Case, actual: Any, expected: Any) -> CheckFailure | None:
    return verdict_of(formula, oracle, case, actual, expected)


_one_line = feedback.one_line


def _feedback(formula: Formula, oracle: Oracle | None, failure: CheckFailure, case: Case | None,
              actual: Any = None, minimal: bool = True, expected: Any = None, has_actual: bool = False) -> str:
    return feedback.render(formula, oracle, failure, case, found=feedback.MINIMAL if minimal else feedback.FAILING,
                           expected=expected if expected is not None else feedback.MISSING,
                           actual=actual if has_actual else feedback.MISSING)


class Grader:
    """Grades submissions against every formula of the registry (or a selection).

    Use as a context manager (it owns the zygote, the job slots and a private
    temporary directory)::

        with Grader(rubric, jobs=2) as g:
            results = g.grade_many(paths)
    """

    def __init__(self, rubric: Rubric | None = None, *, profile: str = "grade", ids: list[str] | None = None,
                 jobs: int = 1, on_prepare: Callable[[str, int, int], None] | None = None,
                 cache: bool = True, cache_dir: str | None = None, drop_privileges: bool | None = None,
                 isolation: str | None = None, namespaces: bool = True, seccomp: bool = True):
        self.rubric = rubric or Rubric()
        self.profile = profiles.resolve(profile)
        fs = registry.all_formulas()
        if ids is not None:
            fs = [f for f in fs if f.id in set(ids)]
        self.formulas = fs
        self.jobs = max(1, int(jobs))
        self.on_prepare = on_prepare
        self.prepared: list[Prepared] | None = None
        self._zygote: Zygote | None = None
        self._slots: queue.Queue[Sandbox] | None = None
        self._sandboxes: list[Sandbox] = []
        self._root: str | None = None
        self.prepare_seconds = 0.0
        self.cache = bool(cache)          # reuse the batch preparation across runs (checks.grader.cache)
        self.cache_dir = cache_dir        # None: $FORMULACHECK_CACHE_DIR, else the user's cache directory
        self.cache_path: str | None = None  # the directory used, if the cache was usable
        self.cache_hits = 0               # formulas whose preparation came from the cache
        # None: workers get a private uid when the grader is root; False: they keep the grader's
        # uid (what a normal user gets; lets root exercise that path); True: root only
        self.drop_privileges = sandbox.resolve_drop(drop_privileges)
        # the isolation level: the strongest this machine allows (namespaces / seccomp can be turned
        # off to exercise the lower levels); ``isolation`` or the rubric's [sandbox] key is a minimum
        caps = isolation_mod.detect()
        self.caps = caps
        self.isolation = isolation_mod.level_for(caps, self.drop_privileges, namespaces, seccomp)
        self.resources = f"cgroup-{caps.cgroup}" if caps.cgroup else "rlimit"
        required = isolation_mod.parse_requirement(isolation) or self.rubric.isolation
        self.required_isolation = required
        if required is not None and isolation_mod.rank(self.isolation) < isolation_mod.rank(required):
            raise isolation_mod.IsolationError(self.isolation_refusal(required))

    def isolation_refusal(self, required: str) -> str:
        c = self.caps
        why = [w for w in (c.bwrap_why and f"namespaces: {c.bwrap_why}", c.seccomp_why and f"seccomp: {c.seccomp_why}",
                           (not self.drop_privileges) and "uid: the grader is not root") if w]
        return (f"refusing to grade at isolation level {self.isolation!r} (at least {required!r} is required): "
                f"{'; '.join(why) or 'a layer was turned off'}. To get a higher level, {isolation_mod.HOW_TO_RAISE}"
                f"(see docs/grading.md, 'Isolation levels')")

    # ---------------------------------------------------------------- lifecycle

    def __enter__(self) -> "Grader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def prepare_batch(self) -> list[Prepared]:
        """The batch's cases and expected answers (once; from the disk cache when it holds them)."""
        if self.prepared is None:
            t0 = time.perf_counter()
            # the cache directory is created (0700) here, before any worker exists
            store = Cache.open(self.cache_dir) if self.cache else None
            self.cache_path = store.path if store is not None else None
            out = []
            try:
                for k, f in enumerate(self.formulas):
                    if self.on_prepare:
                        self.on_prepare(f.id, k, len(self.formulas))
                    p, hit = prepare_cached(f, self.rubric, self.profile, store)
                    self.cache_hits += hit
                    out.append(p)
            finally:
                if store is not None:
                    store.close()
            self.prepared = out
            self.prepare_seconds = time.perf_counter() - t0
        return self.prepared

    def _ensure(self) -> None:
        self.prepare_batch()  # before any worker exists (the cache directory is private: 0700)
        if self._zygote is None:
            if not self.isolation.startswith("namespaces") and not self.drop_privileges:
                # the worker runs under our uid and sees our /proc: our memory (the expected answers)
                # must not be readable through /proc/<pid>/mem
                import ctypes

                ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
            self._root = tempfile.mkdtemp(prefix="formulacheck-grade-")
            os.chmod(self._root, 0o711)
            self._zygote = Zygote()
            self._slots = queue.Queue()
            for _ in range(self.jobs):
                sb = Sandbox(self._zygote, self.rubric.limits, self.rubric.policy, self._root, len(self.formulas),
                             drop_privileges=self.drop_privileges, level=self.isolation,
                             shrink_seconds=SHRINK_MAX_SECONDS)
                self._sandboxes.append(sb)
                self._slots.put(sb)

    def close(self) -> None:
        for sb in self._sandboxes:
            try:
                sb.close()
            except Exception:
                pass
        self._sandboxes = []
        if self._zygote is not None:
            self._zygote.close()
            self._zygote = None
        if self._root is not None:
            import shutil

            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None

    # ---------------------------------------------------------------- grading

    def grade_many(self, paths: list[str], on_done: Callable[[SubmissionResult], None] | None = None) -> list[SubmissionResult]:
        self._ensure()
        if self.jobs == 1 or len(paths) == 1:
            out = []
            for p in paths:
                r = self.grade_file(p)
                if on_done:
                    on_done(r)
                out.append(r)
            return out
        results: list[SubmissionResult | None] = [None] * len(paths)
        lock = threading.Lock()

        def task(i: int) -> None:
            r = self.grade_file(paths[i])
            results[i] = r
            if on_done:
                with lock:
                    on_done(r)

        with ThreadPoolExecutor(max_workers=self.jobs) as ex:
            list(ex.map(task, range(len(paths))))
        return results  # type: ignore[return-value]

    def grade_file(self, path: "str | bytes | os.PathLike") -> SubmissionResult:
        """Grade one file; never raises (an internal failure is status 'grader error').

        Only a regular file is read, never through a symbolic link (see
        :mod:`checks.grader.source`); anything else is status 'unreadable'.
        ``path`` may be bytes (a name that is not UTF-8); the result's name
        is the file name escaped readably.
        """
        t0 = time.perf_counter()
        try:
            path = os.fsdecode(path)
        except (TypeError, ValueError) as e:
            res = self._all_zero(display_name(repr(path)), "", "unreadable", f"not a file name: {e}", Verdict.ERROR)
            res.seconds = time.perf_counter() - t0
            return res
        src = read_submission(path, MAX_SOURCE_BYTES)
        if src.error is not None:
            res = self._all_zero(src.name, path, "unreadable", src.error, Verdict.ERROR)
        else:
            res = self.grade_bytes(src.data, src.name, path)
            if res.status == "ok" and not res.message and src.notes:
                res.message = "note: " + "; ".join(src.notes)
        res.seconds = time.perf_counter() - t0
        return res

    def grade_bytes(self, data: bytes, name: str, path: str = "") -> SubmissionResult:
        self._ensure()
        sb = self._slots.get()
        try:
            res = self._grade(sb, data, name, path)
        except Exception as e:  # a bug of ours or a broken sandbox: this submission only
            detail = "".join(traceback.format_exception_only(type(e), e)).strip()
            try:
                sb.close_submission()
            except Exception:
                pass
            res = self._all_zero(name, path, "grader error", f"the grader failed on this submission: {detail}", Verdict.ERROR)
        finally:
            self._slots.put(sb)
        res.isolation, res.resources = self.isolation, self.resources
        return res

    def _all_zero(self, name: str, path: str, status: str, message: str, verdict: Verdict) -> SubmissionResult:
        res = SubmissionResult(name, path, status=status, message=message)
        for f in self.formulas:
            pts = self.rubric.points_for(f)
            res.tests.append(FormulaResult(f.id, 0.0, pts, verdict.value, _one_line(status, message), f"{f.id}: {status}\n{message}"))
        return res

    def _grade(self, sb: Sandbox, data: bytes, name: str, path: str) -> SubmissionResult:
        if len(data) > MAX_SOURCE_BYTES:
            return self._all_zero(name, path, "unreadable", f"the file is larger than {MAX_SOURCE_BYTES >> 20} MB", Verdict.ERROR)
        # Python's own rules: UTF-8, a UTF-8 BOM, a PEP 263 coding declaration (checks.grader.source)
        dec = decode_source(data)
        if dec.error is not None:
            return self._all_zero(name, path, "unreadable", dec.error, Verdict.ERROR)
        source = dec.text
        sc = scan(source, self.rubric.policy, name)
        if sc.syntax_error:
            return self._all_zero(name, path, "syntax error", sc.syntax_error, Verdict.ERROR)
        if sc.violations:
            return self._all_zero(name, path, "policy violation", "; ".join(sc.violations), Verdict.POLICY)
        basename = worker_file_name(name)
        lr = sb.open(source, basename, [f.fn_name for f in self.formulas])
        try:
            if not lr.ok:
                status = {"timeout": "import timed out", "crash": "import crashed"}.get(lr.kind, "import error")
                verdict = {"timeout": Verdict.TIMEOUT, "crash": Verdict.CRASHED}.get(lr.kind, Verdict.ERROR)
                res = self._all_zero(name, path, status, lr.error, verdict)
            else:
                res = SubmissionResult(name, path)
                have = set(lr.functions)
                for p in self.prepared:
                    res.tests.append(self._grade_formula(sb, p, p.formula.fn_name in have))
                    if sb.violations:
                        break
            if sb.violations:
                res = self._all_zero(name, path, "policy violation", "; ".join(sb.violations), Verdict.POLICY)
            harness = [t.id for t in res.tests if t.verdict == "grader error"]
            if harness and res.status == "ok":
                res.status, res.message = "grader error", f"the checks of {', '.join(harness)} could not run (a harness bug)"
            res.output, truncated = sb.output()
            if truncated:
                res.output += f"\n... (output truncated at {self.rubric.limits.max_output_kb} KB)"
        finally:
            sb.close_submission()
        return res

    def _grade_formula(self, sb: Sandbox, p: Prepared, present: bool) -> FormulaResult:
        f = p.formula
        fn = f.fn_name
        if p.error is not None:
            msg = f"the grader could not prepare the checks of {f.id}: {p.error}"
            return FormulaResult(f.id, 0.0, p.points, "grader error", _one_line("grader error", msg), msg)
        if not present:
            return FormulaResult(f.id, 0.0, p.points, Verdict.NOT_IMPLEMENTED.value, f"no function named {fn}",
                                 f"{f.id}: not implemented (the submission defines no function {fn})")
        replies, problem = sb.run(fn, p.blobs, f.fresh_outputs, self.rubric.limits.timeout)
        if sb.violations:  # the whole submission scores 0: no need to judge
            return FormulaResult(f.id, 0.0, p.points, Verdict.POLICY.value, Verdict.POLICY.value, "; ".join(sb.violations))
        if any(r is not None and r["k"] == "notimpl" for r in replies):
            return FormulaResult(f.id, 0.0, p.points, Verdict.NOT_IMPLEMENTED.value, "raises NotImplementedError",
                                 f"{f.id}: not implemented ({fn} raises NotImplementedError)")
        if problem is not None:
            kind, i, msg = problem
            verdict = Verdict.TIMEOUT if kind == "timeout" else Verdict.CRASHED
            case = p.cases[i] if p.cases else None
            fb = _feedback(f, None, CheckFailure(verdict, msg), case, minimal=False)
            return FormulaResult(f.id, 0.0, p.points, verdict.value, _one_line(verdict.value, msg), fb)
        # judge every case against every oracle, in order; the first failure decides
        decoded: dict[int, tuple] = {}
        for oracle, idxs, expecteds in p.plan:
            for i, exp in zip(idxs, expecteds):
                if i not in decoded:
                    r = replies[i]
                    if r is None:
                        decoded[i] = (CheckFailure(Verdict.CRASHED, f"{fn}: the worker sent no result for this input"), None)
                    else:
                        decoded[i] = _worker_failure(fn, r)
                failure, actual = decoded[i]
                if failure is None:
                    failure = _judge(f, oracle, p.cases[i], actual, exp)
                if failure is not None:
                    fb = self._explain(sb, p, oracle, failure, i, actual, exp)
                    return FormulaResult(f.id, 0.0, p.points, failure.verdict.value,
                                         _one_line(failure.verdict.value, failure.message), fb)
        return FormulaResult(f.id, p.points, p.points, Verdict.PASSED.value, "", f"{f.id}: passed ({len(p.cases)} inputs)")

    # ---------------------------------------------------------------- feedback

    def _explain(self, sb: Sandbox, p: Prepared, oracle: Oracle, failure: CheckFailure, i: int, actual: Any, expected: Any) -> str:
        """Feedback for a failed formula: the shrunk counterexample, else the grading case."""
        f = p.formula
        found = None
        try:
            found = self._shrink(sb, p, oracle, failure.verdict)
        except (SandboxError, OSError):
            raise
        except Exception:
            found = None
        if found is not None:
            case, fail2, act2, exp2, has = found
            return _feedback(f, oracle, fail2, case, act2, True, exp2, has)
        return _feedback(f, oracle, failure, p.cases[i], actual, False, expected, failure.verdict is not Verdict.ERROR and actual is not None)

    def _shrink(self, sb: Sandbox, p: Prepared, oracle: Oracle, verdict: Verdict):
        f = p.formula
        fn = f.fn_name
        best: list = [None]
        calls = [0]
        t_end = time.monotonic() + SHRINK_MAX_SECONDS

        def body(case: Case) -> None:
            calls[0] += 1
            if calls[0] > SHRINK_MAX_CALLS or time.monotonic() > t_end:
                raise _StopSearch()
            blob = pickle.dumps((case.args, case.kwargs), protocol=5)
            expected = expected_for(f, oracle, case)
            replies, problem = sb.run(fn, [blob], f.fresh_outputs, self.rubric.limits.timeout)
            if problem is not None or replies[0] is None or replies[0]["k"] == "notimpl":
                raise _StopSearch()
            failure, actual = _worker_failure(fn, replies[0])
            has = failure is None
            if failure is None:
                failure = _judge(f, oracle, case, actual, expected)
            if failure is not None and failure.verdict is verdict:
                best[0] = (case.copy(), failure, actual, expected if oracle.kind == "value" else None, has)
                raise failure

        try:
            draw.search(strategy_for(f, oracle), body, p.examples, draw.seed_for(GRADE_SEED, f.id, oracle.name, self.profile),
                        self.profile)
        except (_StopSearch, draw.HarnessError):
            pass
        return best[0]
