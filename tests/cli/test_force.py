"""One policy for output files: an existing one is refused (exit 2, one line naming it and --force) before any
work; --force overwrites it. Every option that writes a file: template --out, verify --json, audit --out,
grade --json / --out / --json-dir / --write-reference."""

from __future__ import annotations

import csv
import json

import pytest

from checks.cli import main

from .helpers import SUBS, fake_grader, one_error_line

OLD = "old content\n"


def _refused(capsys, prog: str, path) -> None:
    line = one_error_line(capsys, prog)
    assert str(path) in line and "exists" in line and "--force" in line, line
    assert path.read_text() == OLD  # untouched


def test_template_out(tmp_path, capsys):
    import importlib.resources as res

    p = tmp_path / "mine.py"
    p.write_text(OLD)
    assert main(["template", "--out", str(p)]) == 2
    _refused(capsys, "formulacheck template", p)
    assert main(["template", "--out", str(p), "--force"]) == 0
    assert p.read_text() == res.files("student").joinpath("template.py").read_text(encoding="utf-8")
    new = tmp_path / "new.py"
    assert main(["template", "--out", str(new)]) == 0 and "NotImplementedError" in new.read_text()


@pytest.fixture
def quick_verify(monkeypatch):
    """verify without torch: every check passes at once (the CLI's file handling is under test)."""
    from checks.cli import verify
    from checks.run import check as engine

    calls = []

    def check(formula, oracle, call, **k):
        calls.append(formula.id)
        return engine.CheckResult(formula.id, oracle.name, engine.Verdict.PASSED, examples=1)

    monkeypatch.setattr(verify, "_warm_up", lambda: None)
    monkeypatch.setattr(engine, "check", check)
    return calls


def test_verify_json(tmp_path, capsys, quick_verify):
    p = tmp_path / "r.json"
    p.write_text(OLD)
    argv = ["verify", "--id", "softmax.softmax", "--json", str(p)]
    assert main(argv) == 2
    _refused(capsys, "formulacheck verify", p)
    assert quick_verify == []  # refused before any check ran
    assert main(argv + ["--force"]) == 0
    data = json.loads(p.read_text())
    assert data and {d["formula"] for d in data} == {"softmax.softmax"} and {d["verdict"] for d in data} == {"passed"}


def test_audit_out(tmp_path, capsys, monkeypatch):
    from checks import audit
    from checks.audit.model import AuditResult

    seen = []

    def evaluate(entry, profile=None):
        seen.append(entry.id)
        return AuditResult(id=entry.id, file=entry.file, location=entry.location, claim="c", quote="q",
                           verdict="verified", evidence="e")

    monkeypatch.setattr(audit, "evaluate", evaluate)
    p = tmp_path / "a.json"
    p.write_text(OLD)
    argv = ["audit", "--format", "json", "--id", "002.7.eq1_sgd", "--out", str(p)]
    assert main(argv) == 2
    _refused(capsys, "formulacheck audit", p)
    assert seen == []
    assert main(argv + ["--force"]) == 0
    assert [d["id"] for d in json.loads(p.read_text())] == ["002.7.eq1_sgd"]
    capsys.readouterr()
    text = tmp_path / "a.txt"
    text.write_text(OLD)
    assert main(["audit", "--id", "002.7.eq1_sgd", "--out", str(text)]) == 2
    _refused(capsys, "formulacheck audit", text)
    assert main(["audit", "--id", "002.7.eq1_sgd", "--out", str(text), "--force"]) == 0
    assert "002.7.eq1_sgd" in text.read_text()


def test_grade_write_reference(tmp_path, capsys):
    p = tmp_path / "ref.py"
    p.write_text(OLD)
    assert main(["grade", "--write-reference", str(p)]) == 2
    _refused(capsys, "formulacheck grade", p)
    assert main(["grade", "--write-reference", str(p), "--force"]) == 0
    assert "def softmax(" in p.read_text()


def test_grade_json(tmp_path, capsys, monkeypatch):
    g = fake_grader(monkeypatch)
    p = tmp_path / "results.json"
    p.write_text(OLD)
    argv = ["grade", str(SUBS / "alt_correct.py"), "--json", str(p)]
    assert main(argv) == 2
    _refused(capsys, "formulacheck grade", p)
    assert g.made == 0  # refused before the grader existed
    assert main(argv + ["--force"]) == 0
    assert json.loads(p.read_text())["score"] == 1


def test_grade_out_csv(tmp_path, capsys, monkeypatch):
    g = fake_grader(monkeypatch)
    d = tmp_path / "class"
    d.mkdir()
    (d / "a.py").write_text("x = 1\n")
    p = tmp_path / "grades.csv"
    p.write_text(OLD)
    assert main(["grade", str(d), "--out", str(p)]) == 2
    _refused(capsys, "formulacheck grade", p)
    assert g.made == 0
    assert main(["grade", str(d), "--out", str(p), "--force"]) == 0
    assert [(r["submission"], r["total"]) for r in csv.DictReader(p.open())] == [("a.py", "1")]


def test_grade_json_dir(tmp_path, capsys, monkeypatch):
    g = fake_grader(monkeypatch)
    d = tmp_path / "class"
    d.mkdir()
    for n in ("a.py", "b.py"):
        (d / n).write_text("x = 1\n")
    jd = tmp_path / "json"
    jd.mkdir()  # an existing directory is fine: only the files to be written count
    (jd / "other.json").write_text(OLD)
    assert main(["grade", str(d), "--json-dir", str(jd)]) == 0
    assert sorted(p.name for p in jd.iterdir()) == ["a.json", "b.json", "other.json"]
    (jd / "a.json").unlink()
    (jd / "b.json").write_text(OLD)
    capsys.readouterr()
    made = g.made
    assert main(["grade", str(d), "--json-dir", str(jd)]) == 2
    _refused(capsys, "formulacheck grade", jd / "b.json")
    assert g.made == made
    assert main(["grade", str(d), "--json-dir", str(jd), "--force"]) == 0
    assert json.loads((jd / "b.json").read_text())["score"] == 1 and (jd / "other.json").read_text() == OLD
