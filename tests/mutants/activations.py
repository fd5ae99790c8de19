"""The activations mistakes of the library (checks/mistakes/activations.py), under their old names."""

from checks.mistakes.activations import *  # noqa: F401,F403  (the wrong implementations, by name)
from tests.mutants import group_mutants

MUTANTS = group_mutants("activations")
