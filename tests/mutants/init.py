"""The init mistakes of the library (checks/mistakes/init.py), under their old names."""

from checks.mistakes.init import *  # noqa: F401,F403  (the wrong implementations, by name)
from tests.mutants import group_mutants

MUTANTS = group_mutants("init")
