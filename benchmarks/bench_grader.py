"""Benchmark of the grader, in process: where the time of one submission goes.

    python benchmarks/bench_grader.py [--vectors FILE] [--submissions 20] [--jobs 1,2]

Prints:
- reading the vectors file and pickling its cases (once per grading process);
- the reference as a submission (warm: after a first one): wall time, the
  grader's CPU time (its judging included) and the CPU time of the worker's
  two processes (the supervisor and the submission's runner, read from /proc
  just before the worker is killed);
- the per-submission overhead (an empty submission: start a worker, import,
  run nothing, tear down);
- the throughput for N copies of the reference with each --jobs.

For the cold ``formulacheck grade`` against ``import torch`` (issue 12):
benchmarks/bench_cold.py.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from checks.grader import refsub, sandbox  # noqa: E402
from checks.grader.grade import Grader  # noqa: E402

_TICK = os.sysconf("SC_CLK_TCK")


def _tree_cpu(pid: int) -> list[float]:
    """CPU seconds of every descendant of ``pid`` (the sandbox's processes), from /proc."""
    kids: dict[int, list[tuple[int, float]]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as fh:
                    st = fh.read()
                f = st[st.rindex(")") + 2:].split()
                kids.setdefault(int(f[1]), []).append((int(d), (int(f[11]) + int(f[12])) / _TICK))
            except (OSError, ValueError, IndexError):
                pass
    out, todo = [], [pid]
    while todo:
        for c, cpu in kids.get(todo.pop(), []):
            out.append(cpu)
            todo.append(c)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vectors", help="a vectors file (default: the package's public one)")
    ap.add_argument("--submissions", type=int, default=20)
    ap.add_argument("--jobs", default="1,2")
    a = ap.parse_args()
    d = tempfile.mkdtemp(prefix="bench-grader-")
    seen: list[list[float]] = []
    close = sandbox.Sandbox.close_submission

    def watched(self):
        if self.pid is not None:
            seen.append(_tree_cpu(self.pid))
        return close(self)

    try:
        ref = os.path.join(d, "ref.py")
        with open(ref, "w", encoding="utf-8") as fh:
            fh.write(refsub.build())
        empty = os.path.join(d, "empty.py")
        with open(empty, "w") as fh:
            fh.write("pass\n")
        t0 = time.perf_counter()
        with Grader(vectors=a.vectors, processes=False) as g:
            g.prepare_batch()
            n_cases = sum(len(p.cases) for p in g.prepared)
            print(f"{len(g.prepared)} formulas, {n_cases} cases: read and pickled in {time.perf_counter() - t0:.2f} s")
            g._ensure()
            g.grade_file(ref)  # warm-up
            sandbox.Sandbox.close_submission = watched
            for _ in range(3):
                seen.clear()
                t, c = time.perf_counter(), time.process_time()
                r = g.grade_file(ref)
                wall, cpu = time.perf_counter() - t, time.process_time() - c
                worker = " + ".join(f"{x:.2f}" for x in (seen[0] if seen else []))
                print(f"reference: {wall:.2f} s -> {r.score:g}/{r.max_score:g}; grader CPU {cpu:.2f} s, "
                      f"worker CPU {worker or '?'} s (supervisor + runner)")
            sandbox.Sandbox.close_submission = close
            ts = []
            for _ in range(5):
                t = time.perf_counter()
                g.grade_file(empty)
                ts.append(time.perf_counter() - t)
            print(f"per-submission overhead (empty submission, median of 5): {sorted(ts)[2] * 1000:.0f} ms")
        paths = []
        for i in range(a.submissions):
            p = os.path.join(d, f"s{i:03d}.py")
            shutil.copy(ref, p)
            paths.append(p)
        for jobs in [int(j) for j in a.jobs.split(",")]:
            with Grader(vectors=a.vectors, jobs=jobs) as g:
                g._ensure()
                t = time.perf_counter()
                res = g.grade_many(paths)
                dt = time.perf_counter() - t
            bad = [r.name for r in res if r.score != r.max_score]
            print(f"{len(paths)} references, --jobs {jobs}: {dt:.1f} s ({dt / len(paths):.2f} s each, not counting "
                  f"the start){'; NOT FULL MARKS: ' + str(bad) if bad else ''}")
    finally:
        sandbox.Sandbox.close_submission = close
        shutil.rmtree(d, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
