"""Reading the vectors file for grading: in a background thread, one formula at a time, in its order.

The grader (:mod:`checks.grader.grade`) starts its first submission's worker
while the file is opened, and grades formula 1 while the rest are decoded
(:class:`checks.core.vecfile.Stream`) and pickled for the workers
(:class:`Prepared`).
"""

from __future__ import annotations

import pickle
import threading
import time
from dataclasses import dataclass, field

from checks.core import vecfile
from checks.core.case import Case
from checks.core.verdicts import HarnessError
from checks.core.vecfile import FormulaVectors, VectorsError
from checks.grader.policy import _PARSE_LOCK
from checks.grader.rubric import Rubric


# --------------------------------------------------------------------------
# the batch: one formula's vectors, as the worker gets them
# --------------------------------------------------------------------------

@dataclass
class Prepared:
    formula: FormulaVectors
    points: float
    blobs: list[bytes] = field(default_factory=list)   # the cases' pickles, as the worker gets them

    @property
    def cases(self) -> list[Case]:
        return self.formula.cases


def prepare(fv: FormulaVectors, rubric: Rubric) -> Prepared:
    return Prepared(fv, rubric.points_for(fv), [pickle.dumps((c.args, c.kwargs), protocol=5) for c in fv.cases])


def open_vectors(path: str | None, ids: list[str] | None = None) -> vecfile.Stream:
    """The vectors file ``path`` (None: the package's public file) opened, only ``ids`` if given."""
    if path is None:
        from checks import data

        path = data.PUBLIC_VECTORS
    s = vecfile.Stream(path, ids)
    if ids is not None:
        unknown = [i for i in ids if i not in s.ids]
        if unknown:
            raise VectorsError(f"the vectors file {path!r} has no formula {', '.join(unknown)}; "
                               f"`formulacheck vectors info {path}` lists what it has")
    return s


class _Reading:
    """The vectors file read and prepared in a background thread, one formula at a time, in its order.

    :meth:`opened` waits for the manifest (the SHA-256, the ids, the function names), :meth:`at` for
    formula ``k``, :meth:`all` for every formula; each raises what the reading raised (a formula that
    cannot be decoded raises when it is reached). The grader grades formula 1 while the rest are read.
    """

    def __init__(self, path: str | None, ids: list[str] | None, rubric: Rubric):
        self.cv = threading.Condition()
        self.stream: vecfile.Stream | None = None
        self.prepared: list[Prepared] = []
        self.error: BaseException | None = None
        self.done = False
        self.t0 = time.perf_counter()
        self.seconds = 0.0
        self._args = (path, ids, rubric)
        threading.Thread(target=self._run, name="formulacheck-read-vectors", daemon=True).start()

    def _run(self) -> None:
        path, ids, rubric = self._args
        try:
            s = open_vectors(path, ids)
            with self.cv:
                self.stream = s
                self.cv.notify_all()
            formulas = iter(s)
            while True:
                # numpy reads an .npy header with ast.literal_eval, and CPython 3.11's AST conversion is not
                # thread-safe (see checks.grader.policy): never during a grading thread's scan of a submission
                with _PARSE_LOCK:
                    fv = next(formulas, None)
                if fv is None:
                    break
                p = prepare(fv, rubric)  # pickled here too
                with self.cv:
                    self.prepared.append(p)
                    self.cv.notify_all()
        except BaseException as e:  # raised again in the threads that wait for what is missing
            with self.cv:
                self.error = e
        finally:
            with self.cv:
                self.done = True
                self.seconds = time.perf_counter() - self.t0
                self.cv.notify_all()

    def opened(self) -> vecfile.Stream:
        with self.cv:
            self.cv.wait_for(lambda: self.stream is not None or self.done)
            if self.stream is None:
                raise self.error
            return self.stream

    def at(self, k: int) -> Prepared:
        with self.cv:
            self.cv.wait_for(lambda: len(self.prepared) > k or self.done)
            if len(self.prepared) > k:
                return self.prepared[k]
            raise self.error if self.error is not None else HarnessError(f"the vectors file has no formula #{k + 1}")

    def read_from(self, k: int) -> list[Prepared]:
        """The formulas from ``k`` on read so far (no wait)."""
        with self.cv:
            return self.prepared[k:]

    def all(self) -> list[Prepared]:
        with self.cv:
            self.cv.wait_for(lambda: self.done)
            if self.error is not None:
                raise self.error
            return list(self.prepared)
