"""The per-submission cost of the sandbox, level by level, in one run.

    python benchmarks/bench_sandbox.py [--repeat 20] [--examples 3]

For every isolation level this machine allows (namespaces+seccomp,
namespaces, seccomp+uid, uid, seccomp, none) it measures, with the same
grader code:

- ``empty``: a submission that defines nothing, started, imported and torn
  down (the sandbox's fixed cost: bwrap, the interpreter and numpy, the
  seccomp filters, the cgroup, the uid sweep), median of --repeat;
- ``reference``: the reference graded as a submission (61 formulas, a few
  examples each), median of 3.

The cost of the sandbox is the difference to level ``none`` (the same
pipeline: a fresh worker process, no isolation), printed as seconds and as
a ratio; a bare ``python -c "import numpy"`` is timed too (the fixed cost of
any fresh worker process).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from checks.grader import isolation, refsub  # noqa: E402
from checks.grader.grade import Grader  # noqa: E402
from checks.grader.rubric import Rubric  # noqa: E402

CONFIGS = {  # level -> Grader options that produce it
    "namespaces+seccomp": dict(),
    "namespaces": dict(seccomp=False),
    "seccomp+uid": dict(namespaces=False),
    "uid": dict(namespaces=False, seccomp=False),
    "seccomp": dict(namespaces=False, drop_privileges=False),
    "none": dict(namespaces=False, seccomp=False, drop_privileges=False),
}


def _median_time(fn, n: int) -> float:
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--examples", type=int, default=3)
    a = ap.parse_args()
    caps = isolation.detect()
    print(f"machine: bwrap={'yes' if caps.bwrap else 'no (' + caps.bwrap_why + ')'}, "
          f"seccomp={'yes' if not caps.seccomp_why else 'no'}, root={caps.root}, cgroup={caps.cgroup}")
    rub = replace(Rubric(), examples_default=a.examples)
    d = tempfile.mkdtemp()
    empty = os.path.join(d, "empty.py")
    with open(empty, "w") as fh:
        fh.write("import numpy as np\n")
    ref = os.path.join(d, "ref.py")
    with open(ref, "w") as fh:
        fh.write(refsub.build())
    rows = {}
    for level, opts in CONFIGS.items():
        try:
            g = Grader(rub, **opts)
        except Exception as e:  # not available here
            print(f"{level:20s} not available: {e}")
            continue
        if g.isolation != level:
            print(f"{level:20s} not available (this machine gives {g.isolation})")
            g.close()
            continue
        with g:
            g.grade_file(ref)  # warm: preparation, zygote, caches
            r = g.grade_file(ref)
            assert r.score == r.max_score, (level, r.status, r.message)
            t_empty = _median_time(lambda: g.grade_file(empty), a.repeat)
            t_ref = _median_time(lambda: g.grade_file(ref), 3)
        rows[level] = (t_empty, t_ref)
        print(f"{level:20s} empty submission {t_empty * 1000:7.1f} ms   reference {t_ref:6.2f} s   "
              f"({g.resources})", flush=True)
    import subprocess

    py = isolation.interpreter()
    site = [os.path.dirname(isolation._package_paths("numpy")[0][0])]
    t_py = _median_time(lambda: subprocess.run([py, "-I", "-S", "-c", f"import sys; sys.path[:0] = {site!r}; import numpy"],
                                               check=True), a.repeat)
    print(f"{'(python + numpy)':20s} a bare interpreter importing numpy: {t_py * 1000:7.1f} ms")
    if "none" in rows:
        base_e, base_r = rows["none"]
        print("\ncost of the sandbox against level 'none' (same pipeline, no isolation):")
        for level, (e, r) in rows.items():
            print(f"{level:20s} +{(e - base_e) * 1000:6.1f} ms per submission ({e / base_e:4.2f}x),"
                  f" reference +{r - base_r:5.2f} s ({r / base_r:4.2f}x)")


if __name__ == "__main__":
    main()
