"""The embedding mistakes of the library (checks/mistakes/embedding.py), under their old names."""

from checks.mistakes.embedding import *  # noqa: F401,F403  (the wrong implementations, by name)
from tests.mutants import group_mutants

MUTANTS = group_mutants("embedding")
