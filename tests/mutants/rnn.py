"""The rnn mistakes of the library (checks/mistakes/rnn.py), under their old names."""

from checks.mistakes.rnn import *  # noqa: F401,F403  (the wrong implementations, by name)
from tests.mutants import group_mutants

MUTANTS = group_mutants("rnn")
