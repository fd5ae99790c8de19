"""The ``formulacheck`` command line.

    formulacheck verify [--group G] [--id ID] [--profile P] [--seed N] [--json F]
    formulacheck list [--json] [--group G]
    formulacheck grade SUBMISSION.py ...            (checks.grader.cli)
    formulacheck audit [--format text|md|html|json] (checks.audit.cli)
    formulacheck template [--out FILE]
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time


def _add_verify(sub) -> None:
    p = sub.add_parser("verify", help="check every reference formula against all its oracles (the main job)")
    p.add_argument("--group", help="only these groups (comma-separated), e.g. softmax,conv")
    p.add_argument("--id", action="append", dest="ids", metavar="ID", help="only this formula id (repeatable)")
    p.add_argument("--oracle", help="only oracles of this family: torch, sympy, property, brute-force, algorithm")
    p.add_argument("--profile", help="Hypothesis profile: dev, ci (default), grade, thorough")
    p.add_argument("--seed", type=int, help="Hypothesis seed (reproduce a run)")
    p.add_argument("--impl", default="reference", help="implementation to verify (default: reference)")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    p.add_argument("--timings", action="store_true", help="also print what each SymPy derivation cost")
    p.set_defaults(func=cmd_verify)


def _add_list(sub) -> None:
    p = sub.add_parser("list", help="list every formula id with its notes source, oracles and points")
    p.add_argument("--json", action="store_true", help="print JSON (a list of objects)")
    p.add_argument("--group", help="only these groups (comma-separated)")
    p.set_defaults(func=cmd_list)


def _add_template(sub) -> None:
    p = sub.add_parser("template", help="write the student template (every function raising NotImplementedError)")
    p.add_argument("--out", help="write it here (default: print it)")
    p.set_defaults(func=cmd_template)


def _console(stderr: bool = False):
    """A rich console; wide enough for the tables when output is not a terminal (CI logs, files)."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr) if stream.isatty() else Console(stderr=stderr, width=160)


def cmd_list(args) -> int:
    from checks import registry

    fs = registry.select(group=args.group)
    if args.json:
        out = [
            {
                "id": f.id,
                "group": f.group,
                "function": f.fn_name,
                "source": str(f.source),
                "source_file": f.source.file,
                "section": f.source.section,
                "equation": f.source.equation,
                "oracles": f.families(),
                "checks": [o.name for o in f.oracles],
                "points": f.points,
                "summary": f.summary,
            }
            for f in fs
        ]
        json.dump(out, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    from rich.table import Table
    from rich.text import Text

    t = Table(title=f"{len(fs)} formulas")
    for c in ("id", "source", "oracles", "points"):
        t.add_column(c, overflow="fold")  # nothing cut off
    for f in fs:
        # Text, not markup: sources hold brackets ("1[x > 0]") that rich would take for tags
        t.add_row(Text(f.id), Text(str(f.source)), Text(", ".join(o.name for o in f.oracles)), f"{f.points:g}")
    _console().print(t)
    return 0


def cmd_verify(args) -> int:
    from rich.table import Table

    from checks import registry
    from checks.oracles import sym
    from checks.run import check as engine, profiles
    from checks.run.impl import ImplLoadError, function_of, load_impl

    console = _console()
    try:
        prof = profiles.resolve(args.profile)
        fs = registry.select(group=args.group, ids=args.ids)
        impl = load_impl(args.impl)
    except (ValueError, KeyError, ImplLoadError) as e:
        console.print(f"[red]error:[/red] {e.args[0] if isinstance(e, KeyError) and e.args else e}", markup=True, highlight=False)
        return 2
    families = sorted({o.family for f in fs for o in f.oracles})
    if args.oracle and args.oracle not in families:
        console.print(f"[red]error:[/red] --oracle {args.oracle!r}: no such oracle family; choose one of {', '.join(families)}")
        return 2
    table = Table(title=f"formulacheck verify: {args.impl} ({prof} profile)")
    for c, j in (("formula", "left"), ("oracle", "left"), ("verdict", "left"), ("examples", "right"), ("worst error", "right"), ("time", "right")):
        table.add_column(c, justify=j)
    results, failures = [], []
    t0 = time.perf_counter()
    _warm_up()  # torch's import and first autograd call: paid once, not by whichever check runs first
    console.print(f"torch loaded and warmed up in {time.perf_counter() - t0:.1f}s")
    with console.status("verifying...") as status:
        for f in fs:
            fn = function_of(impl, f.fn_name)
            for o in f.oracles:
                if args.oracle and o.family != args.oracle:
                    continue
                status.update(f"{f.id} vs {o.name}")
                try:
                    r = engine.check(f, o, engine.local_caller(fn, f.fn_name, fresh_outputs=f.fresh_outputs), profile=prof, seed=args.seed)
                except engine.HarnessError as e:
                    r = engine.CheckResult(f.id, o.name, engine.Verdict.ERROR, message=f"HARNESS ERROR: {e}")
                results.append(r)
                style = "green" if r.passed else "red"
                table.add_row(f.id, o.name, f"[{style}]{r.verdict.value}[/{style}]", str(r.examples),
                              ("(property)" if o.kind == "property" else "(own compare)" if f.compare is not None else f"{r.worst:.1e}") if r.passed else "",
                              f"{r.seconds:.2f}s")
                if not r.passed:
                    failures.append(r)
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
        with open(args.json, "w") as fh:
            json.dump([r.__dict__ | {"verdict": r.verdict.value} for r in results], fh, indent=2)
    return 0 if not failures else 1


def _warm_up() -> None:
    from checks.oracles.torchlib import T, torch

    x = T([1.0, 2.0], grad=True)
    torch().nn.functional.softmax(x, dim=0)[0].backward()


def cmd_template(args) -> int:
    import importlib.resources as res

    text = res.files("student").joinpath("template.py").read_text(encoding="utf-8")
    if args.out:
        with open(args.out, "x", encoding="utf-8") as fh:
            fh.write(text)
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    return 0


#: sub-commands contributed by sub-packages: module name -> function adding them
_PLUGINS = ("checks.grader.cli", "checks.audit.cli")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="formulacheck", description="Verify, grade and audit the formulas of deep learning.")
    sub = ap.add_subparsers(dest="command", required=True)
    _add_verify(sub)
    _add_list(sub)
    _add_template(sub)
    for mod in _PLUGINS:
        try:
            m = importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if e.name and mod.startswith(e.name):
                continue  # that part is not built yet
            raise
        m.add_parser(sub)
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, KeyError, OSError) as e:  # bad input: a clear message, never a traceback
        msg = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
        if isinstance(e, FileExistsError):
            msg = f"{e.filename}: the file exists; choose another name (nothing is overwritten)"
        print(f"error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
