"""The dropout mistakes of the library (checks/mistakes/dropout.py), under their old names."""

from checks.mistakes.dropout import *  # noqa: F401,F403  (the wrong implementations, by name)
from tests.mutants import group_mutants

MUTANTS = group_mutants("dropout")
