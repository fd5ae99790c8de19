"""Judge-time code: the formulas' custom comparisons (``Formula.compare``) and property oracles.

numpy/scipy only: the grader judges with torch, SymPy and Hypothesis blocked, and
nothing here may import them (not even lazily). A property oracle is
``fn(case, result)`` and raises through :func:`checks.core.compare.fail`; a
comparison is ``compare(case, actual, expected, tol, where)``.
"""
