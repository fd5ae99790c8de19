"""The softmax mistakes of the library (checks/mistakes/softmax.py), under their old names."""

from checks.mistakes.softmax import *  # noqa: F401,F403  (the wrong implementations, by name)
from tests.mutants import group_mutants

MUTANTS = group_mutants("softmax")
