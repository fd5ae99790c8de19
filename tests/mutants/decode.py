"""The decode mistakes of the library (checks/mistakes/decode.py), under their old names."""

from checks.mistakes.decode import *  # noqa: F401,F403  (the wrong implementations, by name)
from tests.mutants import group_mutants

MUTANTS = group_mutants("decode")
