"""The runner writes its replies in batches: a hang or a crash still names the input being called.

The runner (the submission's process) keeps up to ``FLUSH_BYTES`` of replies
before writing them, so when it hangs or dies on case k the replies of the
cases before k may never leave its buffer. The case it is calling is in a
page it shares with the supervisor, which tells the grader while the runner
is silent and when it ends. These tests make the submission hang, crash and
exit on the k-th call of a formula (k > 0: before the fix the feedback named
the first input) and check the feedback shows the k-th input, and that a
formula graded next, and an honest neighbour, are unaffected.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from checks.grader.grade import Grader
from checks.grader.refsub import build
from checks.grader.rubric import Limits, Rubric

IDS = ["activations.sigmoid", "activations.tanh_backward"]
K = 7  # the call (0-based) that misbehaves

SUB = """
import os, signal
import numpy as np
_calls = [0]

def sigmoid(x):
    k = _calls[0]
    _calls[0] += 1
    if k == {k}:
        {action}
    x = np.asarray(x, dtype=np.float64)
    return 1.0 / (1.0 + np.exp(-x))

def tanh_backward(x, dy):
    t = np.tanh(np.asarray(x, dtype=np.float64))
    return np.asarray(dy, dtype=np.float64) * (1.0 - t * t)
"""

ACTIONS = {
    "hang": ("while True:\n            pass", "timed out"),
    "segfault": ("os.kill(os.getpid(), signal.SIGSEGV)", "crashed"),
    "exit": ("os._exit(5)", "crashed"),
}


@pytest.fixture(scope="module")
def grader():
    rub = replace(Rubric(), examples_default=20, limits=replace(Limits(), timeout=3.0))
    with Grader(rub, ids=IDS) as g:
        yield g


@pytest.mark.parametrize("what", sorted(ACTIONS))
def test_the_failing_input_is_the_one_being_called(grader, tmp_path, what):
    action, verdict = ACTIONS[what]
    p = tmp_path / f"{what}.py"
    p.write_text(SUB.format(k=K, action=action), encoding="utf-8")
    res = grader.grade_file(str(p))
    t = {x.id: x for x in res.tests}
    sig = t["activations.sigmoid"]
    assert sig.verdict == verdict, sig.feedback
    fv = next(f for f in grader.formulas if f.id == "activations.sigmoid")
    shown = fv.cases[K].call_repr("sigmoid")
    assert shown in sig.feedback, f"expected the input of call {K}:\n{shown}\nin:\n{sig.feedback}"
    assert fv.cases[0].call_repr("sigmoid") != shown
    assert t["activations.tanh_backward"].passed, t["activations.tanh_backward"].feedback
    # an honest neighbour graded next by the same grader keeps full marks
    ref = tmp_path / "ref.py"
    ref.write_text(build(), encoding="utf-8")
    r = grader.grade_file(str(ref))
    assert r.status == "ok" and r.score == r.max_score, (r.status, r.message)
