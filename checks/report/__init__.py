"""The class report: what a whole batch of graded submissions looks like.

- :mod:`checks.report.rows`: one row model (``Row`` / ``TestRow``) and its
  converters from the grader's :class:`~checks.grader.grade.SubmissionResult`;
- :mod:`checks.report.load`: rows read from a batch's outputs (a ``--json-dir``
  folder of Gradescope results.json files, the batch CSV, or both);
- :mod:`checks.report.stats`: the numbers (score distribution, pass rates,
  verdicts, mistakes, non-ok submissions), computed once for every renderer;
- :mod:`checks.report.summary`: ``text_summary(results) -> str`` (printed at the
  end of every ``formulacheck grade`` batch; numpy only);
- :mod:`checks.report.charts` (matplotlib, the ``report`` extra) and
  :mod:`checks.report.html`: ``formulacheck report``'s self-contained page.
"""
