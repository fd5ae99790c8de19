"""The lstm mistakes of the library (checks/mistakes/lstm.py), under their old names."""

from checks.mistakes.lstm import *  # noqa: F401,F403  (the wrong implementations, by name)
from tests.mutants import group_mutants

MUTANTS = group_mutants("lstm")
