"""Benchmark of the verification suite.

Reports, per profile: examples drawn per formula and check, the time of each
check (min/median/max) and of the whole `verify`; the one-time cost of every
SymPy derivation and the cost of a cached call; torch's import time.

    python benchmarks/bench_verify.py [--profiles dev,ci] [--group G]
"""

from __future__ import annotations

import argparse
import statistics
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--profiles", default="dev,ci")
    ap.add_argument("--group")
    args = ap.parse_args()

    t0 = time.perf_counter()
    from checks.oracles import torchlib

    torchlib.torch()
    print(f"import torch (one thread): {time.perf_counter() - t0:.2f}s")

    import reference
    from checks import registry
    from checks.oracles import sym
    from checks.run import check as engine

    fs = registry.select(group=args.group)
    for prof in args.profiles.split(","):
        times, examples = [], []
        t_all = time.perf_counter()
        for f in fs:
            for o in f.oracles:
                r = engine.check(f, o, engine.local_caller(getattr(reference, f.fn_name), f.fn_name, fresh_outputs=f.fresh_outputs), profile=prof)
                assert r.passed, r.message
                times.append((r.seconds, f"{f.id} vs {o.name}"))
                examples.append(r.examples)
        total = time.perf_counter() - t_all
        secs = sorted(t for t, _ in times)
        print(f"\nprofile {prof}: {len(fs)} formulas, {len(times)} checks, {sum(examples)} examples, {total:.1f}s"
              f" (includes first SymPy derivations)")
        print(f"  examples per check: min {min(examples)}, median {statistics.median(examples):.0f}, max {max(examples)}")
        print(f"  seconds per check: min {secs[0]:.3f}, median {statistics.median(secs):.3f}, max {secs[-1]:.3f}")
        for t, name in sorted(times, reverse=True)[:5]:
            print(f"    slowest: {t:.2f}s {name}")

    d = sym.DERIVATION_SECONDS
    if d:
        print(f"\nSymPy: {len(d)} derivations, {sum(d.values()):.2f}s in all, the slowest {max(d.values()):.3f}s ({max(d, key=d.get)})")
        # a cached call costs a dict lookup
        from checks.formulas import softmax as sm

        t = time.perf_counter()
        for _ in range(10000):
            sm._sym_softmax(4)
        print(f"cached derivation lookup: {(time.perf_counter() - t) / 10000 * 1e6:.2f} µs")


if __name__ == "__main__":
    main()
