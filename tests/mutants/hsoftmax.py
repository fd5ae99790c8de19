"""The hsoftmax mistakes of the library (checks/mistakes/hsoftmax.py), under their old names."""

from checks.mistakes.hsoftmax import *  # noqa: F401,F403  (the wrong implementations, by name)
from tests.mutants import group_mutants

MUTANTS = group_mutants("hsoftmax")
