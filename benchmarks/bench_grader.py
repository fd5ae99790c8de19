"""Benchmark of `formulacheck grade`.

    python benchmarks/bench_grader.py [--examples N] [--submissions 50] [--jobs 1,2]

Prints:
- the one-time preparation of a batch (drawing the grading cases and the
  oracles' expected answers, torch / SymPy included), cold (an empty disk
  cache, a private temporary one) and warm (the same preparation read back
  from that cache, as on a second `formulacheck grade` run);
- the time to grade the reference as a submission (after preparation);
- the per-submission overhead (an empty submission: fork a worker, import,
  run nothing, tear down);
- the throughput for N submissions (a mix of the reference, the reference with
  one wrong function, the template and a partial differently-written file)
  with --jobs 1 and 2.

--examples sets the base example count per formula (default 20; the `grade`
profile uses 100).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from dataclasses import replace

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from checks.grader import refsub  # noqa: E402
from checks.grader.grade import Grader  # noqa: E402
from checks.grader.rubric import Rubric  # noqa: E402

SUBS = os.path.join(ROOT, "tests", "submissions")


def _mix(d: str, n: int) -> list[str]:
    ref = refsub.build()
    with open(os.path.join(ROOT, "student", "template.py"), encoding="utf-8") as fh:
        template = fh.read()
    kinds = [
        ("ref", ref),
        ("wrong_softmax", ref + "\n" + open(os.path.join(SUBS, "wrong_softmax.py")).read()),
        ("wrong_sigmoid_backward", ref + "\n" + open(os.path.join(SUBS, "wrong_sigmoid_backward.py")).read()),
        ("template", template),
        ("alt_correct", open(os.path.join(SUBS, "alt_correct.py")).read()),
    ]
    paths = []
    for i in range(n):
        name, src = kinds[i % len(kinds)]
        p = os.path.join(d, f"s{i:03d}_{name}.py")
        with open(p, "w", encoding="utf-8") as fh:
            fh.write(src)
        paths.append(p)
    return paths


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--examples", type=int, default=20)
    ap.add_argument("--submissions", type=int, default=50)
    ap.add_argument("--jobs", default="1,2")
    a = ap.parse_args()
    rub = replace(Rubric(), examples_default=a.examples)
    d = tempfile.mkdtemp(prefix="bench-grader-")
    try:
        ref_path = os.path.join(d, "reference_submission.py")
        with open(ref_path, "w", encoding="utf-8") as fh:
            fh.write(refsub.build())
        empty = os.path.join(d, "empty.py")
        with open(empty, "w") as fh:
            fh.write("pass\n")
        paths = _mix(d, a.submissions)
        cache_dir = os.path.join(d, "cache")  # never the user's cache: a cold start every time
        t0 = time.perf_counter()
        g = Grader(rub, cache_dir=cache_dir)
        g.prepare_batch()
        prep = time.perf_counter() - t0
        n_f = len(g.formulas)
        n_cases = sum(len(p.cases) for p in g.prepared)
        print(f"formulas: {n_f}; grading inputs: {n_cases} (base examples {a.examples})")
        print(f"prepare (cases + expected answers, once per batch), empty cache: {prep:.1f} s")
        t0 = time.perf_counter()
        warm = Grader(rub, cache_dir=cache_dir)
        warm.prepare_batch()
        size = sum(os.path.getsize(os.path.join(cache_dir, f)) for f in os.listdir(cache_dir))
        print(f"prepare from the disk cache (a second run): {time.perf_counter() - t0:.2f} s "
              f"({warm.cache_hits}/{n_f} formulas, {size / 1e6:.1f} MB)")
        try:
            g.grade_file(ref_path)  # warm-up
            t = time.perf_counter()
            r = g.grade_file(ref_path)
            t_ref = time.perf_counter() - t
            print(f"reference as a submission: {t_ref:.2f} s -> {r.score:g}/{r.max_score:g} ({r.status})")
            ts = []
            for _ in range(5):
                t = time.perf_counter()
                g.grade_file(empty)
                ts.append(time.perf_counter() - t)
            print(f"per-submission overhead (empty submission, median of 5): {sorted(ts)[2] * 1000:.0f} ms")
        finally:
            g.close()
        prepared = g.prepared
        for jobs in [int(j) for j in a.jobs.split(",")]:
            g = Grader(rub, jobs=jobs)
            g.prepared = prepared  # the same batch cases: prepare once
            try:
                g._ensure()
                t = time.perf_counter()
                res = g.grade_many(paths)
                dt = time.perf_counter() - t
            finally:
                g.close()
            bad = [r.name for r in res if r.status != "ok"]
            print(f"{len(paths)} submissions, --jobs {jobs}: {dt:.1f} s ({len(paths) / dt * 60:.0f} submissions/min,"
                  f" {dt / len(paths):.2f} s each; not counting prepare){'; NOT OK: ' + str(bad) if bad else ''}")
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
