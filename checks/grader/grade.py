"""Grading submissions from a vectors file: fixed inputs, sandboxed calls, judging in the grader.

The grading inputs and the expected answers come from ONE vectors file
(:mod:`checks.core.vecfile`; by default the package's public one, for
official grading an instructor's hidden one: ``formulacheck vectors
build``). Grading imports neither torch, nor SymPy, nor Hypothesis: the
judge (:mod:`checks.core.judge`) and the judges it names
(:mod:`checks.judges`) are numpy/scipy. Per formula the grader sends the
file's cases to the submission's sandboxed worker in one request, decodes
the plain results and judges them in order of size: the first failing case
met is the smallest failing vector, shown in the feedback
(:mod:`checks.core.feedback`) with what was expected and what came back.
``shrink=True`` adds a bounded Hypothesis search for a smaller input where
the oracles are installed (instructor machines).

Every result records the SHA-256 of the vectors file it was graded against.
"""

from __future__ import annotations

import os
import queue
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from checks.core import feedback, vecfile
from checks.core.assess import Assessment, assess, diagnosis_of
from checks.core.assess import render as render_assessment
from checks.core.verdicts import CheckFailure, HarnessError, Status, Verdict
from checks.core.vecfile import FormulaVectors, VectorsError
from checks.grader import isolation as isolation_mod
from checks.grader import sandbox
from checks.grader.notebook import relocate_result
from checks.grader.policy import scan
from checks.grader.reading import Prepared, _Reading
from checks.grader.results import FormulaResult, SubmissionResult  # noqa: F401  (re-exported)
from checks.grader.rubric import Rubric
from checks.grader.sandbox import Sandbox, SandboxError, Zygote
from checks.grader.source import decode_source, display_name, read_submission, worker_file_name

#: bounds of the optional search for a smaller counterexample (``shrink=True``: feedback only)
SHRINK_MAX_CALLS = 120
SHRINK_MAX_SECONDS = 10.0
MAX_SOURCE_BYTES = 2 << 20
_NO_ZYGOTE = object()  # processes mode: the grading processes hold the zygotes


# --------------------------------------------------------------------------
# judging one formula's replies
# --------------------------------------------------------------------------

def _worker_failure(fn: str, reply: dict) -> tuple[CheckFailure | None, Any]:
    """(failure, decoded result) of one reply of the worker."""
    from checks.core import wire

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
        return None, wire.unpack(reply.get("v"))
    except (wire.WireError, RecursionError, ValueError, TypeError) as e:
        return CheckFailure(Verdict.WRONG_TYPE, f"{fn}: its result could not be read: {e}"), None


#: the judgement of one formula on all its cases (checks.core.assess)
Judged = Assessment


def judge_replies(fv: FormulaVectors, replies: list) -> Assessment:
    """Judge every case against every oracle (:func:`checks.core.assess.assess`): cases smallest first,
    so the first failure is the smallest failing case of the first failing oracle.

    Raises :class:`HarnessError` when a comparison itself fails.
    """
    fn = fv.fn_name
    results: dict[int, tuple] = {}
    for i in range(len(fv.cases)):
        r = replies[i] if i < len(replies) else None
        if r is None:
            results[i] = (CheckFailure(Verdict.CRASHED, f"{fn}: the worker sent no result for this input"), feedback.MISSING)
        else:
            failure, actual = _worker_failure(fn, r)
            results[i] = (failure, feedback.MISSING if failure is not None else actual)
    return assess(fv, results)


