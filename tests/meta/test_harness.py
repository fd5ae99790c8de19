"""The harness end to end: a check's verdicts and messages, the strategies, the template, the --impl
plumbing and the CLI. (Conformance and comparison: tests/core/test_compare.py; py_repr: tests/core/test_case.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from checks import registry
from checks.core.case import Case
from checks.core.compare import CheckFailure, Verdict
from checks.core.judge import judge
from checks.run import draw
from checks.run.check import check, local_caller
from checks.run.impl import load_impl

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/meta/ -> the clone
FIRST_GROUPS = ("activations", "reductions", "softmax", "logistic", "conv")


def _run(formula_id, fn, oracle=None):
    f = registry.get(formula_id)
    o = f.oracle(oracle) if oracle else f.oracles[0]
    return f, check(f, o, local_caller(fn, f.fn_name), profile="grade")


# ------------------------------------------------------------------ messages


def test_mismatch_message_has_the_assert_close_summary_and_a_runnable_minimal_call():
    import reference as R

    def ce_backward_no_mean(z, labels):
        return R.cross_entropy_backward(z, labels) * np.asarray(z).shape[0]

    f, res = _run("softmax.cross_entropy_backward", ce_backward_no_mean)
    assert res.verdict is Verdict.MISMATCH
    m = res.message
    assert m.startswith("softmax.cross_entropy_backward vs torch: mismatch")
    for part in ("cross_entropy_backward -> dz", "Mismatched elements:", "Greatest absolute difference:",
                 "Greatest relative difference:", "allowed", "Minimal failing input:", "Expected:"):
        assert part in m, (part, m)
    # the shrunk input is minimal: N=2 is the smallest batch where a missing /N shows
    z, labels = eval(res.call.replace("cross_entropy_backward", "_args"), {"np": np, "_args": lambda *a: a})
    assert z.shape[0] == 2 and z.shape[1] == 2
    # and copy-pasting the call reproduces the failure
    out = eval(res.call, {"np": np, "cross_entropy_backward": ce_backward_no_mean})
    with pytest.raises(CheckFailure):
        judge(f, f.oracles[0], Case((z, labels)), out, f.oracles[0].fn(z, labels))


def test_nonfinite_verdict_names_the_output_and_index():
    def softmax_no_shift(z):
        with np.errstate(all="ignore"):
            e = np.exp(z)
            return e / e.sum(axis=-1, keepdims=True)

    _, res = _run("softmax.softmax", softmax_no_shift)
    assert res.verdict is Verdict.NONFINITE
    assert "softmax -> y:" in res.message and "first at index" in res.message
    assert "Minimal failing input:\n    softmax(np.array([[" in res.message


def test_not_implemented_and_missing_fail_only_their_own_check():
    def raises(*a):
        raise NotImplementedError

    for fn, why in ((raises, "softmax raises NotImplementedError"), (None, "no function named softmax")):
        _, res = _run("softmax.softmax", fn)
        assert res.verdict is Verdict.NOT_IMPLEMENTED and res.examples <= 1
        assert res.message == f"softmax.softmax: softmax: not implemented ({why})"


def test_exception_in_implementation_is_a_verdict_not_a_crash():
    def boom(z):
        raise ValueError("bad shapes")

    _, res = _run("softmax.softmax", boom)
    assert res.verdict is Verdict.ERROR
    assert "raised ValueError: bad shapes" in res.message


def test_in_place_modification_is_detected():
    import reference as R

    def inplace(z):
        z -= z.max(axis=-1, keepdims=True)
        return R.softmax(z)

    _, res = _run("softmax.softmax", inplace)
    assert res.verdict is Verdict.INPLACE
    assert "modified its argument #1 in place" in res.message


# ------------------------------------------------------------------ strategies


def _draws(strategy, *name, n=60):
    """n seeded draws (checks.run.draw: the same inputs whatever else this process has imported)."""
    return draw.cases(strategy, n, draw.seed_for(draw.DEFAULT_SEED, "tests", *name))


@pytest.mark.parametrize("f", [f for f in registry.all_formulas() if f.group in FIRST_GROUPS], ids=lambda f: f.id)
def test_strategies_honour_the_contract(f):
    """Inputs are float64/int64, finite, within the stable range; the reference accepts them."""
    for st_fn in [f.strategy] + [o.strategy for o in f.oracles if o.strategy]:
        for case in _draws(st_fn(), f.id, "contract"):
            for a in case.args:
                if isinstance(a, np.ndarray):
                    assert a.dtype in (np.float64, np.int64), (f.id, a.dtype)
                    if a.dtype == np.float64:
                        assert np.isfinite(a).all() and np.abs(a).max(initial=0) <= 1e4, f.id
            out = f.reference(*case.copy().args)
            flat = out if isinstance(out, tuple) else (out,)
            assert all(np.isfinite(np.asarray(o, dtype=np.float64)).all() for o in flat), (f.id, case)


def test_labels_are_in_range_and_logistic_targets_binary():
    for case in _draws(registry.get("softmax.cross_entropy").strategy(), "softmax.cross_entropy", "labels"):
        z, y = case.args
        assert y.shape == (z.shape[0],) and (0 <= y).all() and (y < z.shape[1]).all()
    for case in _draws(registry.get("logistic.log_likelihood").strategy(), "logistic.log_likelihood", "targets"):
        theta, X, y = case.args
        assert X.shape == (y.shape[0], theta.shape[0]) and set(np.unique(y)) <= {0.0, 1.0}


@pytest.mark.parametrize(
    "formula_id, regime",
    [
        ("reductions.max_backward", lambda c: any((r == r.max()).sum() > 1 for r in c.args[0])),
        ("activations.relu_backward", lambda c: np.any(np.asarray(c.args[0]) == 0)),
        ("softmax.softmax", lambda c: np.abs(c.args[0]).max() >= 9e3),
        ("softmax.softmax", lambda c: c.args[0].shape[0] == 1),
        ("logistic.log_likelihood", lambda c: np.abs(c.args[1] @ c.args[0]).max(initial=0) > 500),
        ("conv.conv1x1", lambda c: c.args[0].shape[0] == 1),
    ],
)
def test_hard_regimes_are_drawn_on_purpose(formula_id, regime):
    cases = _draws(registry.get(formula_id).strategy(), formula_id, "regimes", n=200)
    assert any(regime(c) for c in cases), f"{formula_id}: the regime never came up in {len(cases)} draws"


# ------------------------------------------------------------------ --impl plumbing


def test_template_reports_not_implemented_for_every_check():
    tmpl = load_impl(os.path.join(ROOT, "student", "template.py"))
    for f in registry.all_formulas():
        for o in f.oracles:
            res = check(f, o, local_caller(getattr(tmpl, f.fn_name, None), f.fn_name), profile="dev")
            assert res.verdict is Verdict.NOT_IMPLEMENTED, (f.id, o.name, res.message)


def test_pytest_impl_option_on_a_partial_submission(tmp_path):
    sub = tmp_path / "partial.py"
    sub.write_text(textwrap.dedent("""
        import numpy as np
        def softmax(z):
            e = np.exp(z - z.max(axis=-1, keepdims=True))
            return e / e.sum(axis=-1, keepdims=True)
        def softmax_jacobian(z):
            raise NotImplementedError
    """))
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", os.path.join(ROOT, "tests", "test_formulas.py"),
         "--impl", str(sub), "-k", "softmax.softmax- or softmax.softmax_jacobian-", "--fc-profile", "dev"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    out = r.stdout
    assert r.returncode == 1, out
    assert "4 passed" in out and "3 failed" in out, out
    failed = [line for line in out.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 3 and all("softmax_jacobian" in line for line in failed), out
    assert out.count("softmax.softmax_jacobian: softmax_jacobian: not implemented") >= 3, out


def test_cli_list_json_and_verify(tmp_path):
    r = subprocess.run([sys.executable, "-m", "checks.cli", "list", "--json"], capture_output=True, text=True, cwd=ROOT)
    items = json.loads(r.stdout)
    ids = {i["id"] for i in items}
    assert {f.id for f in registry.all_formulas()} == ids
    for i in items:
        assert {"id", "source", "oracles", "points"} <= i.keys()
        assert set(i["oracles"]) <= {"torch", "sympy", "property", "brute-force", "algorithm"} and i["oracles"]
    bad = subprocess.run([sys.executable, "-m", "checks.cli", "verify", "--group", "nope"], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and "--group 'nope': no such group" in bad.stderr and "Traceback" not in bad.stderr, bad.stderr
    wrong = tmp_path / "wrong.py"
    wrong.write_text("import numpy as np\ndef conv1x1(x, w, b):\n    return np.einsum('oc,nchw->nohw', w, x)\n")
    r = subprocess.run([sys.executable, "-m", "checks.cli", "verify", "--group", "conv", "--profile", "dev", "--impl", str(wrong)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 1 and "conv.conv1x1 vs torch:F.conv2d" in r.stdout and "not implemented" in r.stdout


@pytest.mark.parametrize(
    "argv, says",
    [
        (["list", "--group", "bogus"], "--group 'bogus': no such group"),
        (["verify", "--id", "nope.x"], "unknown formula id 'nope.x'"),
        (["verify", "--profile", "nope"], "--profile='nope': unknown profile"),
        (["template", "--out", "README.md"], "README.md: the file exists"),
    ],
)
def test_cli_bad_input_is_a_clear_error_not_a_traceback(argv, says):
    r = subprocess.run([sys.executable, "-m", "checks.cli", *argv], capture_output=True, text=True, cwd=ROOT)
    out = r.stdout + r.stderr
    assert r.returncode == 2, out
    assert says in out and "Traceback" not in out, out
