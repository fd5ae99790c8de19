"""Benchmark: grading on Dask (``local:N``) against the local ``--jobs N``, and the scheduler's cost per task.

    python benchmarks/bench_dask.py [--submissions 30] [--workers 2] [--rounds 1] [--groups softmax,...]
                                    [--noop 400] [--json out.json]

One run grades the same N submissions (a class-like mix: the reference as a
submission, the reference with one wrong function, a differently written
partial file, a printing one, malformed results; every file distinct) with

- ``Grader(jobs=W).grade_many`` (what ``formulacheck grade --jobs W`` runs), and
- ``grade_on_dask(..., "local:W")`` (``--dask local:W``),

in alternating order for ``--rounds`` rounds, checks that both give exactly the
same results (every field but ``seconds``), and prints for each: the start
(grader processes / LocalCluster + one grader per worker), the grading, the
total, and seconds per submission per core (grading time x W / N).

The scheduler's cost per task is measured on the same LocalCluster with
``--noop`` tasks that carry a submission-sized payload and return a
result-sized record through the same windowed ``as_completed`` loop: the
wall time per task x workers is what Dask adds per submission.

The machine's load average is printed before and after (a shared machine
makes every number slower; compare the modes within one run).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from checks.grader import refsub  # noqa: E402
from checks.grader.grade import Grader  # noqa: E402

SUBS = os.path.join(ROOT, "tests", "submissions")


def write_batch(d: str, n: int) -> list[str]:
    ref = refsub.build()

    def sub(name):
        with open(os.path.join(SUBS, name), encoding="utf-8") as f:
            return f.read()

    kinds = [("ref", ref), ("wrong_softmax", ref + "\n" + sub("wrong_softmax.py")),
             ("wrong_sigmoid_backward", ref + "\n" + sub("wrong_sigmoid_backward.py")),
             ("alt_correct", sub("alt_correct.py")), ("hostile_print", sub("hostile_print.py")),
             ("bad_results", sub("bad_results.py"))]
    paths = []
    for k in range(n):
        stem, text = kinds[k % len(kinds)]
        p = os.path.join(d, f"s{k:03d}_{stem}.py")
        with open(p, "w", encoding="utf-8") as f:
            f.write(text + f"\n# submission {k}\n")  # every file distinct (its own journal key, its own task)
        paths.append(p)
    return paths


def comparable(res) -> dict:
    from checks.scale.records import to_record

    r = to_record(res)
    r.pop("seconds")
    return r


def run_jobs(paths, ids, w):
    t0 = time.perf_counter()
    with Grader(ids=ids, jobs=w) as g:
        g._ensure()
        t1 = time.perf_counter()
        res = g.grade_many(paths)
        t2 = time.perf_counter()
    return res, {"start": t1 - t0, "grade": t2 - t1, "total": time.perf_counter() - t0}


def run_dask(paths, ids, w):
    from checks.scale.dask import grade_on_dask

    t0 = time.perf_counter()
    marks = {}
    res = grade_on_dask(paths, {"ids": ids}, f"local:{w}", on_workers=lambda infos: marks.setdefault("t1", time.perf_counter()))
    t2 = time.perf_counter()  # includes closing the cluster (~1 s): counted in the total, not the grading
    t1 = marks["t1"]
    return res, {"start": t1 - t0, "grade": t2 - t1, "total": t2 - t0}


def noop(payload: bytes) -> dict:
    return {"record": {"name": "x", "tests": [{"feedback": "y" * 2000}] * 10}, "n": len(payload)}


def scheduler_overhead(w: int, n: int) -> dict:
    """Wall seconds per no-op task through the grading loop's pattern (window, as_completed, release)."""
    import dask
    import distributed

    from checks.scale.dask import local_config

    payload = os.urandom(20_000)  # a submission's size
    with dask.config.set(local_config()):
        cluster = distributed.LocalCluster(n_workers=w, threads_per_worker=1, processes=True,
                                           dashboard_address=":0", silence_logs=40)
    with cluster, distributed.Client(cluster) as client:
        client.wait_for_workers(w)
        client.submit(noop, b"", pure=False).result()  # warm
        window = 4 * w + 4
        t0 = time.perf_counter()
        ac = distributed.as_completed()
        it = iter(range(n))
        for _ in range(min(window, n)):
            ac.add(client.submit(noop, payload, key=f"formulacheck-noop-{next(it)}", pure=False))
        for fut in ac:
            fut.result()
            fut.release()
            k = next(it, None)
            if k is not None:
                ac.add(client.submit(noop, payload, key=f"formulacheck-noop-{k}", pure=False))
        dt = time.perf_counter() - t0
    return {"tasks": n, "wall": dt, "per_task_wall": dt / n, "per_task_worker_seconds": dt * w / n}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--submissions", type=int, default=30)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--groups", help="only these groups' formulas (default: every formula of the public vectors)")
    ap.add_argument("--noop", type=int, default=400, help="no-op tasks for the scheduler's cost per task (0: skip)")
    ap.add_argument("--json", help="write the numbers there")
    a = ap.parse_args()
    ids = None
    if a.groups:
        from checks import registry

        ids = [f.id for f in registry.select(group=a.groups)]
    load0 = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f} (1/5/15 min)")
    out = {"submissions": a.submissions, "workers": a.workers, "cores": os.cpu_count(), "load_before": load0,
           "runs": []}
    with tempfile.TemporaryDirectory(prefix="formulacheck-bench-dask-") as d:
        paths = write_batch(d, a.submissions)
        ref = None
        for r in range(a.rounds):
            order = [("jobs", run_jobs), ("dask", run_dask)] if r % 2 == 0 else [("dask", run_dask), ("jobs", run_jobs)]
            for mode, fn in order:
                res, t = fn(paths, ids, a.workers)
                got = [comparable(x) for x in res]
                if ref is None:
                    ref = got
                same = got == ref
                t.update(mode=mode, round=r, same_as_first=same, load=os.getloadavg()[0],
                         per_sub_core=t["grade"] * a.workers / len(paths))
                out["runs"].append(t)
                label = "--jobs" if mode == "jobs" else "local:"
                print(f"round {r} {label}{a.workers}: start {t['start']:.1f}s, grading {t['grade']:.1f}s, total "
                      f"{t['total']:.1f}s, {t['per_sub_core']:.2f} s per submission per core; identical results: "
                      f"{same}; load {t['load']:.2f}")
                if not same:
                    raise SystemExit("the two modes gave different results")
    for mode in ("jobs", "dask"):
        runs = [t for t in out["runs"] if t["mode"] == mode]
        out[mode] = {k: min(t[k] for t in runs) for k in ("start", "grade", "total", "per_sub_core")}
    out["ratio_total"] = out["dask"]["total"] / out["jobs"]["total"]
    out["ratio_grade"] = out["dask"]["grade"] / out["jobs"]["grade"]
    print(f"best of {a.rounds}: local:{a.workers} / --jobs {a.workers}: total x{out['ratio_total']:.2f}, "
          f"grading x{out['ratio_grade']:.2f}")
    if a.noop:
        o = scheduler_overhead(a.workers, a.noop)
        out["noop"] = o
        print(f"scheduler: {o['tasks']} no-op tasks (20 KB in, 20 KB out) in {o['wall']:.2f}s: "
              f"{o['per_task_wall'] * 1e3:.1f} ms wall per task, {o['per_task_worker_seconds'] * 1e3:.1f} ms of a "
              f"worker per task")
    out["load_after"] = os.getloadavg()
    print(f"load average after: {out['load_after'][0]:.2f} {out['load_after'][1]:.2f} {out['load_after'][2]:.2f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
