"""Deployment artefacts built from this source tree (instructor side; not in the student kit).

- :mod:`checks.deploy.wheel`: ``build_wheel(out_dir, student=...)``, formulacheck's wheel,
  either the full one or the student kit's (no answer key: no ``reference/``, no
  reference-as-a-submission, no oracles, no ``--write-reference``);
- :mod:`checks.deploy.kit`: the student kit folder (the kit wheel, the public vectors,
  the template, a README), ``formulacheck student-kit --out DIR``.
"""