class Grader:
    """Grades submissions against the formulas of a vectors file (or a selection of them).

    Use as a context manager (it owns the zygote, the job slots and a private
    temporary directory)::

        with Grader(rubric, vectors="hidden.zip", jobs=2) as g:
            results = g.grade_many(paths)
    """

    def __init__(self, rubric: Rubric | None = None, *, vectors: str | None = None, ids: list[str] | None = None,
                 jobs: int = 1, on_prepare: Callable[[str, int, int], None] | None = None,
                 drop_privileges: bool | None = None, isolation: str | None = None, namespaces: bool = True,
                 seccomp: bool = True, shrink: bool = False, processes: bool | None = None):
        self.rubric = rubric or Rubric()
        self.vectors_path = vectors
        self.ids = list(ids) if ids is not None else None
        self.jobs = max(1, int(jobs))
        self.on_prepare = on_prepare
        self.shrink = bool(shrink)
        # jobs > 1: N grading processes (checks.grader.procs), each a Grader(jobs=1): judging is Python
        # and N threads of one process share one GIL
        self.processes = self.jobs > 1 if processes is None else bool(processes)
        self._child_kwargs = dict(rubric=self.rubric, vectors=vectors, ids=self.ids, jobs=1, isolation=isolation,
                                  namespaces=namespaces, seccomp=seccomp, shrink=shrink, processes=False)
        # the vectors file is read in the background from now on (while the isolation probes below wait
        # for their subprocesses), one formula at a time: grading starts with the first; prepare_batch()
        # waits for all of it and raises what the reading raised
        self._reading = _Reading(vectors, self.ids, self.rubric)
        self._early: threading.Thread | None = None  # the slots starting ahead (inside ``with``)
        self._judge_pool: ThreadPoolExecutor | None = None
        self._procs: list = []
        self._vectors: vecfile.Vectors | None = None
        self.prepared: list[Prepared] | None = None
        self._zygote: Zygote | None = None
        self._slots: queue.Queue[Sandbox] | None = None
        self._sandboxes: list[Sandbox] = []
        self._root: str | None = None
        self.prepare_seconds = 0.0
        # None: workers get a private uid when the grader is root; False: they keep the grader's
        # uid (what a normal user gets; lets root exercise that path); True: root only
        self.drop_privileges = sandbox.resolve_drop(drop_privileges)
        self._child_kwargs["drop_privileges"] = self.drop_privileges
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

    @property
    def formulas(self) -> list[FormulaVectors]:
        return [p.formula for p in self.prepare_batch()]

    @property
    def vectors(self) -> vecfile.Vectors:
        """The whole vectors file, read (waiting for it, if need be)."""
        self.prepare_batch()
        return self._vectors

    @property
    def sha256(self) -> str:
        """The SHA-256 of the vectors file (known as soon as it is opened)."""
        return self._reading.opened().sha256

    @property
    def n_formulas(self) -> int:
        return len(self._reading.opened().ids)

    def fn_names(self) -> list[str]:
        """The function name of every formula, in order (from the manifest: no need to wait for the cases)."""
        names = self._reading.opened().fn_names
        if names is not None:
            return list(names.values())
        return [f.fn_name for f in self.formulas]  # a file built before the manifest named them

    def _read_ahead(self, k: int) -> list[Prepared]:
        """The formulas from ``k`` on that are read already (without waiting)."""
        return self.prepared[k:] if self.prepared is not None else self._reading.read_from(k)

    def _prepared_at(self, k: int) -> Prepared:
        """Formula ``k`` prepared for the workers (waiting for it to be read, if need be)."""
        return self.prepared[k] if self.prepared is not None else self._reading.at(k)

    @property
    def slot_uids(self) -> list:
        """The private uid of each job slot (None: the grader's own), in this process or in the grading processes."""
        if self.processes:
            return [u for gp in self._procs for u in gp.info.get("uids", [])]
        return [sb.uid for sb in self._sandboxes]

    def isolation_refusal(self, required: str) -> str:
        c = self.caps
        why = [w for w in (c.bwrap_why and f"namespaces: {c.bwrap_why}", c.seccomp_why and f"seccomp: {c.seccomp_why}",
                           (not self.drop_privileges) and "uid: the grader is not root") if w]
        return (f"refusing to grade at isolation level {self.isolation!r} (at least {required!r} is required): "
                f"{'; '.join(why) or 'a layer was turned off'}. To get a higher level, {isolation_mod.HOW_TO_RAISE}"
                f"(see docs/grading.md, 'Isolation levels')")

    # ---------------------------------------------------------------- lifecycle

    def __enter__(self) -> "Grader":
        if not self.processes and self._zygote is None and self._early is None:
            self._early = threading.Thread(target=self._start_early, name="formulacheck-start", daemon=True)
            self._early.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def open_vectors(self) -> None:
        """Wait for the vectors file to be opened (its manifest read); raise what opening it raised."""
        self._reading.opened()

    def prepare_batch(self) -> list[Prepared]:
        """Every formula of the vectors file read and prepared for the workers (the reading started with the
        constructor); raises what the reading raised (every time: the reading is not started again)."""
        if self.prepared is None:
            out = self._reading.all()
            s = self._reading.opened()
            self._vectors = vecfile.Vectors(s.manifest, {p.formula.id: p.formula for p in out}, s.sha256, s.path)
            for k, p in enumerate(out):
                if self.on_prepare:
                    self.on_prepare(p.formula.id, k, len(out))
            self.prepared = out
            self.prepare_seconds = self._reading.seconds
        return self.prepared

    def _ensure(self) -> None:
        """The workers started (or starting) and the vectors file opened; its formulas may still be read."""
        self.open_vectors()  # before any worker exists: a file that cannot be opened stops here
        self._join_early()
        if self._zygote is None:
            if self.processes:
                self._open_root()
                self._start_processes()
                self._zygote = _NO_ZYGOTE
                return
            self._start_slots(self.n_formulas)

    def _open_root(self) -> None:
        if not self.isolation.startswith("namespaces") and not self.drop_privileges:
            # the worker runs under our uid and sees our /proc: our memory (the expected answers)
            # must not be readable through /proc/<pid>/mem (the vectors file itself it can read:
            # docs/grading.md says which levels keep a hidden file hidden)
            import ctypes

            ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
        self._root = tempfile.mkdtemp(prefix="formulacheck-grade-")
        os.chmod(self._root, 0o711)
        self._slots = queue.Queue()

    def _start_slots(self, n_formulas: int) -> None:
        """The zygote and the job slots (this process grades), each slot's first worker starting ahead."""
        self._open_root()
        self._zygote = Zygote()
        self._judge_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="formulacheck-judge")
        for _ in range(self.jobs):
            sb = Sandbox(self._zygote, self.rubric.limits, self.rubric.policy, self._root, n_formulas,
                         drop_privileges=self.drop_privileges, level=self.isolation,
                         shrink_seconds=SHRINK_MAX_SECONDS)
            self._sandboxes.append(sb)
            self._slots.put(sb)
            sb.prestart()  # the first submission's worker starts now

    def _start_early(self) -> None:
        """Inside ``with`` (which closes them), the slots start while the vectors file is read; the formula
        count (the workers' CPU limit) from its manifest. A failure is left for :meth:`_ensure` to meet."""
        try:
            self._start_slots(len(self.ids) if self.ids is not None else self.n_formulas)
        except Exception:
            self._close_slots()

    def _join_early(self) -> None:
        early, self._early = self._early, None
        if early is not None:
            early.join()

    def _start_processes(self) -> None:
        from checks.grader.procs import GraderProcess

        with ThreadPoolExecutor(max_workers=self.jobs) as ex:  # they start (read the vectors...) in parallel
            futs = [ex.submit(GraderProcess, self._child_kwargs, self._root) for _ in range(self.jobs)]
            errors = []
            for f in futs:
                try:
                    self._procs.append(f.result())
                except Exception as e:
                    errors.append(e)
        if errors:
            raise errors[0]
        for gp in self._procs:
            if gp.info.get("isolation") != self.isolation or gp.info.get("sha256") != self.sha256:
                raise HarnessError(f"a grading process got isolation {gp.info.get('isolation')!r} and vectors "
                                   f"{gp.info.get('sha256', '')[:16]} (this grader: {self.isolation!r}, "
                                   f"{self.sha256[:16]})")
            self._slots.put(gp)

    def close(self) -> None:
        self._join_early()
        for gp in self._procs:
            try:
                gp.close()
            except Exception:
                pass
        self._procs = []
        self._close_slots()

    def _close_slots(self) -> None:
        if self._judge_pool is not None:
            self._judge_pool.shutdown(wait=True)
            self._judge_pool = None
        for sb in self._sandboxes:
            try:
                sb.close()
            except Exception:
                pass
        self._sandboxes = []
        if self._zygote is not None:
            if self._zygote is not _NO_ZYGOTE:
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
            res = self._all_zero(display_name(repr(path)), "", Status.UNREADABLE, f"not a file name: {e}", Verdict.ERROR)
            res.seconds = time.perf_counter() - t0
            return res
        src = read_submission(path, MAX_SOURCE_BYTES)
        if src.error is not None:
            res = self._all_zero(src.name, path, Status.UNREADABLE, src.error, Verdict.ERROR)
        else:
            res = self.grade_bytes(src.data, src.name, path)
            relocate_result(res, src.locate)  # notebooks: "line 12 of sub.py" -> "cell 3, line 2 of sub.ipynb"
            if res.status is Status.OK and not res.message and src.notes:
                res.message = "note: " + "; ".join(src.notes)
        res.seconds = time.perf_counter() - t0
        return res

    def grade_bytes(self, data: bytes, name: str, path: str = "") -> SubmissionResult:
        self._ensure()
        sb = self._slots.get()
        try:
            if self.processes:
                res = self._grade_in_process(sb, data, name, path)
            else:
                res = self._grade(sb, data, name, path)
        except Exception as e:  # a bug of ours or a broken sandbox: this submission only
            detail = "".join(traceback.format_exception_only(type(e), e)).strip()
            try:
                if not self.processes:
                    sb.close_submission()
            except Exception:
                pass
            res = self._all_zero(name, path, Status.GRADER_ERROR, f"the grader failed on this submission: {detail}",
                                 Verdict.NOT_GRADED)
        finally:
            self._slots.put(sb)
        res.isolation, res.resources, res.vectors = self.isolation, self.resources, self.sha256
        return res

    def _grade_in_process(self, gp, data: bytes, name: str, path: str) -> SubmissionResult:
        from checks.grader.procs import ChildGone

        try:
            return gp.grade(data, name, path)
        except ChildGone as e:
            return self._all_zero(name, path, Status.GRADER_ERROR, f"the grader failed on this submission: {e}",
                                  Verdict.NOT_GRADED)

    def _all_zero(self, name: str, path: str, status: Status, message: str, verdict: Verdict) -> SubmissionResult:
        res = SubmissionResult(name, path, status=Status(status), message=message)
        try:
            prepared = self.prepare_batch()
        except VectorsError:  # a formula of the file cannot be read: the grade names those read before it
            if Status(status) is not Status.GRADER_ERROR:
                raise
            prepared = list(self._reading.prepared)
        for p in prepared:
            f = p.formula
            res.tests.append(FormulaResult(f.id, 0.0, p.points, Verdict(verdict), feedback.one_line(status, message),
                                           f"{f.id}: {status}\n{message}"))
        res.vectors = self.sha256
        return res

    def _grade(self, sb: Sandbox, data: bytes, name: str, path: str) -> SubmissionResult:
        if len(data) > MAX_SOURCE_BYTES:
            return self._all_zero(name, path, Status.UNREADABLE, f"the file is larger than {MAX_SOURCE_BYTES >> 20} MB", Verdict.ERROR)
        # Python's own rules: UTF-8, a UTF-8 BOM, a PEP 263 coding declaration (checks.grader.source)
        dec = decode_source(data)
        if dec.error is not None:
            return self._all_zero(name, path, Status.UNREADABLE, dec.error, Verdict.ERROR)
        source = dec.text
        sc = scan(source, self.rubric.policy, name)
        if sc.syntax_error:
            return self._all_zero(name, path, Status.SYNTAX_ERROR, sc.syntax_error, Verdict.ERROR)
        if sc.violations:
            return self._all_zero(name, path, Status.POLICY, "; ".join(sc.violations), Verdict.POLICY)
        basename = worker_file_name(name)
        lr = sb.open(source, basename, self.fn_names())
        try:
            if not lr.ok:
                status = {"timeout": Status.IMPORT_TIMEOUT, "crash": Status.IMPORT_CRASHED}.get(lr.kind, Status.IMPORT_ERROR)
                verdict = {"timeout": Verdict.TIMEOUT, "crash": Verdict.CRASHED}.get(lr.kind, Verdict.ERROR)
                res = self._all_zero(name, path, status, lr.error, verdict)
            else:
                res = SubmissionResult(name, path)
                res.tests = self._grade_formulas(sb, set(lr.functions))
            if sb.violations:
                res = self._all_zero(name, path, Status.POLICY, "; ".join(sb.violations), Verdict.POLICY)
            harness = [t.id for t in res.tests if t.verdict is Verdict.NOT_GRADED]
            if harness and res.status is Status.OK:
                res.status = Status.GRADER_ERROR
                res.message = f"the checks of {', '.join(harness)} could not run (a harness bug)"
            res.output, truncated = sb.output()
            if truncated:
                res.output += f"\n... (output truncated at {self.rubric.limits.max_output_kb} KB)"
        finally:
            sb.close_submission()
        return res

    def _grade_formulas(self, sb: Sandbox, have: set[str]) -> list[FormulaResult]:
        """Every formula: the worker runs formula k+1 while a grader thread judges formula k."""
        pending: list = []
        done: list[Prepared] = []
        for k in range(self.n_formulas):
            p = self._prepared_at(k)  # read while the formulas before it ran
            done.append(p)
            present = p.formula.fn_name in have
            # the next formula that runs, if it is read already: its request is queued behind this one's
            nxt = next((q for q in self._read_ahead(k + 1) if q.formula.fn_name in have), None) if present else None
            r = self._run_formula(sb, p, present, nxt)
            pending.append(self._judge_pool.submit(self._judge_formula, p, r) if isinstance(r, list) else r)
            if sb.violations:
                sb.drop_ahead()
                break
        out = []
        for p, r in zip(done, pending):
            res = r.result() if not isinstance(r, FormulaResult) else r
            if self.shrink and res.verdict not in (Verdict.PASSED, Verdict.NOT_IMPLEMENTED) and not sb.violations:
                res.feedback = self._shrunk_feedback(sb, p, res) or res.feedback
            res.__dict__.pop("_judged", None)  # the judgement holds the oracle's answers: never pickled, never kept
            out.append(res)
        return out

    def _run_formula(self, sb: Sandbox, p: Prepared, present: bool, then: Prepared | None = None) -> "FormulaResult | list":
        """The worker's replies on every case of ``p`` (a list, to judge), or the result when there is nothing to judge."""
        f = p.formula
        fn = f.fn_name
        if not present:
            return FormulaResult(f.id, 0.0, p.points, Verdict.NOT_IMPLEMENTED, f"no function named {fn}",
                                 f"{f.id}: not implemented (the submission defines no function {fn})")
        nxt = (then.formula.fn_name, then.blobs, then.formula.fresh_outputs) if then is not None else None
        replies, problem = sb.run(fn, p.blobs, f.fresh_outputs, self.rubric.limits.timeout, nxt)
        if sb.violations:  # the whole submission scores 0: no need to judge
            return FormulaResult(f.id, 0.0, p.points, Verdict.POLICY, str(Verdict.POLICY), "; ".join(sb.violations))
        if any(r is not None and r["k"] == "notimpl" for r in replies):
            return FormulaResult(f.id, 0.0, p.points, Verdict.NOT_IMPLEMENTED, "raises NotImplementedError",
                                 f"{f.id}: not implemented ({fn} raises NotImplementedError)")
        if problem is not None:
            kind, i, msg = problem
            verdict = Verdict.TIMEOUT if kind == "timeout" else Verdict.CRASHED
            case = p.cases[i] if p.cases else None
            fb = feedback.render(f, None, CheckFailure(verdict, msg), case, found=feedback.FAILING)
            return FormulaResult(f.id, 0.0, p.points, verdict, feedback.one_line(verdict, msg), fb)
        return replies

    def _judge_formula(self, p: Prepared, replies: list) -> FormulaResult:
        f = p.formula
        try:
            j = judge_replies(f, replies)
        except HarnessError as e:
            msg = f"the grader could not judge {f.id}: {e}"
            return FormulaResult(f.id, 0.0, p.points, Verdict.NOT_GRADED, feedback.one_line(Verdict.NOT_GRADED, msg), msg)
        if j.verdict is Verdict.PASSED:
            return FormulaResult(f.id, p.points, p.points, Verdict.PASSED, "", f"{f.id}: passed ({len(p.cases)} inputs)")
        fb = render_assessment(f, j)
        res = FormulaResult(f.id, 0.0, p.points, j.verdict, feedback.one_line(j.verdict, j.failure.message), fb)
        d = diagnosis_of(f, j)
        if d is not None:
            res.diagnosis, res.mistakes = d.text, tuple(d.ids)
            res.feedback = f"{fb}\n{d.text}"
        res._judged = j  # for the optional search of a smaller input (shrink=True)
        return res

    # ---------------------------------------------------------------- optional shrinking

    def _shrunk_feedback(self, sb: Sandbox, p: Prepared, res: FormulaResult) -> str | None:
        """A Hypothesis search for a smaller failing input (needs the oracles: instructor machines)."""
        j = getattr(res, "_judged", None)
        if j is None:
            return None
        try:
            from checks.grader.shrink import shrink
        except ImportError:
            return None
        try:
            return shrink(sb, p, j, self.rubric.limits.timeout, SHRINK_MAX_CALLS, SHRINK_MAX_SECONDS)
        except (SandboxError, OSError):
            raise
        except Exception:
            return None
