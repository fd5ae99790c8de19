"""The optim mistakes of the library (checks/mistakes/optim.py), under their old names."""

from checks.mistakes.optim import *  # noqa: F401,F403  (the wrong implementations, by name)
from tests.mutants import group_mutants

MUTANTS = group_mutants("optim")
