"""The binary wire's cost on real results: checks.core.wire now vs an older revision, in one process.

    python benchmarks/bench_wire.py [--old REV] [--rounds N] [--limit N]

The results are the reference implementation's (``formulacheck grade --write-reference``,
built in a temporary file) on every case of the public vectors, as the grader gets them.
The old module is ``git show REV:checks/core/wire.py`` imported as a separate module
(default REV: the last revision before the fast paths; a revision from the split of the JSON
form into checks/core/wirejson.py on brings its own wirejson.py). For each of pack, unpack and
the message chain of one result (runner message -> supervisor parse -> supervisor
message -> grader parse -> unpack), the best and median of ``--rounds`` rounds over all the
results, old and new interleaved; then it checks that both revisions give the same bytes
and the same decoded values (dtype, shape, bytes, repr) on every result.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

from checks.core import wire  # noqa: E402

OLD_REV = "70777c1acad9767944d66134f1db9c19cb643c68"  # wire: one _str_items... (before the fast paths)


def _load(rev: str, rel: str, name: str, d: str):
    """``git show REV:rel`` imported as the module ``name`` (None when the revision has no such file)."""
    r = subprocess.run(["git", "-C", ROOT, "show", f"{rev}:{rel}"], capture_output=True, text=True)
    if r.returncode != 0:
        return None
    path = os.path.join(d, name + ".py")
    with open(path, "w") as f:
        f.write(r.stdout)
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def old_wire(rev: str):
    """checks/core/wire.py at ``rev``; from the split on, with ITS checks/core/wirejson.py (the JSON half it
    imports stands in for the current one while the old wire.py is imported)."""
    d = tempfile.mkdtemp(prefix="bench_wire_")
    half = _load(rev, "checks/core/wirejson.py", "wirejson_old", d)
    if half is None:
        mod = _load(rev, "checks/core/wire.py", "wire_old", d)
    else:
        saved = sys.modules.get("checks.core.wirejson")
        sys.modules["checks.core.wirejson"] = half
        try:
            mod = _load(rev, "checks/core/wire.py", "wire_old", d)
        finally:
            if saved is None:
                del sys.modules["checks.core.wirejson"]
            else:
                sys.modules["checks.core.wirejson"] = saved
    if mod is None:
        raise SystemExit(f"no checks/core/wire.py at {rev}")
    return mod


def results(limit: int | None) -> list:
    """The reference's result on every case of the public vectors (in the grader's order)."""
    from checks.grader import refsub
    from checks.grader.grade import Grader
    from checks.worker.common import loads

    d = tempfile.mkdtemp(prefix="bench_wire_ref_")
    path = os.path.join(d, "ref.py")
    with open(path, "w") as f:
        f.write(refsub.build())
    spec = importlib.util.spec_from_file_location("bench_wire_ref", path)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    g = Grader()
    out = []
    for p in g.prepare_batch():
        fn = getattr(ref, p.formula.fn_name)
        for blob in p.blobs:
            args, kwargs = loads(blob)
            out.append(fn(*args, **kwargs))
            if limit and len(out) >= limit:
                return out
    return out


def chain(w, values: list) -> None:
    """One result's trip: runner message -> supervisor parse -> supervisor message -> grader parse -> unpack."""
    for v in values:
        raw = w.message({"k": "ok"}, w.pack(v, 1 << 20), b"echo")
        h, parts = w.parse(raw)
        raw = w.message({"k": "ok", "i": 0, "viol": None}, parts[0])
        h, parts = w.parse(raw)
        w.unpack(parts[0])


def same_value(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes() and b.flags.writeable
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, np.generic):
        return a.dtype == b.dtype and a.tobytes() == b.tobytes()
    return repr(a) == repr(b)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", default=OLD_REV, help="the revision to compare with (default: before the fast paths)")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--limit", type=int, default=None, help="at most this many results")
    a = ap.parse_args()
    old = old_wire(a.old)
    t = time.perf_counter()
    vals = results(a.limit)
    print(f"{len(vals)} results of the reference ({time.perf_counter() - t:.1f} s to compute); old = {a.old[:12]}")

    packed_new = [wire.pack(v) for v in vals]
    packed_old = [old.pack(v) for v in vals]
    diff = sum(x != y for x, y in zip(packed_new, packed_old))
    bad = sum(not same_value(old.unpack(p), wire.unpack(p)) for p in packed_old)
    print(f"packed bytes differ on {diff} results; decoded values differ on {bad}; "
          f"{sum(map(len, packed_new)) / len(vals):.0f} bytes per packed result on average")

    jobs = {
        "pack": lambda w: [w.pack(v, 1 << 20) for v in vals],
        "unpack": lambda w: [w.unpack(p) for p in packed_old],
        "message+parse x2 (no pack)": lambda w: [w.parse(w.message({"k": "ok", "i": 0, "viol": None},
                                                                    w.parse(w.message({"k": "ok"}, p, b"echo"))[1][0]))
                                                 for p in packed_old],
        "chain (pack, 2 x message+parse, unpack)": lambda w: chain(w, vals),
    }
    n = len(vals)
    print(f"\n{'what':42} {'old best':>9} {'new best':>9} {'old med':>9} {'new med':>9}  speed-up (best)  [us per result]")
    for name, job in jobs.items():
        times = {"old": [], "new": []}
        for _ in range(a.rounds):
            for tag, w in (("old", old), ("new", wire)):
                t = time.perf_counter()
                job(w)
                times[tag].append((time.perf_counter() - t) / n * 1e6)
        ob, nb = min(times["old"]), min(times["new"])
        om, nm = statistics.median(times["old"]), statistics.median(times["new"])
        print(f"{name:42} {ob:9.2f} {nb:9.2f} {om:9.2f} {nm:9.2f}  {ob / nb:6.2f}x")
    return 1 if diff or bad else 0


if __name__ == "__main__":
    sys.exit(main())
