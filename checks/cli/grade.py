"""``formulacheck grade``: grade one submission (a table and the feedback) or many (a CSV).

    formulacheck grade SUBMISSION.py [--json results.json] [--rubric rubric.toml] [--vectors V.zip] [--brief]
    formulacheck grade DIR_OR_FILES... --out grades.csv [--json-dir D] [--jobs N] [--quiet]
    formulacheck grade --write-reference ref_submission.py

The grading cases and expected answers come from a vectors file
(checks.grader.grade; --vectors, default: the package's public file). What a
batch is (flat folders, one folder per student, Gradescope's and Canvas'
exports) and whose each row is: :mod:`checks.grader.batch`. One submission
prints its table, then the full feedback of every formula that failed
(--brief: the table only); a batch prints a table and a class summary.
Progress goes to stderr (:mod:`checks.cli.progress`; --quiet: none).

Exit codes (the policy of :mod:`checks.cli`): 0 graded (whatever the grades),
2 bad input (one line on stderr; also an output that exists without --force,
or could not be written), 3 a bug of the grader (an unexpected exception, or
a submission with status "grader error": every output is written first),
130 / 143 interrupted by SIGINT / SIGTERM.

Output files (--json, --out, the files of --json-dir, --write-reference) are
refused before grading when they exist, unless --force.

Names: a directory is listed with bytes-safe names (any file name, UTF-8 or
not); in a flat folder every entry whose name ends with ".py" or ".ipynb" (any
case) is a row: a regular file is graded, anything else (a symbolic link, a
directory, a FIFO...) is status "unreadable" with the reason. Rows are keyed
by the student (:func:`checks.grader.batch.discover`, made unique by
:func:`checks.grader.report.unique_keys`: the CSV's "student" column, the JSON
file names); the CSV's "file" column keeps the name, escaped readably.

Interruption: SIGINT and SIGTERM stop the batch (the handlers raise in the
main thread; grading runs in worker threads). The grader is closed (workers
killed, temporary directories removed), then what was completely graded is
written: the CSV has every row, those not graded with status "not graded"
and empty scores; a results.json is written only for the graded ones. One
line on stderr says so; the exit code is 128 + the signal number.
"""

from __future__ import annotations

import os
import threading
import time
import traceback

from checks.cli import console as cc
from checks.cli.console import UsageError
from checks.cli.interrupts import Interrupted, Interrupts


