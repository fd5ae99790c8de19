"""The audit of the course notes: ``formulacheck audit``.

Every formula and quantitative claim of the four notes files has an
:class:`~checks.audit.model.AuditEntry` in one of the entry modules
(``notes001`` .. ``notes004``; ``lstm1997`` holds the original 1997 LSTM the
003 entries need). :func:`all_entries` collects them; :func:`run` computes
every verdict (see :mod:`checks.audit.model`).
"""

from __future__ import annotations

import importlib

from checks.audit.model import FILES, VERDICTS, AuditEntry, AuditResult, evaluate

MODULES = ("notes001", "notes002", "notes003", "notes004")

__all__ = ["FILES", "VERDICTS", "AuditEntry", "AuditResult", "evaluate", "all_entries", "select", "run"]


def all_entries() -> list[AuditEntry]:
    out: list[AuditEntry] = []
    seen: set[str] = set()
    for m in MODULES:
        try:
            mod = importlib.import_module(f"checks.audit.{m}")
        except ModuleNotFoundError as e:
            if e.name == f"checks.audit.{m}":
                continue
            raise
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
