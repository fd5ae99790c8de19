"""``formulacheck verify``: check every reference formula (or ``--impl``) against all its oracles.

Exit 0 when every check passed, 1 when one failed, 2 on bad input, 3 when a
check could not run (a HarnessError: the reference, an oracle, a strategy or
a comparison failed; the table shows it as "not graded", then the bug report).
"""

from __future__ import annotations

import json
import time
import traceback

from checks.cli import console as cc
from checks.cli.console import UsageError


def add_parser(sub):
    p = sub.add_parser("verify", help="check every reference formula against all its oracles (the main job)")
    p.add_argument("--group", help="only these groups (comma-separated), e.g. softmax,conv")
    p.add_argument("--id", action="append", dest="ids", metavar="ID", help="only this formula id (repeatable)")
    p.add_argument("--oracle", help="only oracles of this family: torch, sympy, property, brute-force, algorithm")
    p.add_argument("--profile", help="Hypothesis profile: dev, ci (default), grade, thorough")
    p.add_argument("--seed", type=int, help="Hypothesis seed (reproduce a run)")
    p.add_argument("--impl", default="reference", help="implementation to verify (default: reference)")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    cc.add_force(p, "the --json file")
    p.add_argument("--timings", action="store_true", help="also print what each SymPy derivation cost")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    return p


def _inputs(args):
    from checks import registry
    from checks.run import profiles
    from checks.run.impl import ImplLoadError, load_impl

    try:
        prof = profiles.resolve(args.profile)
        fs = registry.select(group=args.group, ids=args.ids)
    except (ValueError, KeyError) as e:
        raise UsageError(e.args[0] if isinstance(e, KeyError) and e.args else str(e)) from None
    families = sorted({o.family for f in fs for o in f.oracles})
    if args.oracle and args.oracle not in families:
        raise UsageError(f"--oracle {args.oracle!r}: no such oracle family; choose one of {', '.join(families)}")
    if args.json:
        cc.refuse_existing(args.json, "--json", args.force)
    try:
        impl = load_impl(args.impl)
    except ImplLoadError as e:
        raise UsageError(str(e)) from None
    return prof, fs, impl


def run(args) -> int:
    from rich.table import Table

    from checks.cli.progress import Progress
    from checks.oracles import sym
    from checks.run import check as engine
    from checks.run.impl import function_of

    prof, fs, impl = _inputs(args)
    console = cc.make()
    table = Table(title=f"formulacheck verify: {args.impl} ({prof} profile)")
    for c, j in (("formula", "left"), ("oracle", "left"), ("verdict", "left"), ("examples", "right"), ("worst error", "right"), ("time", "right")):
        table.add_column(c, justify=j)
    results, failures, bugs = [], [], []
    t0 = time.perf_counter()
    _warm_up()  # torch's import and first autograd call: paid once, not by whichever check runs first
    console.print(f"torch loaded and warmed up in {time.perf_counter() - t0:.1f}s")
    n_checks = sum(1 for f in fs for o in f.oracles if not args.oracle or o.family == args.oracle)
    with Progress("verifying", n_checks, quiet=getattr(args, "quiet", False)) as prog:
        for f in fs:
            fn = function_of(impl, f.fn_name)
            for o in f.oracles:
                if args.oracle and o.family != args.oracle:
                    continue
                prog.note(f"{f.id} vs {o.name}")
                try:
                    r = engine.check(f, o, engine.local_caller(fn, f.fn_name, fresh_outputs=f.fresh_outputs), profile=prof, seed=args.seed)
                except engine.HarnessError as e:  # ours: the check could not run (exit 3 at the end)
                    r = engine.CheckResult(f.id, o.name, engine.Verdict.NOT_GRADED, message=f"HARNESS ERROR: {e}")
                    bugs.append((f"{f.id} vs {o.name}", "".join(traceback.format_exception(e))))
                results.append(r)
                style = "green" if r.passed else "red"
                table.add_row(f.id, o.name, f"[{style}]{r.verdict.value}[/{style}]", str(r.examples),
                              ("(property)" if o.kind == "property" else "(own compare)" if f.compare is not None else f"{r.worst:.1e}") if r.passed else "",
                              f"{r.seconds:.2f}s")
                if not r.passed:
                    failures.append(r)
                prog.advance(note=f"{f.id} vs {o.name}: {r.verdict.value}")
    console.print(table)
    for r in failures:
        console.rule(f"[red]{r.formula} vs {r.oracle}")
        console.print(r.message, markup=False, highlight=False)
    total = time.perf_counter() - t0
    n_ok = sum(r.passed for r in results)
    console.print(f"{n_ok} passed, {len(results) - n_ok} failed: {len(fs)} formulas, {len(results)} checks in {total:.1f}s")
    if args.timings and sym.DERIVATION_SECONDS:
        st = Table(title="SymPy derivations (first call; cached afterwards)")
        st.add_column("derivation")
        st.add_column("seconds", justify="right")
        for k, v in sorted(sym.DERIVATION_SECONDS.items()):
            st.add_row(k, f"{v:.3f}")
        console.print(st)
    if args.json:
        cc.write_text(args.json, json.dumps([r.__dict__ | {"verdict": r.verdict.value} for r in results], indent=2), "--json")
    if bugs:
        raise cc.HarnessBug(f"{len(bugs)} check(s) could not run, first {bugs[0][0]}",
                            [f"--- {what}\n{tb}" for what, tb in bugs])
    return cc.FAILED if failures else cc.OK


def _warm_up() -> None:
    from checks.oracles.torchlib import T, torch

    x = T([1.0, 2.0], grad=True)
    torch().nn.functional.softmax(x, dim=0)[0].backward()
