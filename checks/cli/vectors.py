"""``formulacheck vectors build | info | check``: the grading vectors file (checks.core.vecfile).

    formulacheck vectors build --out FILE [--seed S | --public] [--profile P] [--rubric R] [--id ID] [--force]
    formulacheck vectors info [FILE]        (default: the package's public file)
    formulacheck vectors check [FILE] [--id ID]

``build`` needs torch, SymPy and Hypothesis (an instructor's machine). Without
``--seed`` or ``--public`` it draws a fresh secret seed and prints it (keep
it to rebuild the same hidden file). ``check`` recomputes every stored answer
from the oracles: exit 0 when all agree, 1 when one differs.
"""

from __future__ import annotations

import secrets
import sys

from checks.cli import console as cc
from checks.cli.console import UsageError


def add_parser(sub):
    p = sub.add_parser("vectors", help="build, inspect or check a grading vectors file (inputs + expected answers)")
    vs = p.add_subparsers(dest="vectors_command", required=True, metavar="ACTION")
    b = vs.add_parser("build", help="draw every formula's grading cases and compute the answers (needs torch, SymPy)")
    b.add_argument("--out", required=True, help="the file to write (.zip)")
    g = b.add_mutually_exclusive_group()
    g.add_argument("--seed", type=int, help="the secret seed of a hidden file (default: a fresh random one, printed)")
    g.add_argument("--public", action="store_true", help="the public file (the package's default seed)")
    b.add_argument("--profile", default="grade", help="example counts: dev, ci, grade (default), thorough")
    b.add_argument("--rubric", help="a rubric TOML: its [examples] and [points] go into the file")
    b.add_argument("--id", action="append", dest="ids", metavar="ID", help="only this formula id (repeatable)")
    cc.add_force(b, "the --out file")
    b.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    b.set_defaults(func=run_build)
    i = vs.add_parser("info", help="what a vectors file holds (default: the package's public file)")
    i.add_argument("file", nargs="?", help="the vectors file")
    i.set_defaults(func=run_info)
    c = vs.add_parser("check", help="recompute every stored answer from the oracles and compare (needs torch, SymPy)")
    c.add_argument("file", nargs="?", help="the vectors file (default: the package's public one)")
    c.add_argument("--id", action="append", dest="ids", metavar="ID", help="only this formula id (repeatable)")
    c.set_defaults(func=run_check)
    return None


def _path(p: str | None) -> str:
    if p is not None:
        return p
    from checks.data import PUBLIC_VECTORS

    return PUBLIC_VECTORS


def run_build(args) -> int:
    from checks import registry
    from checks.grader import rubric as rubric_mod
    from checks.run import draw, profiles
    from checks.run import vectors

    cc.refuse_existing(args.out, "--out", args.force)
    try:
        profile = profiles.resolve(args.profile)
        rub = rubric_mod.load(args.rubric) if args.rubric else None
        if args.ids:
            registry.select(ids=args.ids)
    except (ValueError, KeyError) as e:
        raise UsageError(str(e).strip("'\"")) from None
    seed = draw.DEFAULT_SEED if args.public else args.seed
    if seed is None:
        seed = secrets.randbits(63)
        print(f"hidden vectors: seed {seed} (keep it secret; --seed {seed} rebuilds this file)", file=sys.stderr)
    from checks.cli.progress import Progress

    n = len(registry.select(ids=args.ids)) if args.ids else len(registry.all_formulas())
    with Progress("building the vectors", n, quiet=getattr(args, "quiet", False)) as prog:
        def progress(fid, k, n):  # called before formula k: k are done
            prog.update(k, note=fid)

        r = vectors.build(args.out, seed=seed, profile=profile, rubric=rub, ids=args.ids, progress=progress)
        prog.update(n, note="written")
    print(f"wrote {cc.name(r['path'])}: {r['visibility']}, {r['formulas']} formulas, {r['cases']} cases "
          f"({sum(t.kept for t in r['twins'].values())} of them short twins), "
          f"{r['bytes'] / 1e6:.1f} MB, sha256:{r['sha256']} ({r['seconds']:.1f} s)")
    return cc.OK


def run_info(args) -> int:
    from checks.core import vecfile

    path = _path(args.file)
    try:
        m, sha = vecfile.read_manifest(path)
    except vecfile.VectorsError as e:
        raise UsageError(str(e)) from None
    fs = m.get("formulas", {})
    bw = m.get("built_with", {})
    print(f"{cc.name(path)}")
    print(f"  sha256:      {sha}")
    print(f"  format:      {m.get('format')} v{m.get('format_version')}, built by formulacheck {m.get('formulacheck')}")
    print(f"  visibility:  {m.get('visibility')} (seed {m.get('seed')}), profile {m.get('profile')}")
    print(f"  built with:  " + ", ".join(f"{k} {v}" for k, v in bw.items()))
    print(f"  formulas:    {len(fs)}, cases: {sum(int(x.get('cases', 0)) for x in fs.values())}")
    for fid in m.get("order", []):
        x = fs[fid]
        print(f"    {fid:38s} {x['cases']:5d} cases  {x['examples']:4d} examples  oracles: {', '.join(x['oracles'])}")
    return cc.OK


def run_check(args) -> int:
    from checks.core import vecfile
    from checks.run import vectors

    path = _path(args.file)
    try:
        rep = vectors.check(path, args.ids)
    except vecfile.VectorsError as e:
        raise UsageError(str(e)) from None
    for line in rep.missing + rep.wrong:
        print(f"  {line}")
    verdict = "ok" if rep.ok else "FAILED"
    print(f"{cc.name(path)}: {verdict}: {rep.answers} answers recomputed, {rep.identical} identical, "
          f"{rep.within_tol} within tolerance, {len(rep.wrong)} wrong, {len(rep.missing)} formulas missing")
    return cc.OK if rep.ok else cc.FAILED
