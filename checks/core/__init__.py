"""The numpy-only vocabulary of every check: verdicts, cases, comparison, judging, feedback, the wire format.

Nothing here imports torch, SymPy or Hypothesis: the grader judges with it alone,
and the sandboxed worker binds a part of it (case, wire, gradfns).
"""
