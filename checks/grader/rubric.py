"""The rubric: points per formula id, the import policy, limits and example counts.

A rubric is a TOML file (every table and key is optional)::

    [points]                      # default: each formula's points in the registry
    "softmax.softmax" = 2
    "decode.beam_search" = 3

    [policy]
    allowed_imports = ["numpy", "scipy", "math"]   # plus the standard library, always
    forbidden_imports = ["torch", "jax", "jaxlib", "tensorflow", "keras", "autograd", "reference", "checks"]

    [limits]
    timeout = 10          # seconds of wall time per formula (all its cases)
    import_timeout = 10   # seconds to import the submission
    memory_mb = 2048      # address-space limit of the worker process
    max_output_kb = 64    # captured stdout + stderr kept per submission
    max_processes = 16    # processes (and threads) the submission may run
    tmpfs_mb = 64         # the sandbox's private /tmp

    [sandbox]
    isolation = "require=namespaces+seccomp"   # refuse to grade below this level

    [examples]
    default = 100         # base count (x each formula's examples_scale); default: the profile's
    "rnn.rnn_bptt" = 40   # an exact count for one formula id

    [submission]
    file = "hw1.py"       # in a student's folder with several .py/.ipynb files, grade this one

    [visibility]          # Gradescope's results.json: visible, hidden, after_due_date, after_published
    default = "visible"   # the whole result (top-level "visibility") and every test not named below
    stdout = "hidden"     # "stdout_visibility": the autograder's stdout (instructors see it always)
    decode = "after_due_date"            # every test of a group
    "softmax.softmax" = "after_published"  # one formula id (wins over its group)

Every error names the key and says how to fix it.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from dataclasses import dataclass, field, replace

from checks.grader.policy import DEFAULT_ALLOWED, DEFAULT_FORBIDDEN, Policy


class RubricError(ValueError):
    pass


#: Gradescope's visibility values (results.json ``visibility`` / ``stdout_visibility``), exactly
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


@dataclass(frozen=True)
class Visibility:
    """Who sees what of a results.json on Gradescope (the rubric's ``[visibility]`` table)."""

    default: str = "visible"                       # top-level "visibility" and tests not named
    stdout: str = "hidden"                         # "stdout_visibility" (Gradescope's own default)
    groups: dict = field(default_factory=dict)     # group -> value
    ids: dict = field(default_factory=dict)        # formula id -> value (wins over its group)

    def of(self, formula_id: str) -> str:
        """The visibility of one test: its id's, else its group's, else the default."""
        if formula_id in self.ids:
            return self.ids[formula_id]
        return self.groups.get(formula_id.split(".", 1)[0], self.default)


@dataclass(frozen=True)
class Limits:
    timeout: float = 10.0
    import_timeout: float = 10.0
    memory_mb: int = 2048
    max_output_kb: int = 64
    max_processes: int = 16
    fsize_mb: int = 16            # the largest file the submission may write (its output file included)
    max_result_mb: int = 32       # the largest result one call may return
    tmpfs_mb: int = 64            # the size of the sandbox's private /tmp (counted in memory_mb too)


@dataclass(frozen=True)
class Rubric:
    points: dict = field(default_factory=dict)          # id -> points (overrides)
    policy: Policy = field(default_factory=Policy)
    limits: Limits = field(default_factory=Limits)
    examples_default: int | None = None
    examples: dict = field(default_factory=dict)        # id -> exact count
    source: str = "(defaults)"
    isolation: str | None = None                        # the minimum isolation level ([sandbox] isolation)
    submission_file: str | None = None                  # [submission] file: the file of a student's folder
    visibility: Visibility = field(default_factory=Visibility)

    def points_for(self, formula) -> float:
        return float(self.points.get(formula.id, formula.points))

    def examples_for(self, formula, profile: str) -> int:
        from checks.run import profiles

        if formula.id in self.examples:
            return int(self.examples[formula.id])
        if self.examples_default is not None:
            return max(1, round(self.examples_default * formula.examples_scale))
        return profiles.examples(profile, formula.examples_scale)


_TABLES = ("points", "policy", "limits", "examples", "sandbox", "submission", "visibility")
_LIMIT_KEYS = {
    "timeout": (float, 0.05, 3600), "import_timeout": (float, 0.05, 3600), "memory_mb": (int, 256, 1 << 20),
    "max_output_kb": (int, 0, 1 << 20), "max_processes": (int, 1, 4096), "tmpfs_mb": (int, 1, 1 << 16),
}


def _unknown(kind: str, key: str, choices) -> RubricError:
    close = difflib.get_close_matches(key, list(choices), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(sorted(choices))}" if len(choices) < 20 else ""
    return RubricError(f"rubric: unknown {kind} {key!r}{hint}")


def _ids(ids: list[str] | None = None) -> list[str]:
    """The formula ids a rubric may name: those given (a vectors file's), else the registry's."""
    if ids is not None:
        return list(ids)
    from checks import registry

    return [f.id for f in registry.all_formulas()]


def _check_id(table: str, key: str, ids: list[str]) -> None:
    if key not in ids:
        close = difflib.get_close_matches(key, ids, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else "; `formulacheck list` shows the ids"
        raise RubricError(f"rubric: [{table}] {key!r} is not a formula id{hint}")


def _number(where: str, v, kind, lo, hi):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or (kind is int and not float(v).is_integer()):
        raise RubricError(f"rubric: {where} = {v!r} must be {'an integer' if kind is int else 'a number'}")
    if not math.isfinite(v) or not lo <= v <= hi:
        raise RubricError(f"rubric: {where} = {v!r} must be between {lo} and {hi}")
    return kind(v)


def parse(data: dict, source: str = "(rubric)", ids: list[str] | None = None) -> Rubric:
    ids = _ids(ids)
    for k in data:
        if k not in _TABLES:
            raise _unknown("table", k, _TABLES)
        if not isinstance(data[k], dict):
            raise RubricError(f"rubric: {k!r} must be a table: write [{k}] on its own line")
    points = {}
    for k, v in data.get("points", {}).items():
        _check_id("points", k, ids)
        points[k] = _number(f"[points] {k!r}", v, float, 0, 1e6)
    pol = data.get("policy", {})
    for k in pol:
        if k not in ("allowed_imports", "forbidden_imports"):
            raise _unknown("key in [policy]", k, ("allowed_imports", "forbidden_imports"))
    lists = {}
    for k, default in (("allowed_imports", DEFAULT_ALLOWED), ("forbidden_imports", DEFAULT_FORBIDDEN)):
        v = pol.get(k, list(default))
        if not isinstance(v, list) or not all(isinstance(x, str) and x.isidentifier() for x in v):
            raise RubricError(f"rubric: [policy] {k} must be a list of top-level package names, e.g. [\"numpy\", \"scipy\"]")
        lists[k] = tuple(v)
    both = sorted(set(lists["allowed_imports"]) & set(lists["forbidden_imports"]))
    if both:
        raise RubricError(f"rubric: [policy] {both} are both allowed and forbidden; remove them from one list")
    for must in ("reference", "checks"):
        if must in lists["allowed_imports"]:
            raise RubricError(f"rubric: [policy] allowed_imports may not contain {must!r}: the project's own packages hold the answers")
    limits = {}
    for k, v in data.get("limits", {}).items():
        if k not in _LIMIT_KEYS:
            raise _unknown("key in [limits]", k, _LIMIT_KEYS)
        kind, lo, hi = _LIMIT_KEYS[k]
        limits[k] = _number(f"[limits] {k}", v, kind, lo, hi)
    ex_default, ex = None, {}
    for k, v in data.get("examples", {}).items():
        if k == "default":
            ex_default = _number("[examples] default", v, int, 1, 100_000)
        else:
            _check_id("examples", k, ids)
            ex[k] = _number(f"[examples] {k!r}", v, int, 1, 100_000)
    sb = data.get("sandbox", {})
    for k in sb:
        if k != "isolation":
            raise _unknown("key in [sandbox]", k, ("isolation",))
    isolation = None
    if "isolation" in sb:
        from checks.grader.isolation import IsolationError, parse_requirement

        try:
            isolation = parse_requirement(sb["isolation"] if isinstance(sb["isolation"], str) else repr(sb["isolation"]))
        except IsolationError as e:
            raise RubricError(f"rubric: [sandbox] {e}") from None
    return Rubric(points=points, policy=Policy(lists["allowed_imports"], lists["forbidden_imports"]),
                  limits=replace(Limits(), **limits), examples_default=ex_default, examples=ex, source=source,
                  isolation=isolation, submission_file=_submission(data.get("submission", {})),
                  visibility=_visibility(data.get("visibility", {}), ids))


def _submission(sub: dict) -> str | None:
    for k in sub:
        if k != "file":
            raise _unknown("key in [submission]", k, ("file",))
    if "file" not in sub:
        return None
    v = sub["file"]
    if not isinstance(v, str) or not v or "/" in v or "\\" in v or v in (".", "..") or "\0" in v:
        raise RubricError(f"rubric: [submission] file = {v!r} must be a file name without a folder, "
                          f"e.g. file = \"hw1.py\"")
    if not v.lower().endswith((".py", ".ipynb")):
        raise RubricError(f"rubric: [submission] file = {v!r} must name a .py or .ipynb file")
    return v


def _visibility(vis: dict, ids: list[str]) -> Visibility:
    groups = {i.split(".", 1)[0] for i in ids}
    allowed = ", ".join(VISIBILITIES)
    default, stdout, by_group, by_id = "visible", "hidden", {}, {}
    for k, v in vis.items():
        if k not in ("default", "stdout") and k not in groups and k not in ids:
            close = difflib.get_close_matches(k, ["default", "stdout", *sorted(groups), *ids], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else "; use default, stdout, a group or a formula id"
            raise RubricError(f"rubric: [visibility] {k!r} is not default, stdout, a group or a formula id{hint}")
        if not isinstance(v, str) or v not in VISIBILITIES:
            raise RubricError(f"rubric: [visibility] {k} = {v!r} is not a Gradescope visibility; "
                              f"choose one of {allowed}")
        if k == "default":
            default = v
        elif k == "stdout":
            stdout = v
        elif k in ids:
            by_id[k] = v
        else:
            by_group[k] = v
    return Visibility(default, stdout, by_group, by_id)


def load(path: str | None, ids: list[str] | None = None) -> Rubric:
    """Read a rubric file (None: the defaults); ``ids``: the formula ids it may name (default: the registry's)."""
    if path is None:
        return Rubric()
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise RubricError(f"--rubric {path!r}: no such file") from None
    except tomllib.TOMLDecodeError as e:
        raise RubricError(f"--rubric {path!r}: not valid TOML: {e}") from None
    except OSError as e:
        raise RubricError(f"--rubric {path!r}: cannot read it: {e}") from None
    return parse(data, source=path, ids=ids)
