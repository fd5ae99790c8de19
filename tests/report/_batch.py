"""A realistic batch for the class report: real files graded by the real CLI (``formulacheck grade``).

Six submissions on two groups (softmax, activations):

- ``ref.py``: the reference as one file (full marks);
- ``张伟_hw3.py``: the reference with the softmax of ``tests.mutants.softmax.softmax_no_shift`` (a CJK file name);
- ``axis.py``: the reference with ``softmax_wrong_axis`` and ``tanh_backward_wrong`` (two failures);
- ``template.py``: the empty template (every function raises NotImplementedError);
- ``broken.py``: a syntax error (status "syntax error");
- ``やまだ_hw3.py``: imports torch (status "policy violation"; a kana name).

What a right report must say follows from that construction (:data:`EXPECTED`), not from the report's code.
"""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GROUPS = "softmax,activations"
CJK_NAME = "张伟_hw3.py"
KANA_NAME = "やまだ_hw3.py"

#: (formula -> submissions that pass it, of the 4 whose formulas ran: ref, 张伟, axis, template)
EXPECTED_PASSED = {"softmax.softmax": 1, "activations.tanh_backward": 2}
EXPECTED_RAN = 4
EXPECTED_NOT_OK = {"broken.py": "syntax error", KANA_NAME: "policy violation"}


def _as(fn, name: str) -> str:
    """The source of a mutant, renamed to the contract's function name (defined after the reference's: it wins)."""
    src = inspect.getsource(fn)
    return "\n\nimport numpy as np\n\n" + re.sub(r"def \w+\(", f"def {name}(", src, count=1)


def write_submissions(d: Path) -> None:
    from checks.grader import refsub
    from checks.registry.template import render_template
    from tests.mutants import activations as A
    from tests.mutants import softmax as S

    d.mkdir(parents=True, exist_ok=True)
    ref = refsub.build()
    (d / "ref.py").write_text(ref, encoding="utf-8")
    (d / CJK_NAME).write_text(ref + _as(S.softmax_no_shift, "softmax"), encoding="utf-8")
    (d / "axis.py").write_text(ref + _as(S.softmax_wrong_axis, "softmax") + _as(A.tanh_backward_wrong, "tanh_backward"),
                               encoding="utf-8")
    (d / "template.py").write_text(render_template(), encoding="utf-8")
    (d / "broken.py").write_text("import numpy as np\n\ndef softmax(z:\n    return z\n", encoding="utf-8")
    (d / KANA_NAME).write_text("import torch\n\ndef softmax(z):\n    return torch.softmax(z, -1)\n", encoding="utf-8")


def grade(tmp: Path) -> tuple[Path, Path]:
    """Grade the batch with ``formulacheck grade DIR --json-dir D --out grades.csv --group ...``: (json dir, csv)."""
    subs, jd, out = tmp / "subs", tmp / "json", tmp / "grades.csv"
    write_submissions(subs)
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = subprocess.run([sys.executable, "-m", "checks.cli", "grade", str(subs), "--json-dir", str(jd), "--out", str(out),
                        "--group", GROUPS], cwd=tmp, env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    return jd, out
