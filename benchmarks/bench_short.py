"""Short twins (checks.run.short) measured: the smallest failing input the feedback shows, before and after.

Builds the public vectors twice in one run, without and with short twins (``vectors.build``,
default seed and profile), then judges every library mistake (``checks/mistakes``, re-exported
by tests/mutants) on each file in process, with the grader's judge, order and feedback
(:func:`checks.run.check.check_vectors`), and measures the shown call ("Smallest failing
input:"): its median and max length in characters, and the share of mistakes whose shown call
has only numbers of at most 3 significant digits. Also: cases, build seconds, twins kept and
dropped (per reason and group), mistakes still caught.

    python benchmarks/bench_short.py                       # build both files in a temp dir
    python benchmarks/bench_short.py --before A.zip --after B.zip   # measure two given files
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from checks import registry  # noqa: E402
from checks.core import vecfile  # noqa: E402
from checks.mistakes import all_entries  # noqa: E402
from checks.run.check import check_vectors, local_caller  # noqa: E402
from checks.run.short import max_digits  # noqa: E402


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
    a = ap.parse_args(argv)
    secs: dict[str, float | None] = {"before": None, "after": None}
    paths = {"before": a.before, "after": a.after}
    with tempfile.TemporaryDirectory() as tmp:
        if not (a.before and a.after):
            from checks.run import vectors

            for name, twins in (("before", False), ("after", True)):
                if paths[name]:
                    continue
                paths[name] = os.path.join(tmp, f"{name}.zip")
                t0 = time.perf_counter()
                r = vectors.build(paths[name], short_twins=twins)
                secs[name] = time.perf_counter() - t0
                if twins:
                    st = r["twins"]
                    kept, tried = sum(s.kept for s in st.values()), sum(s.tried for s in st.values())
                    drops: dict[str, dict[str, int]] = {}
                    for fid, s in st.items():
                        for k, n in s.drops.items():
                            drops.setdefault(fid.split(".")[0], {}).setdefault(k, 0)
                            drops[fid.split(".")[0]][k] += n
                    print(f"twins: {kept} kept of {tried} sources tried "
                          f"({sum(s.candidates for s in st.values())} candidates checked); dropped per group: "
                          f"{drops or 'none'}\n")
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