def add_parser(sub):
    p = sub.add_parser(
        "grade",
        help="grade submissions (one file: a table; many: a CSV)",
        description="Grade student submissions against every formula id. One file prints a table "
                    "(and --json writes Gradescope's results.json); several files or directories print a "
                    "summary and, with --out grades.csv, write one CSV row per submission.",
    )
    p.add_argument("paths", nargs="*", metavar="SUBMISSION",
                   help=".py/.ipynb files, folders of them, folders of student folders, Gradescope's or Canvas' "
                        "export folder")
    p.add_argument("--json", metavar="FILE", help="write results.json (Gradescope format) for a single submission")
    p.add_argument("--rubric", metavar="TOML", help="points, allowed imports, limits and example counts")
    p.add_argument("--vectors", metavar="FILE", help="the grading vectors file (default: the package's public one)")
    p.add_argument("--shrink", action="store_true",
                   help="also search for a smaller failing input for the feedback (needs torch, SymPy, Hypothesis)")
    p.add_argument("--timeout", type=float, metavar="S", help="seconds per formula (overrides the rubric)")
    p.add_argument("--out", metavar="CSV", help="write one CSV row per submission")
    p.add_argument("--json-dir", metavar="DIR", help="also write DIR/<row key>.json per submission (the CSV's student)")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="grade N submissions in parallel (default 1)")
    from checks.scale import cli as scale_cli

    scale_cli.add_arguments(p)
    p.add_argument("--isolation", metavar="require=LEVEL",
                   help="refuse to grade below LEVEL: namespaces+seccomp, namespaces, seccomp+uid, uid, seccomp "
                        "or none (default: the strongest available; a batch refuses 'none')")
    p.add_argument("--group", help="grade only these groups (comma-separated)")
    p.add_argument("--brief", action="store_true", help="one submission: the table only (no full feedback)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    import importlib.util

    has_reference = importlib.util.find_spec("reference") is not None  # never in the student kit (no answer key)
    if has_reference:
        p.add_argument("--write-reference", metavar="FILE", help="write the reference implementation as a one-file submission and exit")
    cc.add_force(p, "the output files (--json, --out, the files of --json-dir" + (", --write-reference)" if has_reference else ")"))
    return p


def _expand(paths: list[str], submission_file: str | None = None) -> list:
    """The submissions (:class:`checks.grader.batch.Submission`) of the command line's paths."""
    from checks.grader import batch

    try:
        return batch.discover(paths, submission_file)
    except batch.BatchError as e:
        raise UsageError(str(e)) from None


def _json_dir(args, keys: list[str]) -> None:
    """--json-dir DIR: created if needed; the JSON files of ``keys`` in it must not exist (unless --force)."""
    from checks.grader import report

    d = args.json_dir
    if not os.path.isdir(d):
        if os.path.lexists(d):
            raise UsageError(f"--json-dir {cc.name(d)}: not a directory")
        try:
            os.makedirs(d)
        except OSError as e:
            raise UsageError(f"--json-dir {cc.name(d)}: cannot create the directory: {e.strerror or e}") from None
        return
    for k in keys:
        path = os.path.join(d, report.json_stem(k) + ".json")
        if os.path.isdir(path):
            raise UsageError(f"--json-dir {cc.name(d)}: {cc.name(path)} is a directory")
        if os.path.lexists(path) and not args.force:
            raise UsageError(f"--json-dir {cc.name(d)}: {cc.name(path)} exists; --force overwrites it")


def _check_vectors(path: str, ids: list[str] | None) -> None:
    """--vectors FILE: readable, a vectors file, holding the formulas asked for (checked before the grader starts)."""
    from checks.core import vecfile

    try:
        manifest, _ = vecfile.read_manifest(path)
    except vecfile.VectorsError as e:
        raise UsageError(f"--vectors: {e}") from None
    missing = [i for i in ids or () if i not in (manifest.get("formulas") or {})]
    if missing:
        raise UsageError(f"--vectors {cc.name(path)}: no formula {', '.join(missing)} in it "
                         f"(`formulacheck vectors info {cc.name(path)}` lists what it has)")


def _options(args):
    from dataclasses import replace

    from checks.grader import rubric as rb

    try:
        from checks import registry
    except ImportError:  # the student kit: no registry; the formulas are the vectors file's
        registry = None
    if args.jobs < 1:
        raise UsageError(f"--jobs {args.jobs}: give at least 1")
    if args.timeout is not None and not (0 < args.timeout <= 3600):
        raise UsageError(f"--timeout {args.timeout}: give seconds between 0 and 3600")
    kit_ids = None
    if registry is None:
        from checks import data
        from checks.core import vecfile

        try:
            manifest, _ = vecfile.read_manifest(args.vectors or data.PUBLIC_VECTORS)
        except vecfile.VectorsError as e:
            raise UsageError(f"--vectors: {e}") from None
        kit_ids = list(manifest.get("order") or manifest.get("formulas") or ())
    try:
        rub = rb.load(args.rubric, ids=kit_ids)
    except rb.RubricError as e:
        raise UsageError(str(e)) from None
    if args.timeout is not None:
        rub = replace(rub, limits=replace(rub.limits, timeout=args.timeout))
    ids = None
    if args.group and registry is None:
        from checks.cli.check import _ids_for_groups

        ids = _ids_for_groups(args.group, args.vectors or data.PUBLIC_VECTORS)
    elif args.group:
        try:
            ids = [f.id for f in registry.select(group=args.group)]
        except ValueError as e:
            raise UsageError(str(e)) from None
    return rub, ids


def run(args) -> int:
    err = cc.make(stderr=True)
    if getattr(args, "write_reference", None):
        from checks.grader import refsub

        cc.refuse_existing(args.write_reference, "--write-reference", args.force)
        try:
            refsub.write(args.write_reference)
        except OSError as e:
            raise UsageError(f"--write-reference {cc.name(args.write_reference)}: cannot write it: "
                             f"{e.strerror or e}") from None
        err.print(f"wrote {cc.name(args.write_reference)}", markup=False, highlight=False)
        if not args.paths:
            return cc.OK
    if not args.paths:
        raise UsageError("give a submission .py file (or files / directories with --out grades.csv)")
    if not getattr(args, "dask", None):  # the isolation probes run while the grader is imported
        from checks.grader import isolation

        isolation.detect_ahead()
    from checks.grader import batch as batch_mod

    rub, ids = _options(args)
    from checks.scale import cli as scale_cli

    scale_cli.check(args)
    subs = _expand(args.paths, rub.submission_file)
    batch = len(subs) > 1 or args.out is not None or any(os.path.isdir(p) for p in args.paths)
    if args.json and batch:
        raise UsageError("--json is for one submission; with several use --json-dir DIR")
    if args.json:
        cc.refuse_existing(args.json, "--json", args.force)
    if args.out:
        cc.refuse_existing(args.out, "--out", args.force)
    dup = batch_mod.duplicate_file_names(subs)
    if (args.out or args.json_dir) and dup:
        raise UsageError(f"several submissions are named {dup}; the CSV and the JSON files name plain files by "
                         "file name, rename them (or give one folder per student)")
    keys = [s.key for s in subs]
    if args.vectors is not None:
        _check_vectors(args.vectors, ids)
    from checks.grader import isolation as iso

    try:
        args.isolation_required = iso.parse_requirement(args.isolation)
    except iso.IsolationError as e:
        raise UsageError(str(e)) from None
    if args.isolation_required is None and rub.isolation is None and batch:
        args.isolation_required = "seccomp"  # a class is never graded without any isolation unless asked
    if args.json_dir:
        _json_dir(args, keys)  # last: it may create the directory
    args.journal_file = scale_cli.open_journal(args, rub, ids)  # last but --json-dir: it may create the file
    try:
        return _run(args, subs, batch, rub, ids, err)
    finally:
        if args.journal_file is not None:
            args.journal_file.close()


def _batch_grader_class():
    from checks.grader.grade import Grader

    class BatchGrader(Grader):
        """A Grader that cannot be restarted once closed (a thread still grading gets an error, not a new zygote)."""

        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            self._life = threading.Lock()
            self._closing = False

        def _ensure(self) -> None:
            with self._life:
                if self._closing:
                    raise RuntimeError("the grader is shutting down")
                super()._ensure()

        def close(self) -> None:
            with self._life:
                self._closing = True
            super().close()

    return BatchGrader


def _grade_one(grader, sub):
    """One submission's result, with whose it is (a folder without a file to grade gets a status, not a grade)."""
    from checks.core.verdicts import Status, Verdict

    if sub.problem is not None:
        r = grader._all_zero(sub.where, sub.path, Status.UNREADABLE, sub.problem, Verdict.ERROR)
    else:
        r = grader.grade_file(sub.path)
        if sub.note:
            r.message = "; ".join(x for x in (r.message, "note: " + sub.note) if x)
    r.student = dict(sub.student)
    return r


def _grade_all(grader, subs: list, results: list, on_done, stop: threading.Event, lock: threading.Lock,
               bugs: list | None = None) -> list:
    """Grade ``subs`` into ``results`` in ``grader.jobs`` threads; the main thread only waits (and takes the signals).

    A result is recorded only if ``stop`` was not set when it was finished
    (after ``stop`` the grader is being closed under the threads: what they
    return then is not a grade). The traceback of a grader failure goes to ``bugs``.
    """
    from checks.core.compare import Verdict
    from checks.grader.source import display_name

    todo = iter(range(len(subs)))

    def work() -> None:
        while not stop.is_set():
            with lock:
                i = next(todo, None)
            if i is None:
                return
            sub = subs[i]
            try:
                r = _grade_one(grader, sub)
            except Exception as e:  # grade_file never raises but when the grader is shut down
                if stop.is_set():
                    return
                if bugs is not None:
                    bugs.append(f"--- {display_name(sub.path) or sub.where}\n" + "".join(traceback.format_exception(e)))
                r = grader._all_zero(display_name(os.path.basename(sub.path)) or sub.where, sub.path, "grader error",
                                     f"the grader failed on this submission: {type(e).__name__}: {e}", Verdict.ERROR)
                r.student = dict(sub.student)
            with lock:
                if stop.is_set():
                    return
                results[i] = r
                if on_done is not None:
                    on_done(r)

    threads = [threading.Thread(target=work, name=f"formulacheck-grade-{k}", daemon=True)
               for k in range(max(1, min(grader.jobs, len(subs))))]
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive():
                t.join(0.25)
    except BaseException:
        with lock:
            stop.set()
        raise
    return results


def _join(threads_of: str, seconds: float) -> None:
    """Give the grading threads a moment to notice the shutdown (they are daemons: never waited for long)."""
    end = time.monotonic() + seconds
    for t in threading.enumerate():
        if t.name.startswith(threads_of) and t is not threading.current_thread():
            t.join(max(0.0, end - time.monotonic()))


def _run(args, subs, batch, rub, ids, err) -> int:
    stage = ["preparing"]
    with Interrupts() as intr:
        try:
            return _run_graded(args, subs, batch, rub, ids, err, intr, stage)
        except Interrupted as e:
            what = {"preparing": "while preparing the grading cases: nothing graded, nothing written",
                    "writing": "while writing the outputs (each output file is complete or absent)"}.get(
                        stage[0], "after the outputs were written")
            err.print(f"interrupted ({e.signame}) {what}", markup=False, highlight=False, soft_wrap=True)
            return 128 + e.signum


def _run_graded(args, subs, batch, rub, ids, err, intr, stage) -> int:
    from checks.cli.progress import Progress
    from checks.grader import report

    out = cc.make()
    quiet = getattr(args, "quiet", False)
    t0 = time.perf_counter()
    stop = threading.Event()
    lock = threading.Lock()
    interrupted: Interrupted | None = None
    results: list = [None] * len(subs)
    bugs: list[str] = []
    from checks.grader.isolation import IsolationError

    if getattr(args, "dask", None):
        return _run_dask(args, subs, batch, rub, ids, err, intr, stage, out, t0, results)
    try:
        grader = _batch_grader_class()(rub, vectors=args.vectors, ids=ids, jobs=args.jobs, shrink=args.shrink,
                                       isolation=getattr(args, "isolation_required", None))
    except IsolationError as e:
        msg = str(e)
        if batch and args.isolation is None and rub.isolation is None:
            msg += "; to grade a batch without isolation anyway, pass --isolation require=none"
        raise UsageError(msg) from None
    if not quiet:
        err.print(f"isolation: {grader.isolation} (resources: {grader.resources})", style="dim", markup=False,
                  highlight=False, soft_wrap=True)
    with grader:  # closed (workers killed, temporary directories removed) before anything is written
        prep = Progress("reading the grading cases", 0, quiet=quiet, log=False)
        with prep:
            def on_prepare(fid, k, n):
                prep.total = n
                prep.update(k, note=fid)

            grader.on_prepare = on_prepare
            # a batch reads the whole file first; one submission is graded while the file is read
            _vectors_or_usage(args, grader.prepare_batch if batch else grader.open_vectors)
            with intr.deferred():  # the zygote and the job slots: started completely or not at all
                grader._ensure()
        try:
            stage[0] = "grading"
            if not quiet:
                read = f" read in {grader.prepare_seconds:.1f}s" if batch else ""
                err.print(f"grading cases of {grader.n_formulas} formulas{read} (vectors sha256:{grader.sha256[:16]})",
                          style="dim", markup=False, highlight=False, soft_wrap=True)
            if not batch:
                _grade_all(grader, subs, results, None, stop, lock, bugs)
                _vectors_or_usage(args, grader.prepare_batch)  # a formula that could not be read: no grade
            else:
                with Progress("grading", len(subs), quiet=quiet) as prog:
                    def done(r):
                        who = r.student.get("student") or r.name
                        prog.advance(note=f"{report._clean(who)}: {r.status} "
                                          f"{report._num(r.score)}/{report._num(r.max_score)}")

                    if args.journal_file is not None:
                        from checks.scale import cli as scale_cli

                        scale_cli.journal_line(args, args.journal_file, err)
                        scale_cli.grade_local(_grade_all, grader, subs, results, done, args.journal_file, stop, lock, bugs)
                    else:
                        _grade_all(grader, subs, results, done, stop, lock, bugs)
        except Interrupted as e:
            with lock:  # no result is recorded from now on: the grader is closed under the threads
                stop.set()
            interrupted = e
    if interrupted is not None:
        _join("formulacheck-grade-", 3.0)
    # every worker is dead: only now are the output files written
    stage[0] = "writing"
    with intr.deferred():
        rc = _write_outputs(args, subs, batch, grader, results, interrupted, out, err, t0, stage, rub.visibility)
    _grader_errors(results, bugs, interrupted)
    return rc


def _vectors_or_usage(args, step) -> None:
    """``step()`` (reading the vectors file); a bad ``--vectors`` file is a usage error (exit 2)."""
    from checks.core.vecfile import VectorsError

    try:
        step()
    except VectorsError as e:
        if args.vectors is None:
            raise  # the package's own file: a bug of ours (exit 3)
        raise UsageError(f"--vectors: {e}") from None


def _run_dask(args, subs, batch, rub, ids, err, intr, stage, out, t0, results) -> int:
    """--dask: the batch on a Dask cluster (checks.scale.dask); the same outputs and exit codes."""
    from checks.cli.progress import Progress
    from checks.grader import report
    from checks.scale import cli as scale_cli

    interrupted = None
    info = None
    stage[0] = "grading"
    try:
        with Progress("grading", len(subs), quiet=getattr(args, "quiet", False) or not batch) as prog:
            def done(r):
                who = r.student.get("student") or r.name
                prog.advance(note=f"{report._clean(who)}: {r.status} {report._num(r.score)}/{report._num(r.max_score)}")

            info = scale_cli.run_dask(args, subs, rub, ids, results, done, args.journal_file, err)
    except Interrupted as e:
        interrupted = e
    if info is None:
        info = scale_cli.DaskBatch(formulas=[scale_cli._Formula(f) for f in scale_cli.formula_ids(args.vectors, ids)])
    stage[0] = "writing"
    with intr.deferred():
        rc = _write_outputs(args, subs, batch, info, results, interrupted, out, err, t0, stage, rub.visibility)
    _grader_errors(results, [], interrupted)
    return rc


def _grader_errors(results: list, bugs: list[str], interrupted) -> None:
    """A submission with status "grader error" is a bug of ours, not a grade: exit 3 (after every output)."""
    from checks.core.verdicts import Status
    from checks.grader.source import display_name

    bad = [r for r in results if r is not None and r.status == Status.GRADER_ERROR]
    if not bad or interrupted is not None:
        return
    details = bugs or [f"--- {display_name(r.path)}: {r.message}" for r in bad]
    raise cc.HarnessBug(f"{len(bad)} submission(s) got status 'grader error' (scored 0 by our failure: re-grade "
                        f"them after the fix), first {display_name(bad[0].path)}: {bad[0].message}", details)


def class_summary(results: list) -> str:
    """The class summary printed at the end of a batch (:func:`checks.report.summary.text_summary`)."""
    from checks.report.summary import text_summary

    return text_summary(results).rstrip("\n")


def _print_single(out, res, brief: bool) -> None:
    from rich.rule import Rule

    from checks.grader import report

    out.print(report.table(res))
    if not brief and res.status == "ok":  # otherwise every formula repeats the status
        for fid, text in report.failed_feedback(res):
            if not text.startswith(f"{fid}: not implemented"):  # the table says it all
                out.print(Rule(fid, style="red"))
                out.print(report._clean(text), markup=False, highlight=False)
    line = f"Total: {report._num(res.score)} / {report._num(res.max_score)}"
    if res.status != "ok":
        line += f"   status: {res.status}: {res.message}"
    out.print(report._clean(line), markup=False, highlight=False)


def _write_outputs(args, subs, batch, grader, results, interrupted, out, err, t0, stage, vis) -> int:
    from checks.grader import report
    from checks.grader.grade import SubmissionResult
    from checks.grader.source import display_name

    fids = [f.id for f in grader.formulas]
    keys = [s.key for s in subs]
    graded = [r for r in results if r is not None]
    if interrupted is not None:
        sig = interrupted.signame
        rows = [r if r is not None else
                SubmissionResult(display_name(os.path.basename(s.path)) or s.where, s.path, status=report.NOT_GRADED,
                                 message=f"the batch was interrupted ({sig}) before this submission was graded",
                                 student=dict(s.student))
                for s, r in zip(subs, results)]
    else:
        rows = results
    failed: list[str] = []

    def write_json(path, r):
        try:
            report.write_json(path, r, vis)
        except OSError as e:
            failed.append(f"{path}: {e.strerror or e}")

    if not batch:  # the files first: a closed stdout (exit 141) must not lose them
        res = rows[0]
        if res.status != report.NOT_GRADED:
            if args.json:
                write_json(args.json, res)
            if args.json_dir:
                write_json(os.path.join(args.json_dir, report.json_stem(keys[0]) + ".json"), res)
        if interrupted is None:
            _print_single(out, res, getattr(args, "brief", False))
    else:
        if args.out:
            try:
                report.write_csv(args.out, rows, fids, keys, [s.where for s in subs])
            except OSError as e:
                failed.append(f"{args.out}: {e.strerror or e}")
        if args.json_dir:
            for key, r in zip(keys, rows):
                if r.status != report.NOT_GRADED:
                    write_json(os.path.join(args.json_dir, report.json_stem(key) + ".json"), r)
        if interrupted is None:
            out.print(report.batch_table(rows))
            n_ok = sum(r.status == "ok" for r in rows)
            out.print(report._clean(class_summary(rows)), markup=False, highlight=False)
            out.print(f"{len(rows)} submissions graded ({n_ok} ok) in {time.perf_counter() - t0:.1f}s"
                      + (f"; wrote {args.out}" if args.out and not failed else ""), markup=False, highlight=False)
    stage[0] = "done"
    if failed:
        cc.error_line("formulacheck grade", f"could not write {len(failed)} output file(s): {failed[0]}")
    if interrupted is not None:
        n = len(subs)
        if not batch:
            name = report._clean(rows[0].name)
            if graded and args.json:
                what = f"{name} was graded; wrote {args.json}"
            elif graded:
                what = f"{name} was graded; nothing printed"
            else:
                what = f"before {name} was graded: nothing written"
        else:
            wrote = []
            if args.out:
                wrote.append(f"{args.out} with every row (status '{report.NOT_GRADED}' for the other {n - len(graded)})")
            if args.json_dir and graded:
                wrote.append(f"{len(graded)} JSON file(s) in {args.json_dir}")
            what = f"{len(graded)} of {n} submissions graded; " + ("wrote " + " and ".join(wrote) if wrote else "nothing written")
        err.print(report._clean(f"interrupted ({interrupted.signame}): {what}"), markup=False, highlight=False,
                  soft_wrap=True)
        return 128 + interrupted.signum
    return cc.BAD_INPUT if failed else cc.OK
