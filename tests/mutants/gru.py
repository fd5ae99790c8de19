"""The gru mistakes of the library (checks/mistakes/gru.py), under their old names."""

from checks.mistakes.gru import *  # noqa: F401,F403  (the wrong implementations, by name)
from tests.mutants import group_mutants

MUTANTS = group_mutants("gru")
