"""The audit of the notes (``formulacheck audit``): verdicts are computed, never written in.

Swapping an erratum's encoding for the correct formula makes it ``verified``;
swapping a verified formula for a wrong one makes it ``erratum``; a variant
or convention is only accepted when its declared mapping really agrees.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from checks import audit
from checks.audit import report
from checks.audit.model import VERDICTS, AuditHarnessError, AuditResult, evaluate

PROFILE = "ci"


def _entry(i):
    (e,) = audit.select(ids=[i])
    return e


@pytest.fixture(scope="module")
def results():
    """The whole audit, once (ci profile)."""
    return audit.run(profile=PROFILE)


# ------------------------------------------------------------------ the whole audit


def test_every_entry_gets_one_of_the_four_verdicts(results):
    assert len(results) == len(audit.all_entries()) > 100
    bad = [(r.id, r.verdict) for r in results if r.verdict not in VERDICTS]
    assert not bad
    for r in results:
        assert r.evidence, r.id
        if r.verdict == "erratum":
            assert r.counterexample and r.correction and r.error, r.id
        if r.verdict in ("variant", "convention"):
            assert r.convention and r.counterexample, r.id  # the unmapped difference is shown


def test_the_known_errata_are_found(results):
    v = {r.id: r.verdict for r in results}
    for i in ("001.A6.2.max_grad", "001.A6.2.argmax_grad", "001.A6.3.dL_dW_product", "001.A6.3.dCk_dCk-1_chain_rule",
              "001.A6.3.dCk_dCk-1_index", "002.1.cell_update_line50", "002.3.Wn_general", "002.4.dropout_test_scaling",
              "002.4.bn_gamma_beta", "002.7.eq4_5_nag", "002.7.eq12_adam_m_hat", "002.7.eq13_adam_s_hat",
              "002.7.rnn_dh_dhprev_relu", "002.9.hs_average_path", "003.sum_wki_ek", "003.eq26_delta_w_in",
              "004.residual_never_vanishes"):
        assert v[i] == "erratum", i
    for i in ("002.7.eq7_adagrad", "002.7.eq9_rmsprop", "002.7.eq14_adam_step", "002.4.bn_normalize"):
        assert v[i] == "variant", i
    for i in ("002.1.gru_vs_torch", "002.7.rnn_dh_dhprev", "003.eq19_e_k", "004.dropout_vs_torch"):
        assert v[i] == "convention", i
    for i in ("002.3.Wn_symmetric", "001.A6.4.self_attention_flops", "001.A6.4.recurrent_flops", "001.A6.4.convolution_flops",
              "003.eq25_rtrl_in", "003.eq27_rtrl_c", "003.weight_count", "003.operation_count_sum", "002.7.momentum_speedup",
              "004.sigmoid_saturation_bound", "004.residual_gradient"):
        assert v[i] == "verified", i


def test_coverage_of_the_four_files_and_the_required_topics():
    es = audit.all_entries()
    by_file = {}
    for e in es:
        by_file.setdefault(e.short_file, []).append(e)
    assert set(by_file) == {"001", "002", "003", "004"}
    assert len(by_file["001"]) >= 12 and len(by_file["002"]) >= 50 and len(by_file["003"]) >= 15 and len(by_file["004"]) >= 15
    topics = {f: {t for e in v for t in e.topics} for f, v in by_file.items()}
    assert {"max", "argmax", "lstm-gradient", "dCk", "complexity", "attention", "rnn", "conv"} <= topics["001"]
    assert {"lstm", "gru", "tanh", "Wn", "dropout", "batchnorm", "highway", "optim", "momentum", "logistic", "softmax", "rnn",
            "relu", "beam", "hsoftmax"} <= topics["002"]
    assert {"lstm1997", "rtrl", "count"} <= topics["003"]
    assert {"batchnorm", "layernorm", "dropout", "sigmoid", "residual", "attention", "rnn", "init"} <= topics["004"]
    locs = " ".join(e.location for e in by_file["003"])
    for n in range(16, 30):
        if n != 18:  # (18) is the definition of e_l, used by every error entry
            assert f"({n})" in locs, n
    locs2 = " ".join(e.location for e in by_file["002"])
    for n in range(1, 15):
        assert re.search(rf"\b{n}\b", locs2.split("优化算法", 1)[1]), n
    for e in es:
        assert e.quote and e.claim and e.location and e.correct, e.id
        assert e.file == audit.FILES[e.short_file]


def test_the_flop_exponents_are_measured_not_assumed():
    e = _entry("001.A6.4.self_attention_flops")
    measured = e.correct[0].fn()
    assert abs(measured["n"] - 2) < 0.1 and abs(measured["d"] - 1) < 0.1


# ------------------------------------------------------------------ swaps: erratum -> verified


def test_cell_update_erratum_swapped_for_the_correct_update_is_verified():
    from checks.audit.common import sigmoid

    e = _entry("002.1.cell_update_line50")
    assert evaluate(e, PROFILE).verdict == "erratum"

    def right(x, h, c, Wx, Uh):
        H = h.shape[1]
        z = lambda k: x @ Wx[k * H:(k + 1) * H].T + h @ Uh[k * H:(k + 1) * H].T  # noqa: E731
        return sigmoid(z(1)) * c + sigmoid(z(0)) * np.tanh(z(2))

    assert evaluate(e.replace(as_written=right), PROFILE).verdict == "verified"


def test_nag_erratum_with_the_look_ahead_sign_fixed_is_verified():
    e = _entry("002.7.eq4_5_nag")
    r = evaluate(e, PROFILE)
    assert r.verdict == "erratum" and "Quadratic(" in r.counterexample

    def right(theta, grad_fn, m, lr, beta):
        m = beta * m + lr * grad_fn(theta - beta * m)
        return theta - m, m

    assert evaluate(e.replace(as_written=right), PROFILE).verdict == "verified"


def test_max_gradient_erratum_shrinks_to_a_tie_and_one_maximiser_is_verified():
    e = _entry("001.A6.2.max_grad")
    r = evaluate(e, PROFILE)
    assert r.verdict == "erratum"
    assert r.counterexample == "f(np.array([0.0, 0.0]))"

    def right(x):
        g = np.zeros_like(x)
        g[int(np.argmax(x))] = 1.0
        return g

    assert evaluate(e.replace(as_written=right), PROFILE).verdict == "verified"


def test_eq26_with_the_cell_index_restored_is_verified():
    from checks.audit.notes import n003_s5_1_5_truncated_backprop as n003

    e = _entry("003.eq26_delta_w_in")
    assert evaluate(e, PROFILE).verdict == "erratum"
    assert evaluate(e.replace(as_written=lambda p, x, t: n003._eq24(p, x, t)["W_in"]), PROFILE).verdict == "verified"


def test_bn_gamma_beta_with_variance_gamma_squared_is_verified():
    e = _entry("002.4.bn_gamma_beta")
    assert evaluate(e.replace(as_written=lambda x, g, b: (b, g ** 2)), PROFILE).verdict == "verified"


def test_a_false_claim_of_complexity_made_true_is_verified():
    e = _entry("002.9.hs_average_path")
    from checks.audit.notes.n002_s8_s9_beam_hsoftmax import _avg_path_truth

    assert evaluate(e.replace(as_written=_avg_path_truth), PROFILE).verdict == "verified"


# ------------------------------------------------------------------ swaps: verified -> erratum


def test_sgd_with_the_wrong_sign_is_an_erratum():
    e = _entry("002.7.eq1_sgd")
    assert evaluate(e, PROFILE).verdict == "verified"
    r = evaluate(e.replace(as_written=lambda theta, g, lr: theta + lr * g), PROFILE)
    assert r.verdict == "erratum" and r.counterexample and "reference.sgd_step" in r.evidence


def test_rtrl_recursion_without_the_accumulation_is_an_erratum():
    from checks.audit import lstm1997 as L
    from checks.audit.notes import n003_s5_1_5_truncated_backprop as n003

    e = _entry("003.eq25_rtrl_in")
    assert evaluate(e, PROFILE).verdict == "verified"

    def last_step_only(p, x, t):  # forgets the ∂s(t-1)/∂w term of (25)
        return n003._rtrl(p, x[-1:], "in") if x.shape[0] == 1 else n003._rtrl(p, x, "in") - n003._rtrl(p, x[:-1], "in")

    r = evaluate(e.replace(as_written=last_step_only), PROFILE)
    assert r.verdict == "erratum"
    assert L  # the model module imports


def test_attention_without_the_scaling_is_an_erratum():
    from checks.audit.common import softmax

    e = _entry("004.attention")
    assert evaluate(e, PROFILE).verdict == "verified"
    r = evaluate(e.replace(as_written=lambda Q, K, V: softmax(Q @ np.swapaxes(K, -1, -2)) @ V), PROFILE)
    assert r.verdict == "erratum"


def test_wrong_complexity_exponents_are_an_erratum():
    e = _entry("001.A6.4.self_attention_flops")
    r = evaluate(e.replace(as_written=lambda: {"n": 1.0, "d": 2.0}), PROFILE)
    assert r.verdict == "erratum" and "FlopCounterMode" in r.evidence


def test_weight_count_without_the_gate_weights_is_an_erratum():
    e = _entry("003.weight_count")
    r = evaluate(e.replace(as_written=lambda K, H, C, S, I: K * H + K * C * S + C * S * I + H * I), PROFILE)
    assert r.verdict == "erratum"
    assert r.counterexample.startswith("f(1, 1, 1, 1,")  # shrunk to the smallest sizes


# ------------------------------------------------------------------ variants and conventions are computed too


def test_a_variant_is_only_accepted_when_the_variants_coincide_on_the_mapped_inputs():
    e = _entry("002.7.eq7_adagrad")
    assert evaluate(e, PROFILE).verdict == "variant"

    def eps_outside(theta, g, s, lr, eps):
        s = s + g * g
        return theta - lr * g / (np.sqrt(s) + eps), s

    assert evaluate(e.replace(as_written=eps_outside), PROFILE).verdict == "verified"

    def no_root(theta, g, s, lr, eps):
        s = s + g * g
        return theta - lr * g / (s + eps), s

    r = evaluate(e.replace(as_written=no_root), PROFILE)
    assert r.verdict == "erratum" and "even under the declared variant" in r.evidence


def test_a_convention_is_only_accepted_when_the_mapped_formula_agrees():
    e = _entry("002.7.rnn_dh_dhprev")
    assert evaluate(e, PROFILE).verdict == "convention"

    def numerator(x_t, h_prev, W1, W2, b2):
        z = h_prev @ W1.T + x_t @ W2.T + b2
        return np.stack([np.diag(1 - np.tanh(zn) ** 2) @ W1 for zn in z])

    assert evaluate(e.replace(as_written=numerator), PROFILE).verdict == "verified"
    r = evaluate(e.replace(as_written=lambda x_t, h_prev, W1, W2, b2: np.stack([W1.T] * x_t.shape[0])), PROFILE)
    assert r.verdict == "erratum"


def test_a_variant_entry_without_a_mapping_is_a_harness_error():
    e = _entry("002.7.eq7_adagrad").replace(case_map=None, fn_map=None)
    with pytest.raises(AuditHarnessError, match="needs fn_map"):
        evaluate(e, PROFILE)


# ------------------------------------------------------------------ reports and the CLI


def test_json_is_a_list_with_the_required_keys(results):
    data = json.loads(report.to_json(results))
    assert isinstance(data, list) and len(data) == len(results)
    for d in data:
        for k in ("id", "file", "location", "claim", "verdict", "evidence", "counterexample", "correction"):
            assert k in d, k
        assert d["file"] in audit.FILES.values()
        assert d["verdict"] in VERDICTS


def test_markdown_has_the_summary_and_one_section_per_erratum(results):
    md = report.to_markdown(results, PROFILE, 1.0)
    assert md.startswith("# Audit of the course notes")
    assert "| notes file | verified | erratum | variant | convention | total |" in md
    for r in results:
        if r.verdict == "erratum":
            assert f"### {r.id}" in md and r.correction.split()[0] in md
    # table rows stay rows: no raw newline or unescaped pipe inside a cell
    for line in md.splitlines():
        if line.startswith("| `") or line.startswith("| ["):
            assert line.count(" | ") >= 4


def test_html_is_self_contained_and_escaped():
    r = AuditResult(id="x.1", file=audit.FILES["001"], location="<b>loc</b>", claim="a < b & c", quote='"<script>alert(1)</script>"',
                    verdict="erratum", evidence="e<1>", counterexample="f(<x>)", correction="use <this>", details="<pre>")
    h = report.to_html([r])
    assert h.startswith("<!DOCTYPE html>") and "</html>" in h
    assert "<script>" not in h and "&lt;script&gt;" in h and "&lt;b&gt;loc&lt;/b&gt;" in h
    assert "http" not in h.split("<body>")[0]  # no external stylesheet or script


def test_cli_formats(capsys, tmp_path):
    from checks.cli import main

    ids = ["--id", "002.7.eq1_sgd", "--id", "002.1.cell_update_line50"]
    assert main(["audit", "--format", "json", *ids]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {d["id"]: d["verdict"] for d in data} == {"002.7.eq1_sgd": "verified", "002.1.cell_update_line50": "erratum"}
    assert main(["audit", "--format", "md", *ids]) == 0
    assert "### 002.1.cell_update_line50" in capsys.readouterr().out
    out = tmp_path / "a.html"
    assert main(["audit", "--format", "html", "--out", str(out), *ids]) == 0
    assert "cell_update_line50" in out.read_text(encoding="utf-8")
    assert main(["audit", *ids]) == 0
    text = capsys.readouterr().out
    assert "erratum" in text and "correction:" in text
    assert main(["audit", "--list", "--file", "003"]) == 0
    assert "003.eq25_rtrl_in" in capsys.readouterr().out


def test_cli_rejects_unknown_ids_and_files(capsys):
    from checks.cli import main

    assert main(["audit", "--id", "no.such.entry"]) == 2
    assert "unknown audit id" in capsys.readouterr().err
    assert main(["audit", "--file", "009"]) == 2
