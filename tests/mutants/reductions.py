"""The reductions mistakes of the library (checks/mistakes/reductions.py), under their old names."""

from checks.mistakes.reductions import *  # noqa: F401,F403  (the wrong implementations, by name)
from tests.mutants import group_mutants

MUTANTS = group_mutants("reductions")
