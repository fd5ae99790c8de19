"""The diagnosis (checks.diagnose) measured: held-out coverage and precision, and its time.

Held-out mistakes (``tests/heldout``: written apart from the library, each with its truth) and,
as a control, every library mistake (``checks/mistakes``), each graded in process from the public
vectors with the grader's judge, then diagnosed with exactly what the grader passes
(:func:`checks.diagnose.diagnose`). Prints the coverage/precision table per truth kind and per
group, and the time of one diagnosis (mean, median, 95th percentile, max).

    python benchmarks/bench_diagnosis.py             # held-out + library control
    python benchmarks/bench_diagnosis.py --heldout   # held-out only
"""

from __future__ import annotations

import argparse
import collections
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from checks import mistakes  # noqa: E402
from checks.core.vecfile import read  # noqa: E402
from checks.data import PUBLIC_VECTORS  # noqa: E402
from checks.diagnose import diagnose  # noqa: E402
from checks.diagnose.inprocess import judge_all  # noqa: E402
from tests.diagnose.evaluate import evaluate, score  # noqa: E402


def _times(ts: list[float]) -> str:
    ts = sorted(ts)
    p95 = ts[min(len(ts) - 1, int(0.95 * len(ts)))]
    return (f"mean {1000 * statistics.mean(ts):.1f} ms, median {1000 * statistics.median(ts):.1f} ms, "
            f"p95 {1000 * p95:.1f} ms, max {1000 * ts[-1]:.1f} ms (n = {len(ts)})")


def heldout_table() -> list[float]:
    t0 = time.perf_counter()
    outs = evaluate()
    s = score(outs)
    print("## Held-out mistakes (tests/heldout)\n")
    print(f"{len(outs)} entries, {len({o.entry.formula.split('.')[0] for o in outs})} groups, "
          f"graded and diagnosed in {time.perf_counter() - t0:.1f} s\n")
    print("| truth | entries | right | right in a short list | no diagnosis | wrong |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    kinds = collections.defaultdict(collections.Counter)
    for o in outs:
        t = "unknown (right = none)" if o.entry.truth == "unknown" else \
            "generic relation" if o.entry.truth.startswith("generic:") else "library mistake"
        kinds[t][o.kind] += 1
        kinds[t]["n"] += 1
    for t, c in kinds.items():
        print(f"| {t} | {c['n']} | {c['right']} | {c['right-in-list']} | {c['none']} | {c['wrong']} |")
    print(f"\nright (named alone or in a list) {s.right + s.in_list}/{s.scored} = {s.right_rate:.0%} "
          f"(alone {s.exact_rate:.0%}); unknown left undiagnosed {s.abstained}/{s.unknown}; "
          f"wrong {s.wrong}/{s.caught} = {s.wrong_rate:.0%}; not caught by the public vectors {s.passes}\n")
    misses = [o for o in outs if o.kind in ("none", "wrong") and o.entry.truth != "unknown"] + \
        [o for o in outs if o.kind == "wrong" and o.entry.truth == "unknown"]
    if misses:
        print("| missed or wrong | truth | got |\n| --- | --- | --- |")
        for o in misses:
            print(f"| {o.entry.formula}: {o.entry.name} | {o.entry.truth} | {', '.join(o.ids) or '-'} |")
    print(f"\ntime per diagnosis (held-out): {_times([o.seconds for o in outs])}\n")
    return [o.seconds for o in outs]


def library_control() -> None:
    t0 = time.perf_counter()
    v = read(PUBLIC_VECTORS).formulas
    c = collections.Counter()
    ts = []
    for fid in sorted({m.formula for m in mistakes.all_entries()}):
        fv = v[fid]
        for m in mistakes.for_formula(fid):
            actual, failing, passing = judge_all(fv, m.fn)
            t = time.perf_counter()
            d = diagnose(fv, actual, failing, passing)
            ts.append(time.perf_counter() - t)
            c["not caught by values (in place / identity)" if not failing else "itself alone" if d and d.ids == (m.id,)
              else "itself in a list" if d and m.id in d.ids else "other" if d else "none"] += 1
    print("## Control: every library mistake diagnosed on its own results\n")
    print("| outcome | mistakes |\n| --- | ---: |")
    for k, n in c.most_common():
        print(f"| {k} | {n} |")
    print(f"\ntime per diagnosis (library): {_times(ts)}; whole control {time.perf_counter() - t0:.1f} s\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--heldout", action="store_true", help="the held-out table only")
    a = ap.parse_args(argv)
    heldout_table()
    if not a.heldout:
        library_control()
    return 0


if __name__ == "__main__":
    sys.exit(main())
