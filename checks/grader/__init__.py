"""The grader: ``formulacheck grade`` (see docs/grading.md).

Modules: ``grade`` (batches, judging, feedback), ``sandbox`` (job slots, the
zygote client), ``isolation`` (levels, bubblewrap's command line),
``cgroups`` (limits on a worker tree), ``wire`` (the safe worker -> grader
format), ``policy`` (the import policy), ``source`` (reading a submission),
``rubric`` (TOML rubrics), ``report`` (table, results.json, CSV), ``refsub``
(the reference as a one-file submission), ``cli``. The sandboxed side is
``checks.worker``. Importing this package is cheap: the sandbox binds this
file and ``wire`` and must never pull torch, SymPy or Hypothesis.
"""
