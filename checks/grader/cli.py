"""``formulacheck grade``: grade one submission (a table) or many (a CSV).

    formulacheck grade SUBMISSION.py [--json results.json] [--rubric rubric.toml] [--profile grade] [--timeout S]
    formulacheck grade DIR_OR_FILES... --out grades.csv [--json-dir D] [--jobs N]
    formulacheck grade --write-reference ref_submission.py

The batch preparation (grading cases + expected answers) is cached on disk
(checks.grader.cache); --no-cache prepares afresh and neither reads nor writes it.

Exit codes: 0 graded (whatever the grades), 2 bad command-line input.
"""

from __future__ import annotations

from checks.cli import _console

import os
import time


def add_parser(sub) -> None:
    p = sub.add_parser(
        "grade",
        help="grade submissions (one file: a table; many: a CSV)",
        description="Grade student submissions against every formula id. One file prints a table "
                    "(and --json writes Gradescope's results.json); several files or directories print a "
                    "summary and, with --out grades.csv, write one CSV row per submission.",
    )
    p.add_argument("paths", nargs="*", metavar="SUBMISSION", help=".py files or directories of .py files")
    p.add_argument("--json", metavar="FILE", help="write results.json (Gradescope format) for a single submission")
    p.add_argument("--rubric", metavar="TOML", help="points, allowed imports, limits and example counts")
    p.add_argument("--profile", default="grade", help="Hypothesis profile setting the example counts (default: grade)")
    p.add_argument("--timeout", type=float, metavar="S", help="seconds per formula (overrides the rubric)")
    p.add_argument("--examples", type=int, metavar="N", help="base example count per formula (overrides the rubric's default)")
    p.add_argument("--out", metavar="CSV", help="write one CSV row per submission")
    p.add_argument("--json-dir", metavar="DIR", help="also write DIR/<file name without .py>.json per submission")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="grade N submissions in parallel (default 1)")
    p.add_argument("--group", help="grade only these groups (comma-separated)")
    p.add_argument("--no-cache", action="store_true",
                   help="do not read or write the cache of grading cases and expected answers "
                        "($FORMULACHECK_CACHE_DIR, else ~/.cache/formulacheck)")
    p.add_argument("--write-reference", metavar="FILE", help="write the reference implementation as a one-file submission and exit")
    p.set_defaults(func=cmd_grade)


class UsageError(Exception):
    pass


def _expand(paths: list[str]) -> list[str]:
    out: list[str] = []
    for p in paths:
        if os.path.isdir(p):
            files = sorted(os.path.join(p, f) for f in os.listdir(p) if f.endswith(".py") and os.path.isfile(os.path.join(p, f)))
            if not files:
                raise UsageError(f"{p!r}: the directory holds no .py file")
            out += files
        elif os.path.isfile(p):
            out.append(p)
        else:
            raise UsageError(f"{p!r}: no such file or directory")
    return out


def _writable(path: str, what: str) -> None:
    d = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(d):
        raise UsageError(f"{what} {path!r}: the directory {d!r} does not exist")
    if os.path.isdir(path):
        raise UsageError(f"{what} {path!r} is a directory; give a file name")


def _options(args):
    from dataclasses import replace

    from checks import profiles, registry
    from checks.grader import rubric as rb

    if args.jobs < 1:
        raise UsageError(f"--jobs {args.jobs}: give at least 1")
    if args.timeout is not None and not (0 < args.timeout <= 3600):
        raise UsageError(f"--timeout {args.timeout}: give seconds between 0 and 3600")
    if args.examples is not None and not (1 <= args.examples <= 100_000):
        raise UsageError(f"--examples {args.examples}: give a count between 1 and 100000")
    try:
        profile = profiles.resolve(args.profile)
    except ValueError as e:
        raise UsageError(str(e)) from None
    try:
        rub = rb.load(args.rubric)
    except rb.RubricError as e:
        raise UsageError(str(e)) from None
    if args.timeout is not None:
        rub = replace(rub, limits=replace(rub.limits, timeout=args.timeout))
    if args.examples is not None:
        rub = replace(rub, examples_default=args.examples)
    ids = None
    if args.group:
        try:
            ids = [f.id for f in registry.select(group=args.group)]
        except ValueError as e:
            raise UsageError(str(e)) from None
    return rub, profile, ids


