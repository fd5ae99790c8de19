"""Hypothesis profiles.

=========  ========  ============  =============================================
profile    examples  derandomized  for
=========  ========  ============  =============================================
dev        15        no            quick local runs while writing a formula
ci         40        no            the pytest default (CI, ``pytest -n auto``)
grade      100       yes           grading: every submission sees the same inputs
thorough   500       no            on demand, before a release of the checks
=========  ========  ============  =============================================

Select with ``--profile`` (CLI), ``--fc-profile`` (pytest) or the environment
variable ``FORMULACHECK_PROFILE``. A formula's ``examples_scale`` multiplies
the count (expensive formulas draw fewer examples).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Verbosity, settings

PROFILES: dict[str, dict] = {
    "dev": dict(max_examples=15, derandomize=False),
    "ci": dict(max_examples=40, derandomize=False),
    "grade": dict(max_examples=100, derandomize=True),
    "thorough": dict(max_examples=500, derandomize=False),
}
DEFAULT_PROFILE = "ci"
ENV = "FORMULACHECK_PROFILE"

_COMMON = dict(
    database=None,
    deadline=None,
    print_blob=False,
    report_multiple_bugs=False,
    verbosity=Verbosity.quiet,
    suppress_health_check=list(HealthCheck),
)

for _name, _kw in PROFILES.items():
    settings.register_profile(f"formulacheck-{_name}", **_COMMON, **_kw)


def resolve(name: str | None = None) -> str:
    """The profile to use: the argument, else $FORMULACHECK_PROFILE, else 'ci'."""
    src = "--profile" if name else ENV
    name = name or os.environ.get(ENV) or DEFAULT_PROFILE
    if name not in PROFILES:
        raise ValueError(f"{src}={name!r}: unknown profile; choose one of {', '.join(PROFILES)}")
    return name


def make_settings(name: str | None = None, *, scale: float = 1.0, max_examples: int | None = None) -> settings:
    p = resolve(name)
    base = settings.get_profile(f"formulacheck-{p}")
    n = max_examples if max_examples is not None else max(1, round(base.max_examples * scale))
    return settings(base, max_examples=n)


def examples(name: str | None, scale: float = 1.0) -> int:
    return make_settings(name, scale=scale).max_examples
