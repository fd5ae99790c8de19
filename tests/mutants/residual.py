"""The residual mistakes of the library (checks/mistakes/residual.py), under their old names."""

from checks.mistakes.residual import *  # noqa: F401,F403  (the wrong implementations, by name)
from tests.mutants import group_mutants

MUTANTS = group_mutants("residual")
