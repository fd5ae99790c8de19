"""Judging one submission's results: the bulk test of checks.core.assess against the per-case path.

Builds in process the worker's replies of two submissions on every formula of the public vectors
(:meth:`checks.grader.grade.Grader.prepare_batch`): the reference as one file
(:func:`checks.grader.refsub.build`) and a mutant (the first library mistake of every formula
that has one, the reference elsewhere: a submission failing many formulas). Each case is run from
its blob, its result packed and parsed with :mod:`checks.core.wire` as the grader receives it.
Then, in the same process, several rounds alternating the order, it times judging every formula
with ``assess.FAST`` off (one verdict_of per case, as before) and on (the bulk test of the default
comparison and of the prepared judges of checks/judges): :func:`checks.core.assess.assess`
alone (the replies read beforehand), and :func:`checks.grader.grade.judge_replies` (reading the
replies, then assess); first it checks that both give the same assessment of every formula.
The diagnosis of a failed formula (checks.diagnose) is not timed.

    python benchmarks/bench_judge.py [--rounds 7]

CPU time of this process (time.process_time) is reported: the machine may be shared.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from checks import mistakes  # noqa: E402
from checks.core import assess, wire  # noqa: E402
from checks.grader import refsub  # noqa: E402
from checks.grader.grade import Grader, _worker_failure, judge_replies  # noqa: E402
from checks.worker.common import loads  # noqa: E402


def _reference():
    d = tempfile.mkdtemp(prefix="bench_judge_")
    path = os.path.join(d, "ref_submission.py")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(refsub.build())
    spec = importlib.util.spec_from_file_location("bench_judge_ref", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _reply(fn, blob: bytes) -> dict:
    args, kwargs = loads(blob)
    try:
        out = fn(*args, **kwargs)
    except Exception as e:  # a mutant may raise: the worker's "exc" reply
        return {"k": "exc", "i": 0, "msg": f"{type(e).__name__}: {e}"}
    obj, parts = wire.parse(wire.message({"k": "ok", "i": 0}, wire.pack(out, 1 << 20)))
    obj["v"] = parts[0]
    return obj


def replies_of(prepared, functions: dict) -> list:
    return [(p, [_reply(functions[p.formula.id], b) for b in p.blobs]) for p in prepared]


def _key(a) -> tuple:
    return (a.verdict, a.oracle.name if a.oracle is not None else None, a.index,
            a.failure.message if a.failure is not None else None, a.failing, a.passing, a.errors,
            a.wrong_outputs, a.right_outputs, a.large, list(a.results))


def judge_all(subs) -> None:
    for p, reps in subs:
        judge_replies(p.formula, reps)


def assess_all(results) -> None:
    for fv, res in results:
        assess.assess(fv, res)


def read_all(subs) -> list:
    """The replies read as judge_replies reads them: per formula (fv, {case: (failure, result)})."""
    out = []
    for p, reps in subs:
        fv = p.formula
        out.append((fv, {i: _worker_failure(fv.fn_name, reps[i]) for i in range(len(fv.cases))}))
    return out


def timed(fn, arg, fast: bool) -> float:
    assess.FAST = fast
    try:
        t = time.process_time()
        fn(arg)
        return time.process_time() - t
    finally:
        assess.FAST = True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()

    ref = _reference()
    prepared = Grader().prepare_batch()
    ref_fns = {p.formula.id: getattr(ref, p.formula.fn_name) for p in prepared}
    mut_fns = dict(ref_fns)
    for fid in ref_fns:
        ms = mistakes.for_formula(fid)
        if ms:
            mut_fns[fid] = ms[0].fn
    subs = {"reference": replies_of(prepared, ref_fns), "mutant": replies_of(prepared, mut_fns)}
    n = sum(len(o.cases) for p in prepared for o in p.formula.oracles)
    print(f"{len(prepared)} formulas, {n} judgements (oracle x case) per submission; "
          f"mutant: {sum(f is not ref_fns[k] for k, f in mut_fns.items())} formulas replaced by a mistake")

    for name, s in subs.items():   # the same assessments, both ways (and the first call builds the plans)
        failed = 0
        for p, reps in s:
            assess.FAST = False
            old = judge_replies(p.formula, reps)
            assess.FAST = True
            new = judge_replies(p.formula, reps)
            if _key(old) != _key(new):
                raise SystemExit(f"{name}: {p.formula.id}: the bulk test changed the assessment")
            failed += old.failure is not None
        print(f"{name}: {failed} formulas failed; identical assessments with and without the bulk test")

    print(f"\nCPU seconds to judge every formula of one submission ({args.rounds} rounds, order alternating)\n")
    print("| submission | what is timed | per case (before) min / median | bulk test min / median | ratio (min) |")
    print("| --- | --- | ---: | ---: | ---: |")
    for name, s in subs.items():
        for what, fn, arg in (("assess", assess_all, read_all(s)), ("judge_replies", judge_all, s)):
            t = {False: [], True: []}
            for r in range(args.rounds):
                for fast in ((False, True) if r % 2 == 0 else (True, False)):
                    t[fast].append(timed(fn, arg, fast))
            old, new = t[False], t[True]
            print(f"| {name} | {what} | {min(old):.3f} / {statistics.median(old):.3f} | {min(new):.3f} / "
                  f"{statistics.median(new):.3f} | {min(new) / min(old):.2f} |")


if __name__ == "__main__":
    main()
