"""The attention mistakes of the library (checks/mistakes/attention.py), under their old names."""

from checks.mistakes.attention import *  # noqa: F401,F403  (the wrong implementations, by name)
from tests.mutants import group_mutants

MUTANTS = group_mutants("attention")
