"""The conv mistakes of the library (checks/mistakes/conv.py), under their old names."""

from checks.mistakes.conv import *  # noqa: F401,F403  (the wrong implementations, by name)
from tests.mutants import group_mutants

MUTANTS = group_mutants("conv")
