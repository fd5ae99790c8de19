"""What ``formulacheck grade`` needs for ``--dask ADDRESS|local:N`` and ``--journal FILE``.

The sub-command (:mod:`checks.cli.grade`) calls these; each turns a bad
value into a one-line :class:`~checks.cli.console.UsageError` (exit 2)
naming the option, the value and the fix. See docs/scaling.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from checks.cli.console import UsageError


def add_arguments(p) -> None:
    """The two options, on the ``grade`` parser."""
    p.add_argument("--dask", metavar="ADDRESS|local:N",
                   help="grade on a Dask cluster: a scheduler's address (tcp://HOST:8786, started with `dask "
                        "scheduler`; workers: `dask worker ADDRESS --nthreads 1 --nworkers N`) or local:N for N "
                        "worker processes here (needs the dask extra; see docs/scaling.md)")
    p.add_argument("--journal", metavar="FILE",
                   help="record each grade in FILE (JSON lines, created if missing) and skip the submissions it "
                        "already has: an interrupted batch rerun with the same FILE grades only the rest")


def check(args) -> None:
    """Validate --dask / --journal before anything is graded."""
    dask = getattr(args, "dask", None)
    if dask is None:
        return
    if getattr(args, "jobs", 1) != 1:
        raise UsageError(f"--jobs {args.jobs} with --dask {dask}: the cluster's workers grade in parallel "
                         "(one submission per worker thread); give one of them")
    try:
        from checks.scale import dask as sd
    except ImportError as e:
        raise UsageError(f"--dask {dask}: Dask is not installed ({e}); pip install -e \".[dask]\"") from None
    try:
        sd.parse_address(dask)
    except sd.DaskError as e:
        raise UsageError(str(e)) from None


def open_journal(args, rubric, ids):
    """The --journal file (None without the option); a bad file is a UsageError."""
    path = getattr(args, "journal", None)
    if path is None:
        return None
    from checks.scale import journal as jm

    try:
        return jm.open_journal(path, vectors=args.vectors, rubric=rubric, ids=ids, shrink=bool(args.shrink))
    except jm.JournalError as e:
        raise UsageError(str(e)) from None


@dataclass
class _Formula:
    id: str


@dataclass
class DaskBatch:
    """What the outputs need of a batch graded on Dask (``formulas`` as ``Grader.formulas`` gives them)."""

    formulas: list = field(default_factory=list)
    isolation: str = ""
    resources: str = ""
    workers: list = field(default_factory=list)
    sha256: str = ""


def grader_kwargs(args, rubric, ids) -> dict:
    return {"rubric": rubric, "vectors": args.vectors, "ids": ids, "shrink": bool(args.shrink)}


def formula_ids(vectors: str | None, ids) -> list[str]:
    """The formula ids a batch is graded on, in the vectors file's order (as ``Grader.formulas``)."""
    from checks.core import vecfile

    if vectors is None:
        from checks import data

        vectors = data.PUBLIC_VECTORS
    try:
        manifest, _ = vecfile.read_manifest(vectors)
    except vecfile.VectorsError as e:
        raise UsageError(f"--vectors: {e}") from None
    order = [f for f in manifest.get("order", []) if ids is None or f in ids]
    return order


def sub_raws(subs: list) -> list:
    """The submissions of a batch (:mod:`checks.grader.batch`) as read for grading: a folder without a file
    to grade is a Raw without bytes, graded "unreadable" with its problem under its ``where`` name."""
    from checks.scale.journal import Raw, read_raw

    return [Raw(s.path, s.where, None, s.problem) if s.problem is not None else read_raw(s.path) for s in subs]


def finisher(subs: list) -> Callable:
    """What ``formulacheck grade`` adds to a result (``_grade_one``): the batch's note, whose it is."""
    def finish(i: int, r) -> None:
        sub = subs[i]
        if sub.problem is None and sub.note:
            r.message = "; ".join(x for x in (r.message, "note: " + sub.note) if x)
        r.student = dict(sub.student)

    return finish


def grade_local(grade_all: Callable, grader, subs: list, results: list, on_done: Callable | None, journal,
                *rest) -> list:
    """``grade_all(grader, subs, results, on_done, *rest)`` (the CLI's ``_grade_all``) on what ``journal`` lacks.

    ``results`` is filled in place (recorded grades first); each fresh grade is
    journaled as ``grade_all`` stores it, then ``on_done`` runs.
    """
    from checks.scale.journal import journaled

    raws = sub_raws(subs)
    where = {id(r): i for i, r in enumerate(raws)}

    def grade_items(items: list, done) -> list:
        class Slots(list):  # grade_all stores each result at its index (under its lock), then reports it
            def __setitem__(self, k, v):
                super().__setitem__(k, v)
                if v is not None:
                    done(k, v)

        slots = Slots([None] * len(items))
        grade_all(grader, [subs[where[id(r)]] for r in items], slots, None, *rest)
        return list(slots)

    return journaled(raws, grade_items, journal, on_done, results)


def run_dask(args, subs: list, rubric, ids, results: list, on_done: Callable | None, journal, err) -> DaskBatch:
    """Grade the batch ``subs`` on ``args.dask`` into ``results`` (in place: an interruption leaves what was graded).

    Prints the workers' isolation on ``err``; refusals and cluster problems
    are UsageErrors (exit 2). Interruptions (KeyboardInterrupt) propagate
    after the cluster's tasks are cancelled (and a local:N cluster closed).
    """
    from checks.grader.isolation import IsolationError
    from checks.scale import dask as sd

    batch = DaskBatch(formulas=[_Formula(f) for f in formula_ids(args.vectors, ids)])

    def on_workers(infos: list[dict]) -> None:
        batch.workers = infos
        levels = sorted({i["isolation"] for i in infos})
        batch.isolation = levels[0] if len(levels) == 1 else ", ".join(levels)
        batch.resources = ", ".join(sorted({i["resources"] for i in infos}))
        batch.sha256 = infos[0]["vectors"] if infos else ""
        hosts = len({i["host"] for i in infos})
        err.print(f"dask: {len(infos)} workers on {hosts} machine(s); isolation: {batch.isolation} "
                  f"(resources: {batch.resources}); vectors sha256:{batch.sha256[:16]}",
                  style="dim", markup=False, highlight=False, soft_wrap=True)

    journal_line(args, journal, err)
    try:
        sd.grade_on_dask(sub_raws(subs), grader_kwargs(args, rubric, ids), args.dask, on_done=on_done,
                         journal=journal, required_isolation=getattr(args, "isolation_required", None),
                         on_workers=on_workers, results=results, finish=finisher(subs))
    except (sd.DaskError, IsolationError) as e:
        raise UsageError(str(e)) from None
    return batch


def journal_line(args, journal, err) -> None:
    if journal is not None and (journal.records or journal.torn):
        err.print(f"journal {args.journal}: {len(journal.records)} grades recorded"
                  + (f", {journal.torn} unreadable line(s) ignored" if journal.torn else ""),
                  style="dim", markup=False, highlight=False, soft_wrap=True)
