"""The audit of the course notes: ``formulacheck audit``.

Every formula and quantitative claim of the four notes files has an
:class:`~checks.audit.model.AuditEntry` in one of the entry modules of
:mod:`checks.audit.notes`, one per section (or group of small sections) of a
notes file (:data:`MODULES`, in the order of the notes; shared helpers in
:mod:`checks.audit.common`, and :mod:`checks.audit.lstm1997` holds the original
1997 LSTM the 003 entries need). :func:`all_entries` collects them;
:func:`run` computes every verdict (see :mod:`checks.audit.model`).
:func:`~checks.audit.formula.evaluate_formula` audits an implementation of a
registry formula with the pipeline's own judge and feedback (the grader's text).
"""

from __future__ import annotations

import importlib

from checks.audit.formula import FormulaAuditResult, evaluate_formula
from checks.audit.model import FILES, VERDICTS, AuditEntry, AuditResult, evaluate

#: the entry modules of :mod:`checks.audit.notes`, in the order of the report
MODULES = (
    "n001_a6_1_2_conv_max",
    "n001_a6_3_lstm_gradient",
    "n001_a6_4_complexity",
    "n002_s1_lstm_gru",
    "n002_s3_vanishing_gradients",
    "n002_s4_dropout_batchnorm",
    "n002_s5_s6_resnet_pooling",
    "n002_s7a_optim_gd_momentum_nag",
    "n002_s7b_optim_adagrad_rmsprop_adam",
    "n002_s7c_logistic_regression",
    "n002_s7d_softmax_rnn_backward",
    "n002_s8_s9_beam_hsoftmax",
    "n003_s5_1_5_truncated_backprop",
    "n003_s5_6_complexity",
    "n004_sigmoid_init_residual",
    "n004_norm_dropout",
    "n004_clip_attention_rnn_gru",
)

__all__ = ["FILES", "VERDICTS", "AuditEntry", "AuditResult", "evaluate", "all_entries", "select", "run",
           "FormulaAuditResult", "evaluate_formula"]


def all_entries() -> list[AuditEntry]:
    out: list[AuditEntry] = []
    seen: set[str] = set()
    for m in MODULES:
        mod = importlib.import_module(f"checks.audit.notes.{m}")
        for e in mod.ENTRIES:
            if e.id in seen:
                raise ValueError(f"audit entry id {e.id!r} is defined twice")
            seen.add(e.id)
            out.append(e)
    return out


def select(ids: list[str] | None = None, files: list[str] | None = None, match: str | None = None) -> list[AuditEntry]:
    es = all_entries()
    if files:
        es = [e for e in es if e.short_file in files or e.file in files]
    if ids:
        known = {e.id for e in es}
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise KeyError(f"unknown audit id(s) {unknown}; `formulacheck audit --list` shows them")
        es = [e for e in es if e.id in ids]
    if match:
        es = [e for e in es if match in e.id]
    return es


def run(entries: list[AuditEntry] | None = None, profile: str | None = None, progress=None) -> list[AuditResult]:
    es = all_entries() if entries is None else entries
    out = []
    for e in es:
        if progress is not None:
            progress(e)
        out.append(evaluate(e, profile))
    return out
