"""One exit-code policy for every sub-command: 2 = bad input (one line), 3 = a bug of ours (report it), 141 = closed pipe."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib

import pytest

from checks.cli import console, main
from checks.core.verdicts import HarnessError

from .helpers import ROOT, SUBS, fake_grader, one_error_line

SUB = str(SUBS / "alt_correct.py")


@pytest.fixture
def bad_files(tmp_path):
    (tmp_path / "bad.toml").write_text("[limits\n")
    (tmp_path / "syntax.py").write_text("def f(:\n")
    (tmp_path / "empty").mkdir()
    return tmp_path


BAD = {
    "verify": [
        (["--group", "nope"], "--group 'nope': no such group"),
        (["--id", "nope.x"], "unknown formula id 'nope.x'"),
        (["--profile", "nope"], "unknown profile"),
        (["--group", "softmax", "--oracle", "nope"], "no such oracle family"),
        (["--impl", "no/such.py"], "no such file"),
        (["--impl", "{tmp}/syntax.py"], "importing it failed"),
        (["--seed", "x"], "invalid int value"),
        (["--json", "/no/such/dir/r.json"], "does not exist"),
    ],
    "list": [
        (["--group", "bogus"], "--group 'bogus': no such group"),
        (["--bogus"], "unrecognized arguments"),
    ],
    "template": [
        (["--out", "/no/such/dir/t.py"], "does not exist"),
        (["--out", "{tmp}"], "is a directory"),
    ],
    "grade": [
        ([], "give a submission"),
        (["no/such/file.py"], "no such file"),
        (["{tmp}/empty"], "holds no .py file"),
        ([SUB, "--jobs", "0"], "--jobs 0"),
        ([SUB, "--timeout", "-1"], "--timeout"),
        ([SUB, "--rubric", "{tmp}/missing.toml"], "no such file"),
        ([SUB, "--rubric", "{tmp}/bad.toml"], "not valid TOML"),
        ([SUB, "--isolation", "bogus"], "unknown level 'bogus'"),
        ([SUB, "--group", "nope"], "no such group"),
        ([SUB, "--json", "/no/such/dir/r.json"], "does not exist"),
        ([SUB, str(SUBS / "bad_syntax.py"), "--json", "r.json"], "--json-dir"),
    ],
    "audit": [
        (["--id", "no.such.entry"], "unknown audit id"),
        (["--file", "009"], "--file '009'"),
        (["--format", "pdf"], "invalid choice"),
        (["--profile", "nope"], "unknown profile"),
    ],
}


@pytest.mark.parametrize("cmd, argv, needle", [(c, a, n) for c, cases in BAD.items() for a, n in cases],
                         ids=lambda v: v if isinstance(v, str) else None)
def test_bad_input_is_exit_2_and_one_line(cmd, argv, needle, bad_files, capsys, monkeypatch):
    monkeypatch.chdir(bad_files)
    argv = [a.replace("{tmp}", str(bad_files)) for a in argv]
    assert main([cmd, *argv]) == 2
    line = one_error_line(capsys, f"formulacheck {cmd}")
    assert needle in line, line


@pytest.mark.parametrize("argv, needle", [([], "required: COMMAND"), (["nope"], "invalid choice")])
def test_bad_top_level_input(argv, needle, capsys):
    assert main(argv) == 2
    assert needle in one_error_line(capsys, "formulacheck")


def test_a_grade_that_cannot_have_its_isolation_is_bad_input(tmp_path, monkeypatch, capsys):
    from checks.grader import isolation, sandbox

    bare = isolation.Capabilities(None, "bubblewrap (bwrap) is not installed", "libseccomp is not usable", False,
                                  None, "no cgroup")
    monkeypatch.setattr(isolation, "detect", lambda refresh=False: bare)
    monkeypatch.setattr(sandbox, "can_drop_privileges", lambda: False)
    out = tmp_path / "g.csv"
    assert main(["grade", SUB, SUB.replace("alt_correct", "bad_syntax"), "--out", str(out)]) == 2
    line = one_error_line(capsys, "formulacheck grade")
    assert "refusing to grade at isolation level 'none'" in line and "--isolation require=none" in line
    assert not out.exists()


def _assert_bug_report(err: str, prog: str, command: str, *needles: str) -> None:
    lines = err.splitlines()
    assert lines[0].startswith(f"{prog}: internal error (a bug of formulacheck, not of your input): "), err
    assert "Please report this bug" in lines[1] and f"formulacheck {console.version()}" in lines[1], err
    assert f"command: {command}" in lines[1], err
    assert f"{prog}: error:" not in err  # never passed off as bad input
    for n in needles:
        assert n in err, err


@pytest.mark.parametrize("exc", [RuntimeError("simulated bug"), HarnessError("simulated bug"),
                                 KeyError("simulated bug"), OSError("simulated bug")],
                         ids=lambda e: type(e).__name__)
def test_an_unexpected_exception_is_exit_3_with_the_report_request(exc, capsys, monkeypatch):
    from checks import registry

    def boom(*a, **k):
        raise exc

    monkeypatch.setattr(registry, "select", boom)
    assert main(["list", "--group", "softmax"]) == 3
    err = capsys.readouterr().err
    _assert_bug_report(err, "formulacheck list", "formulacheck list --group softmax",
                       "Traceback (most recent call last)", f"{type(exc).__name__}: ", "simulated bug")


def test_a_harness_error_in_verify_is_exit_3_not_a_failed_check(capsys, monkeypatch):
    from checks.cli import verify
    from checks.run import check as engine

    def boom(formula, oracle, call, **k):
        raise HarnessError(f"{formula.id}: simulated oracle bug")

    monkeypatch.setattr(verify, "_warm_up", lambda: None)
    monkeypatch.setattr(engine, "check", boom)
    assert main(["verify", "--id", "softmax.softmax"]) == 3
    cap = capsys.readouterr()
    assert "not graded" in cap.out  # the table says the check did not run
    _assert_bug_report(cap.err, "formulacheck verify", "formulacheck verify --id softmax.softmax",
                       "HarnessError: softmax.softmax: simulated oracle bug", "Traceback")


def test_an_audit_harness_error_is_exit_3_after_the_report_of_the_others(capsys, monkeypatch):
    from checks import audit
    from checks.audit.model import AuditHarnessError, AuditResult

    def evaluate(entry, profile=None):
        if entry.id == "002.7.eq1_sgd":
            raise AuditHarnessError(f"{entry.id}: simulated truth failure")
        return AuditResult(id=entry.id, file=entry.file, location=entry.location, claim="c", quote="q",
                           verdict="verified", evidence="e")

    monkeypatch.setattr(audit, "evaluate", evaluate)
    argv = ["audit", "--format", "json", "--id", "002.7.eq1_sgd", "--id", "002.1.cell_update_line50"]
    assert main(argv) == 3
    cap = capsys.readouterr()
    assert [d["id"] for d in json.loads(cap.out)] == ["002.1.cell_update_line50"]
    _assert_bug_report(cap.err, "formulacheck audit", "formulacheck " + " ".join(argv),
                       "002.7.eq1_sgd: simulated truth failure", "AuditHarnessError")


def test_a_grader_error_is_exit_3_after_every_output_is_written(tmp_path, capsys, monkeypatch):
    import csv

    fake_grader(monkeypatch, fail=True)
    d = tmp_path / "class"
    d.mkdir()
    for n in ("a.py", "b.py"):
        (d / n).write_text("x = 1\n")
    out = tmp_path / "g.csv"
    assert main(["grade", str(d), "--out", str(out)]) == 3
    rows = list(csv.DictReader(out.open()))
    assert [(r["submission"], r["status"]) for r in rows] == [("a.py", "grader error"), ("b.py", "grader error")]
    err = capsys.readouterr().err
    tail = err[err.index("formulacheck grade: internal error"):]
    _assert_bug_report(tail, "formulacheck grade", f"formulacheck grade {d} --out {out}",
                       "2 submission(s) got status 'grader error'", "RuntimeError: simulated grader bug")


def test_ctrl_c_outside_grade_is_130_and_one_line(capsys, monkeypatch):
    from checks import registry

    def interrupt(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(registry, "select", interrupt)
    assert main(["list"]) == 130
    assert capsys.readouterr().err == "formulacheck list: interrupted\n"


def test_version(capsys, monkeypatch):
    from importlib import metadata

    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"formulacheck {metadata.version('formulacheck')}\n"

    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)  # not installed: this clone's pyproject.toml
    with open(ROOT / "pyproject.toml", "rb") as fh:
        assert console.version() == tomllib.load(fh)["project"]["version"]


def test_a_closed_pipe_exits_141_quietly():
    """``formulacheck list | head -1`` with the reader gone before anything is written: no BrokenPipeError."""
    p = subprocess.Popen([sys.executable, "-m", "checks.cli", "list"], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    p.stdout.close()
    err = p.stderr.read().decode()
    assert p.wait(timeout=60) == 141, err
    assert err == ""
