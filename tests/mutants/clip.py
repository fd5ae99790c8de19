"""The clip mistakes of the library (checks/mistakes/clip.py), under their old names."""

from checks.mistakes.clip import *  # noqa: F401,F403  (the wrong implementations, by name)
from tests.mutants import group_mutants

MUTANTS = group_mutants("clip")
