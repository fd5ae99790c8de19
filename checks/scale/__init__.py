"""Grading at scale: on a Dask cluster (:mod:`checks.scale.dask`), resumable from a journal
(:mod:`checks.scale.journal`), results as plain records (:mod:`checks.scale.records`).

Nothing here is imported by the local grader; ``checks.scale.dask`` needs the
``dask`` extra (``pip install -e ".[dask]"``). See docs/scaling.md.
"""
