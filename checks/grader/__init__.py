"""The grader: ``formulacheck grade`` (see docs/grading.md).

Modules: ``grade`` (batches, judging, feedback), ``sandbox`` and ``worker``
(the isolated worker processes), ``wire`` (the safe worker -> grader format),
``policy`` (the import policy), ``rubric`` (TOML rubrics), ``report``
(table, results.json, CSV), ``refsub`` (the reference as a one-file
submission), ``cli``. Importing this package is cheap: the worker imports
``checks.grader.worker`` and must never pull torch, SymPy or Hypothesis.
"""
