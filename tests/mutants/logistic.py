"""The logistic mistakes of the library (checks/mistakes/logistic.py), under their old names."""

from checks.mistakes.logistic import *  # noqa: F401,F403  (the wrong implementations, by name)
from tests.mutants import group_mutants

MUTANTS = group_mutants("logistic")
