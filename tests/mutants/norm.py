"""The norm mistakes of the library (checks/mistakes/norm.py), under their old names."""

from checks.mistakes.norm import *  # noqa: F401,F403  (the wrong implementations, by name)
from tests.mutants import group_mutants

MUTANTS = group_mutants("norm")