def cmd_grade(args) -> int:

    err = _console(stderr=True)
    try:
        if args.write_reference:
            from checks.grader import refsub

            _writable(args.write_reference, "--write-reference")
            refsub.write(args.write_reference)
            err.print(f"wrote {args.write_reference}")
            if not args.paths:
                return 0
        if not args.paths:
            raise UsageError("give a submission .py file (or files / directories with --out grades.csv)")
        files = _expand(args.paths)
        batch = len(files) > 1 or args.out is not None or any(os.path.isdir(p) for p in args.paths)
        if args.json and batch:
            raise UsageError("--json is for one submission; with several use --json-dir DIR")
        if args.json:
            _writable(args.json, "--json")
        if args.out:
            _writable(args.out, "--out")
        if args.json_dir:
            if not os.path.isdir(args.json_dir):
                try:
                    os.makedirs(args.json_dir)
                except OSError as e:
                    raise UsageError(f"--json-dir {args.json_dir!r}: cannot create the directory: {e.strerror}") from None
            stems = {}
            for f in files:
                s = os.path.splitext(os.path.basename(f))[0]
                if s in stems:
                    raise UsageError(f"--json-dir: {stems[s]!r} and {f!r} would both write {s}.json; rename one")
                stems[s] = f
        names = [os.path.basename(f) for f in files]
        if args.out and len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise UsageError(f"--out: several submissions are named {dup}; the CSV names rows by file name, rename them")
        rub, profile, ids = _options(args)
    except UsageError as e:
        err.print(f"[red]error:[/red] {e}", highlight=False)
        return 2
    return _run(args, files, batch, rub, profile, ids, err)


def _run(args, files, batch, rub, profile, ids, err) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from checks.grader import report
    from checks.grader.grade import Grader

    out = _console()
    t0 = time.perf_counter()
    with err.status("preparing the grading cases...") as status:
        def on_prepare(fid, k, n):
            status.update(f"preparing the grading cases: {fid} ({k + 1}/{n})")

        grader = Grader(rub, profile=profile, ids=ids, jobs=args.jobs, on_prepare=on_prepare,
                        cache=not getattr(args, "no_cache", False))
        grader._ensure()
    n_f = len(grader.formulas)
    where = (f"{grader.cache_hits}/{n_f} from the cache {grader.cache_path}" if grader.cache_path
             else "cache not used")
    err.print(f"grading cases of {n_f} formulas prepared in {grader.prepare_seconds:.1f}s ({where})",
              style="dim", markup=False, highlight=False, soft_wrap=True)
    try:
        if not batch:
            res = grader.grade_many(files)[0]
            out.print(report.table(res))
            line = f"Total: {report._num(res.score)} / {report._num(res.max_score)}"
            if res.status != "ok":
                line += f"   status: {res.status}: {res.message}"
            out.print(line, markup=False, highlight=False)
            if args.json:
                report.write_json(args.json, res)
            if args.json_dir:
                stem = os.path.splitext(os.path.basename(files[0]))[0]
                report.write_json(os.path.join(args.json_dir, stem + ".json"), res)
            return 0
        with Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      TextColumn("{task.description}"), console=err, transient=False) as prog:
            task = prog.add_task("", total=len(files))

            def done(r):
                prog.update(task, advance=1, description=f"{r.name}: {r.status} {report._num(r.score)}/{report._num(r.max_score)}")

            results = grader.grade_many(files, on_done=done)
    finally:
        grader.close()
    # every worker is dead: only now are the output files written
    fids = [f.id for f in grader.formulas]
    if args.out:
        report.write_csv(args.out, results, fids)
    if args.json_dir:
        for f, r in zip(files, results):
            stem = os.path.splitext(os.path.basename(f))[0]
            report.write_json(os.path.join(args.json_dir, stem + ".json"), r)
    out.print(report.batch_table(results))
    n_ok = sum(r.status == "ok" for r in results)
    out.print(f"{len(results)} submissions graded ({n_ok} ok) in {time.perf_counter() - t0:.1f}s"
              + (f"; wrote {args.out}" if args.out else ""), markup=False, highlight=False)
    return 0
