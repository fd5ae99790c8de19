"""Example-count profiles.

=========  ========  =============================================================
profile    examples  for
=========  ========  =============================================================
dev        15        quick local runs while writing a formula
ci         40        the pytest default (CI, ``pytest -n auto``)
grade      100       building grading vectors (``formulacheck vectors build``)
thorough   500       on demand, before a release of the checks
=========  ========  =============================================================

Select with ``--profile`` (CLI), ``--fc-profile`` (pytest) or the environment
variable ``FORMULACHECK_PROFILE``. A formula's ``examples_scale`` multiplies
the count (expensive formulas draw fewer examples). Every profile draws with
an explicit seed (:func:`checks.run.draw.seed_for`), so runs repeat exactly.

This module imports Hypothesis only in :func:`settings_for` (the grader reads
example counts without it).
"""

from __future__ import annotations

import os

PROFILES: dict[str, int] = {"dev": 15, "ci": 40, "grade": 100, "thorough": 500}
DEFAULT_PROFILE = "ci"
ENV = "FORMULACHECK_PROFILE"


def resolve(name: str | None = None) -> str:
    """The profile to use: the argument, else $FORMULACHECK_PROFILE, else 'ci'."""
    src = "--profile" if name else ENV
    name = name or os.environ.get(ENV) or DEFAULT_PROFILE
    if name not in PROFILES:
        raise ValueError(f"{src}={name!r}: unknown profile; choose one of {', '.join(PROFILES)}")
    return name


def examples(name: str | None, scale: float = 1.0) -> int:
    """The example count of a profile for a formula of ``examples_scale`` ``scale``."""
    return max(1, round(PROFILES[resolve(name)] * scale))


def settings_for(name: str | None = None):
    """Hypothesis settings shared by every draw (quiet, no database, no deadline, no health checks)."""
    from hypothesis import HealthCheck, Verbosity, settings

    return settings(
        max_examples=PROFILES[resolve(name)],
        database=None,
        deadline=None,
        print_blob=False,
        report_multiple_bugs=False,
        verbosity=Verbosity.quiet,
        suppress_health_check=list(HealthCheck),
    )
