"""Short twins (checks.run.short) measured: the smallest failing input the feedback shows, before and after.

Builds the public vectors in one run, without and with short twins (``vectors.build``, default
seed and profile; alternated, each build in a fresh process, the fastest of each kept), then judges every library mistake (``checks/mistakes``, re-exported
by tests/mutants) on each file in process, with the grader's judge, order and feedback
(:func:`checks.run.check.check_vectors`), and measures the shown call ("Smallest failing
input:"): its median and max length in characters, and the share of mistakes whose shown call
has only numbers of at most 3 significant digits. Also: cases, build seconds, twins kept and
dropped (per reason and group), mistakes still caught.

    python benchmarks/bench_short.py                       # build both twice, alternated, in a temp dir
    python benchmarks/bench_short.py --before A.zip --after B.zip   # measure two given files
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from checks import registry  # noqa: E402
from checks.core import vecfile  # noqa: E402
from checks.mistakes import all_entries  # noqa: E402
from checks.run.check import check_vectors, local_caller  # noqa: E402
from checks.run.short import max_digits  # noqa: E402


_BUILD = r"""
import json, sys
from checks.run import vectors
r = vectors.build(sys.argv[1], short_twins=sys.argv[2] == "1")
st = r["twins"]
drops = {}
for fid, s in st.items():
    for k, n in s.drops.items():
        g = drops.setdefault(fid.split(".")[0], {})
        g[k] = g.get(k, 0) + n
print(json.dumps({"seconds": r["seconds"], "kept": sum(s.kept for s in st.values()),
                  "tried": sum(s.tried for s in st.values()), "candidates": sum(s.candidates for s in st.values()),
                  "drops": drops}))
"""


def _build(path: str, twins: bool) -> dict:
    """Build the public vectors (with or without twins) in a fresh process; its timing and twin counts."""
    out = subprocess.run([sys.executable, "-c", _BUILD, path, "1" if twins else "0"], check=True,
                         capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def shown(path: str) -> tuple[list[str | None], int]:
    """The shown smallest failing call of every mistake (None: passed or no input shown), cases in the file."""
    v = vecfile.read(path)
    out = []
    for m in all_entries():
        f = registry.get(m.formula)
        res = check_vectors(v.formulas[m.formula], local_caller(m.fn, f.fn_name, fresh_outputs=f.fresh_outputs))
        out.append(None if res.passed else (res.call or ""))
    return out, sum(len(fv.cases) for fv in v.formulas.values())


def row(name: str, calls: list[str | None], cases: int, seconds: float | None) -> str:
    caught = [c for c in calls if c is not None]
    with_input = [c for c in caught if c]
    lens = [len(c) for c in with_input]
    short = sum(1 for c in with_input if max_digits(c) <= 3)
    sec = f"{seconds:.1f}" if seconds is not None else "-"
    return (f"| {name} | {cases:,} | {sec} | {len(caught)}/{len(calls)} | {statistics.median(lens):.0f} | {max(lens)} | "
            f"{short}/{len(with_input)} = {short / len(with_input):.0%} |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", help="a vectors file without twins (default: built now)")
    ap.add_argument("--after", help="a vectors file with twins (default: built now)")
    ap.add_argument("--repeat", type=int, default=2, help="builds of each, alternated (build s: the fastest)")
    a = ap.parse_args(argv)
    paths = {"before": a.before, "after": a.after}
    with tempfile.TemporaryDirectory() as tmp:
        times: dict[str, list[float]] = {"before": [], "after": []}
        for rep in range(a.repeat if not (a.before and a.after) else 0):
            for name in ("before", "after"):  # alternated, each in a fresh process (cold SymPy caches)
                if getattr(a, name):
                    continue
                paths[name] = os.path.join(tmp, f"{name}.zip")
                r = _build(paths[name], name == "after")
                times[name].append(r["seconds"])
                if name == "after" and rep == 0:
                    print(f"twins: {r['kept']} kept of {r['tried']} sources tried ({r['candidates']} candidates "
                          f"checked); dropped per group and reason: {r['drops'] or 'none'}\n")
        secs = {k: (min(v) if v else None) for k, v in times.items()}
        res = {k: shown(p) for k, p in paths.items()}
    print("| vectors | cases | build s | mistakes caught | shown call: median chars | max chars | "
          "numbers all <= 3 significant digits |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in ("before", "after"):
        print(row(f"{name} (short twins {'on' if name == 'after' else 'off'})", res[name][0], res[name][1], secs[name]))
    b, f = res["before"][0], res["after"][0]
    changed = sum(1 for x, y in zip(b, f) if x and y and x != y)
    print(f"\nshown input changed for {changed} mistakes; caught before and not after: "
          f"{sum(1 for x, y in zip(b, f) if x is not None and y is None)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
