"""The pool mistakes of the library (checks/mistakes/pool.py), under their old names."""

from checks.mistakes.pool import *  # noqa: F401,F403  (the wrong implementations, by name)
from tests.mutants import group_mutants

MUTANTS = group_mutants("pool")
