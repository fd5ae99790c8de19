"""Issue 12's speed targets: a cold grade and a batch, against ``python -c "import torch"``.

    python benchmarks/bench_cold.py [--rounds 5] [--batch 20] [--jobs 2] [--exe formulacheck]

Each round runs, one after the other (so that a busy machine slows all of
them alike): ``import torch``; the cold grade of the reference as a one-file
submission (``formulacheck grade ref.py``, a fresh empty HOME and
XDG_CACHE_HOME); the batch of ``--batch`` copies of it with ``--jobs``
(``formulacheck grade DIR --out grades.csv``, fresh HOME too). Per run it
prints the wall time and the CPU time of the process and its children (on a
loaded machine the CPU time is the steadier number). Then the ratios of the
means:

- cold / import torch                 (target <= 1)
- (batch - cold) / (N - 1) / import torch, each extra submission (target <= 0.5)

The reference submission is written with :func:`checks.grader.refsub.build`
into a temporary folder; ``uptime`` is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def _timed(argv: list[str], cwd: str, env: dict) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of the process tree, exit code) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if p.returncode != 0:
        sys.stderr.write(p.stderr.decode("utf-8", "replace")[-2000:])
    return wall, cpu, p.returncode


def _fresh_env(d: str) -> dict:
    home = tempfile.mkdtemp(prefix="home-", dir=d)
    env = dict(os.environ, HOME=home, XDG_CACHE_HOME=os.path.join(home, ".cache"))
    env.pop("PYTHONPATH", None)
    return env


def _not_full(path: str | None, n: int) -> str:
    """'' when every results.json at ``path`` (a file, or a folder of ``n``) gives full marks, else why not."""
    import json

    if path is None:
        return ""
    files = [path] if path.endswith(".json") else [os.path.join(path, f) for f in sorted(os.listdir(path))]
    if not path.endswith(".json") and len(files) != n:
        return f"{len(files)} results for {n} submissions"
    for f in files:
        with open(f, encoding="utf-8") as fh:
            r = json.load(fh)
        total = sum(t.get("max_score", 0) for t in r.get("tests", []))
        if not total or r.get("score") != total:
            why = " ".join(str(r.get("output", "")).split())[:300]
            return f"{os.path.basename(f)}: {r.get('score')} / {total} ({why})"
    return ""


def _uptime() -> str:
    try:
        with open("/proc/loadavg") as fh:
            return "load average " + " ".join(fh.read().split()[:3])
    except OSError:
        return "load average ?"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--batch", type=int, default=20, help="submissions in the batch (default 20)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--exe", default=os.path.join(os.path.dirname(sys.executable), "formulacheck"),
                    help="the formulacheck console script (default: beside this interpreter)")
    a = ap.parse_args()
    from checks.grader import refsub

    d = tempfile.mkdtemp(prefix="bench-cold-")
    try:
        ref = os.path.join(d, "ref.py")
        with open(ref, "w", encoding="utf-8") as fh:
            fh.write(refsub.build())
        batch = os.path.join(d, "batch")
        os.mkdir(batch)
        for i in range(a.batch):
            shutil.copy(ref, os.path.join(batch, f"s{i:02d}.py"))
        runs: dict[str, list[tuple[float, float]]] = {"torch": [], "cold": [], "batch": []}
        jd = os.path.join(d, "json")
        print(f"before: {_uptime()}; {os.cpu_count()} cores")
        for r in range(a.rounds):
            line = []
            for name, argv in (("torch", [sys.executable, "-c", "import torch"]),
                               ("cold", [a.exe, "grade", "ref.py", "--json", os.path.join(d, f"r{r}.json")]),
                               ("batch", [a.exe, "grade", batch, "--out", os.path.join(d, f"g{r}.csv"),
                                          "--json-dir", os.path.join(jd, str(r)), "--jobs", str(a.jobs), "--quiet"])):
                wall, cpu, rc = _timed(argv, d, _fresh_env(d))
                if rc != 0:
                    print(f"{name} exited with {rc}")
                    return 1
                bad = _not_full(os.path.join(d, f"r{r}.json") if name == "cold" else
                                os.path.join(jd, str(r)) if name == "batch" else None, a.batch)
                if bad:  # a fast zero is no measurement
                    print(f"{name}: the reference did not get full marks: {bad}")
                    return 1
                runs[name].append((wall, cpu))
                line.append(f"{name} {wall:5.2f} s (cpu {cpu:5.2f})")
            print(f"round {r + 1}: " + "; ".join(line))
        print(f"after: {_uptime()}")
        m = {k: statistics.mean(w for w, _ in v) for k, v in runs.items()}
        per = (m["batch"] - m["cold"]) / max(1, a.batch - 1)
        print(f"means: import torch {m['torch']:.2f} s; cold grade {m['cold']:.2f} s; "
              f"{a.batch} submissions --jobs {a.jobs} {m['batch']:.2f} s ({per:.2f} s per extra submission)")
        print(f"cold / import torch:                 {m['cold'] / m['torch']:.2f}  (target <= 1)")
        print(f"per extra submission / import torch: {per / m['torch']:.2f}  (target <= 0.5)")
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
