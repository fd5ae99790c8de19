"""The student kit folder: ``formulacheck student-kit --out DIR``.

    DIR/formulacheck-<version>-py3-none-any.whl   the kit wheel (checks.deploy.wheel, student=True)
    DIR/public-vectors.zip                          the public grading vectors (checks.data.PUBLIC_VECTORS)
    DIR/template.py                                 the submission template (checks.registry.template)
    DIR/README.md                                   how to install and check, what the feedback means

Built from a clone (the template comes from the registry, the wheel from
the source tree); the kit itself holds no reference implementation.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

README = """# formulacheck: the student kit

This folder holds:

- `{wheel}`: formulacheck, to check your submission on your own machine
  (numpy and scipy only: no torch needed, none allowed in a submission);
- `template.py`: the submission template: one function per formula ({n} in all), each
  raising `NotImplementedError` until you write it;
- `public-vectors.zip`: the public grading inputs and answers (the same file is inside
  the wheel; the official grade uses other, hidden inputs of the same kinds).

## Install (once)

Python 3.11 or newer, in a virtual environment of its own:

    python3 -m venv fc-venv
    . fc-venv/bin/activate                # Windows: fc-venv\\Scripts\\activate
    pip install "{wheel}[test]"           # [test] adds pytest

## Check your work

Copy `template.py` to `my_submission.py` (any name), write some functions, then:

    formulacheck check my_submission.py                  # every formula
    formulacheck check my_submission.py --group softmax  # only some groups (comma-separated)
    pytest --impl=my_submission.py                       # the same, one pytest test per formula

Notebooks work too: `formulacheck check my_notebook.ipynb`.

`formulacheck check` grades your file exactly as the grader does: the same import rules,
the same sandbox, the same judge and the same feedback text, on the public vectors. It
prints one line per formula (`ok` or `FAIL` with the reason), the full feedback of every
failing formula, then your score on the public vectors. It also prints the sandbox's
isolation level: on your machine it may be lower than the grader's (e.g. without
bubblewrap), which changes nothing in the grades.

## What the feedback means

- `passed (N inputs)`: every public input gave the expected answer within the tolerance.
- **wrong value** / **property**: the smallest public input on which your function is wrong,
  shown as a call you can paste into Python, with the expected answer, what you returned and
  where they differ (the tolerance is stated).
- **not implemented**: the function is missing or still raises `NotImplementedError`
  (it scores 0 for that formula only; `pytest` shows it as a failed test).
- **error** / **crashed** / **timeout**: your function raised, crashed the worker or ran longer
  than the time limit, on the input shown.
- **modified an argument in place**: never change the arrays you are given; copy them.
- **wrong type**: return float64 numpy arrays (or the documented tuple of them).
- **policy violation**: a forbidden import (torch, jax, tensorflow, autograd...) or a package
  that is not allowed: the grader gives 0 points for EVERY formula. You may import numpy,
  scipy, math and the standard library only. `formulacheck check` reports it first.

Passing on the public vectors is a strong sign, not a promise: the official grade runs the
same checks on hidden inputs.
"""


@dataclass
class Kit:
    out: str
    wheel: str
    files: list[str]


class KitError(Exception):
    """The kit folder cannot be written (a one-line reason)."""


def check_out_dir(out: str, force: bool) -> None:
    """``out`` must be absent, an empty directory, or (with ``force``) a directory."""
    if os.path.lexists(out) and not os.path.isdir(out):
        raise KitError(f"--out {out}: exists and is not a directory; give a new folder name")
    if os.path.isdir(out) and os.listdir(out) and not force:
        raise KitError(f"--out {out}: the folder exists and is not empty; give a new folder or --force to overwrite")


def build_kit(out: str, *, force: bool = False) -> Kit:
    """Write the student kit into ``out`` (see the module docstring)."""
    from checks import data
    from checks.deploy.wheel import build_wheel
    from checks.registry.template import render_template

    check_out_dir(out, force)
    os.makedirs(out, exist_ok=True)
    template = render_template()
    n = sum(1 for line in template.splitlines() if line.startswith("def "))
    wheel = build_wheel(out, student=True)
    shutil.copyfile(data.PUBLIC_VECTORS, os.path.join(out, "public-vectors.zip"))
    with open(os.path.join(out, "template.py"), "w", encoding="utf-8") as fh:
        fh.write(template)
    with open(os.path.join(out, "README.md"), "w", encoding="utf-8") as fh:
        fh.write(README.format(wheel=os.path.basename(wheel), n=n))
    files = [os.path.basename(wheel), "public-vectors.zip", "template.py", "README.md"]
    return Kit(out, wheel, files)
