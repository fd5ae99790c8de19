"""Reading the grading vectors file: checks.core.vecfile now (format 3) vs an older revision (format 2), in one process.

    python benchmarks/bench_vectors_read.py [--old REV] [--rounds N] [--file V3.zip]

The old module is ``git show REV:checks/core/vecfile.py`` imported as a separate module, the
old file ``git show REV:checks/data/public-vectors.zip`` (default REV: the last revision of
format 2); the new file is the package's public file (or ``--file``). First the grader's
modules are imported (``checks.grader.grade``): the reading runs in the grader's process, whose
heap the garbage collector walks too. Each round reads, one after the other (so that a busy
machine slows all of them alike): the old file with the old reader, the new file with the new
reader, the old file with the new reader (format 2 is still read); then the pickling of every
case as ``checks.grader.reading.prepare`` does it. It prints the CPU time (``time.process_time``,
the steadier number on a loaded machine) and the wall time of each, best and median of
``--rounds``, the files' sizes, and checks that the new reader gives the same values as the old
one, bit for bit (types, dtypes, shapes, bytes, judges), and the same case pickles.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

from checks.core import gradfns, vecfile  # noqa: E402
from checks.data import PUBLIC_VECTORS  # noqa: E402

OLD_REV = "2ded52ea34a57e1f4f8a423f7497d66e27105adb"  # vecfile.Stream ... (the last revision of format 2)


def _git_show(rev: str, path: str) -> bytes:
    return subprocess.run(["git", "-C", ROOT, "show", f"{rev}:{path}"], check=True, capture_output=True).stdout


def old_module(rev: str, d: str):
    path = os.path.join(d, "vecfile_old.py")
    with open(path, "wb") as f:
        f.write(_git_show(rev, "checks/core/vecfile.py"))
    spec = importlib.util.spec_from_file_location("vecfile_old", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["vecfile_old"] = mod  # its dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, (np.ndarray, np.generic)):
        return a.dtype.str == b.dtype.str and np.shape(a) == np.shape(b) and a.tobytes() == b.tobytes()
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float):
        return np.float64(a).tobytes() == np.float64(b).tobytes()
    if isinstance(a, functools.partial):
        return a.func is b.func and a.args == b.args and same(dict(a.keywords), dict(b.keywords))
    if isinstance(a, gradfns._GradFn):
        return same({k: getattr(a, k) for k in a._fields}, {k: getattr(b, k) for k in b._fields})
    return a is b if callable(a) else a == b


def differences(va, vb) -> list[str]:
    bad = [] if list(va.formulas) == list(vb.formulas) else ["the formula ids"]
    for fid, a in va.formulas.items():
        b = vb.formulas.get(fid)
        if b is None:
            continue
        if any(getattr(a, k) != getattr(b, k) for k in ("fn_name", "outputs", "tol", "points", "fresh_outputs",
                                                          "examples", "sizes")):
            bad.append(f"{fid}: the contract")
        if not same(a.compare, b.compare) or not same([(c.args, c.kwargs) for c in a.cases],
                                                       [(c.args, c.kwargs) for c in b.cases]):
            bad.append(f"{fid}: the judge or the cases")
        if [pickle.dumps((c.args, c.kwargs), protocol=5) for c in a.cases] != \
                [pickle.dumps((c.args, c.kwargs), protocol=5) for c in b.cases]:
            bad.append(f"{fid}: the case pickles")
        for oa, ob in zip(a.oracles, b.oracles):
            if (oa.name, oa.kind, oa.tol, oa.cases) != (ob.name, ob.kind, ob.tol, ob.cases) or \
                    not same(oa.fn, ob.fn) or not same(oa.expected, ob.expected):
                bad.append(f"{fid}: oracle {oa.name}")
    return bad


def timed(fn) -> tuple[float, float]:
    c, w = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - c, time.perf_counter() - w


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", default=OLD_REV, help="the revision of format 2 to compare with")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--file", default=PUBLIC_VECTORS, help="the format-3 file (default: the package's public one)")
    a = ap.parse_args()
    import checks.grader.grade  # noqa: F401  the grader's heap

    d = tempfile.mkdtemp(prefix="bench_vectors_read_")
    old = old_module(a.old, d)
    old_file = os.path.join(d, "public-v2.zip")
    with open(old_file, "wb") as f:
        f.write(_git_show(a.old, "checks/data/public-vectors.zip"))
    print(f"uptime: {os.getloadavg()[0]:.2f} load; old = {a.old[:12]}")
    print(f"files: old {os.path.getsize(old_file):,} bytes (format {old.read_manifest(old_file)[0]['format_version']}), "
          f"new {os.path.getsize(a.file):,} bytes (format {vecfile.read_manifest(a.file)[0]['format_version']})")
    runs = {"old reader, old file": lambda: old.read(old_file), "new reader, new file": lambda: vecfile.read(a.file),
            "new reader, old file": lambda: vecfile.read(old_file)}
    got = {k: [] for k in runs}
    got["pickling (prepare)"] = []
    for _ in range(a.rounds):
        for k, fn in runs.items():
            got[k].append(timed(fn))
        v = vecfile.read(a.file)
        got["pickling (prepare)"].append(timed(lambda: [[pickle.dumps((c.args, c.kwargs), protocol=5) for c in fv.cases]
                                                        for fv in v.formulas.values()]))
    print(f"{'':24} {'cpu best':>9} {'cpu median':>11} {'wall best':>10} {'wall median':>12}   ({a.rounds} rounds)")
    for k, ts in got.items():
        cpu, wall = [t[0] for t in ts], [t[1] for t in ts]
        print(f"{k:24} {min(cpu):9.3f} {statistics.median(cpu):11.3f} {min(wall):10.3f} {statistics.median(wall):12.3f}")
    va, vb, vc = old.read(old_file), vecfile.read(a.file), vecfile.read(old_file)
    bad = differences(va, vb) + differences(va, vc)
    n = sum(len(fv.cases) for fv in vb.formulas.values())
    print(f"{len(vb.formulas)} formulas, {n} cases: the new reader's values (both files) and case pickles are the old "
          f"reader's: {'yes' if not bad else 'NO: ' + '; '.join(bad[:5])}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
