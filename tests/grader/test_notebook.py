"""Jupyter notebook (.ipynb) submissions (checks/grader/notebook.py, checks/grader/source.py).

Before: an .ipynb was run as Python ("NameError: name 'null' is not
defined"). Now its code cells are the program, IPython lines (magics, shell
commands, help) are left out and listed, and locations read "cell K, line L
of sub.ipynb" (K counts every cell from the top, markdown included).

Notebooks are built with nbformat's own v4 constructors. End-to-end grading
uses a handful of formula ids and a few examples each: a few seconds.
"""

from __future__ import annotations

import ast
import importlib
import json
from dataclasses import replace
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat import v4

from checks import registry
from checks.core.verdicts import Verdict
from checks.grader import notebook, refsub
from checks.grader.grade import Grader
from checks.grader.notebook import make_locate, relocate_result
from checks.grader.policy import Policy, scan
from checks.grader.rubric import Limits, Rubric
from checks.grader.source import decode_source, read_submission, worker_file_name

SUBS = Path(__file__).parent.parent / "submissions"
IDS = ["activations.sigmoid", "activations.relu_backward", "softmax.softmax", "softmax.cross_entropy"]


def _nb(*cells, metadata: dict | None = None) -> nbformat.NotebookNode:
    """A v4 notebook: a str is a code cell, ("md", text) a markdown cell, ("raw", text) a raw cell."""
    nb = v4.new_notebook(metadata=metadata or {})
    for c in cells:
        if isinstance(c, tuple):
            nb.cells.append(v4.new_markdown_cell(c[1]) if c[0] == "md" else v4.new_raw_cell(c[1]))
        else:
            nb.cells.append(v4.new_code_cell(c))
    return nb


def _write(tmp_path: Path, name: str, nb) -> str:
    p = tmp_path / name
    nbformat.write(nb, str(p))
    return str(p)


def _chunks(src: str, k: int) -> list[str]:
    """``src`` cut at top-level statement boundaries into ``k`` pieces (each a valid program part)."""
    starts = [n.lineno - 1 for n in ast.parse(src).body]
    lines = src.splitlines(keepends=True)
    cuts = [0] + [starts[len(starts) * j // k] for j in range(1, k)] + [len(lines)]
    return ["".join(lines[a:b]) for a, b in zip(cuts, cuts[1:])]


def reference_notebook() -> nbformat.NotebookNode:
    """The reference as a notebook: 4 code chunks, markdown between, a %matplotlib and a !pip line.

    Cells: 1 md, 2 code (%matplotlib + import), 3 md, 4 code (chunk 1), 5 md, 6 code (!pip + chunk 2),
    7 md, 8 code (chunk 3), 9 raw, 10 code (chunk 4).
    """
    a, b, c, d = _chunks(refsub.build(), 4)
    return _nb(("md", "# My formulas"), "%matplotlib inline\nimport numpy as np\n", ("md", "## Part 1"), a,
               ("md", "## Part 2\n\nsome `%not code`"), "!pip install x\n" + b, ("md", "## Part 3"), c,
               ("raw", "%raw is skipped"), d,
               metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
                         "language_info": {"name": "python", "version": "3.11.7"}})


@pytest.fixture(scope="module")
def grader():
    rub = replace(Rubric(), examples_default=3, limits=replace(Limits(), timeout=10.0, import_timeout=20.0))
    with Grader(rub, ids=IDS) as g:
        yield g


# --------------------------------------------------------------------------
# (1) the reference as a notebook
# --------------------------------------------------------------------------

def test_the_reference_notebook_is_the_reference_program(tmp_path):
    ref_softmax = importlib.import_module("reference.softmax")
    ref_activations = importlib.import_module("reference.activations")

    nb = reference_notebook()
    src = read_submission(_write(tmp_path, "ref.ipynb", nb))
    assert src.ok, src.error
    assert src.data == src.text.encode("utf-8") and src.encoding == "utf-8" and src.locate is not None
    assert decode_source(src.data).text == src.text      # what grade_bytes decodes is the same program
    assert src.notes == ("left out 2 IPython lines (not Python, not run): cell 2, line 1 `%matplotlib inline`, "
                         "cell 6, line 1 `!pip install x`",)
    ns: dict = {"__name__": "nb_reference"}
    exec(compile(src.text, "ref.py", "exec", dont_inherit=True), ns)
    z = np.array([[1000.0, 0.0, -3.0], [0.5, 0.25, 2.0]])
    np.testing.assert_array_equal(ns["softmax"](z), ref_softmax.softmax(z))
    x = np.linspace(-40, 40, 9)
    np.testing.assert_array_equal(ns["sigmoid"](x), ref_activations.sigmoid(x))
    assert callable(ns["cross_entropy"]) and callable(ns["relu_backward"])


def test_every_program_line_maps_back_to_its_cell_and_line():
    nb = reference_notebook()
    prog = notebook.to_program(nb)
    lines = prog.text.splitlines()
    assert len(lines) == len(prog.lines) == sum(len(c.source.splitlines()) for c in nb.cells if c.cell_type == "code")
    left = {(x.cell, x.line) for x in prog.left_out}
    for n, (cell, line) in enumerate(prog.lines, 1):
        assert nb.cells[cell - 1].cell_type == "code"
        want = "pass" if (cell, line) in left else nb.cells[cell - 1].source.splitlines()[line - 1]
        assert lines[n - 1] == want, (n, cell, line)
    assert prog.where(1) == "cell 2, line 1" and prog.where(len(lines)) is not None
    assert prog.where(0) is None and prog.where(len(lines) + 1) is None


def test_ipython_lines_left_out_only_where_ipython_would_see_them():
    cells = [
        "def f(x):\n    %time y = 1\n    return x + 1\n",          # a magic alone in a block: pass keeps it valid
        "x = (7\n% 4)\ns = '''\n%not a magic\n!nor this\n'''\nw = 10 \\\n% 4\nu = 'a\\\n%b'\n",  # Python
        "!pip install a \\\n    b\nfiles = !ls\nnp.mean?\n?np.sum\n",
        "\n%%timeit\nthis is not python(\n",                        # a cell magic: the whole cell
        "get_ipython().run_cell_magic('bash', '',\n   'echo hi')\nz = x  # what?\n",
    ]
    prog = notebook.to_program(_nb(("md", "intro"), *cells))
    ns: dict = {}
    exec(compile(prog.text, "p.py", "exec"), ns)
    assert ns["f"](1) == 2 and ns["x"] == 3 and "%not a magic\n!nor this" in ns["s"] and ns["z"] == 3
    assert ns["w"] == 2 and ns["u"] == "a%b"
    got = [(x.cell, x.line, x.lines, x.kind) for x in prog.left_out]
    assert got == [(2, 2, 1, "line magic"), (4, 1, 2, "shell command"), (4, 3, 1, "shell command"),
                   (4, 4, 1, "help"), (4, 5, 1, "help"), (5, 2, 2, "cell magic"),
                   (6, 1, 2, "get_ipython() call")]
    assert prog.notes[0].startswith("left out 10 IPython lines (not Python, not run): cell 2, line 2 `%time y = 1`")
    assert "cell 5, lines 2-3 `%%timeit` (a cell magic: the whole cell)" in prog.notes[0]


# --------------------------------------------------------------------------
# (2) locations in the notebook's terms
# --------------------------------------------------------------------------

def test_a_syntax_error_in_cell_3_line_2_is_reported_there(tmp_path, grader):
    nb = _nb(("md", "# title"), "import numpy as np\n\n", "def sigmoid(x):\n    return 1 / (1 + np.exp(-x)\n\n",
             ("md", "after"), "def relu_backward(x, dy):\n    return dy * (x > 0)\n")
    p = _write(tmp_path, "sub.ipynb", nb)
    src = read_submission(p)
    sc = scan(src.text, Policy(), src.name)
    assert sc.syntax_error.startswith("syntax error at line 4,")          # the program's line...
    assert src.locate(sc.syntax_error).startswith("syntax error at cell 3, line 2, column")  # ...the notebook's
    res = grader.grade_file(p)
    relocate_result(res, src.locate)
    assert res.status == "syntax error" and res.score == 0
    assert "cell 3, line 2" in res.message and "line 4" not in res.message, res.message
    assert all("cell 3, line 2" in t.feedback and "line 4," not in t.reason for t in res.tests)


def test_a_runtime_error_in_cell_3_line_2_is_reported_there(tmp_path, grader):
    nb = _nb(("md", "# title"), "import numpy as np\n", "def sigmoid(x):\n    return 1 / (1 + np.exp(-x)) + oops\n")
    p = _write(tmp_path, "sub.ipynb", nb)
    src = read_submission(p)
    assert worker_file_name(src.name) == "sub.py"
    # the worker's own format (checks/worker/runner.py Runner.where) for program line 3
    msg = "sigmoid raised NameError: name 'oops' is not defined (line 3 of sub.py)"
    assert src.locate(msg) == "sigmoid raised NameError: name 'oops' is not defined (cell 3, line 2 of sub.ipynb)"
    res = grader.grade_file(p)
    t = {t.id: t for t in res.tests}["activations.sigmoid"]
    # grade_file relocates (checks/grader/grade.py); relocating again changes nothing
    assert t.verdict is Verdict.ERROR and "(cell 3, line 2 of sub.ipynb)" in t.feedback, t.feedback
    relocate_result(res, src.locate)
    assert "(cell 3, line 2 of sub.ipynb)" in t.feedback and "of sub.py" not in t.feedback, t.feedback
    assert "cell 3, line 2 of sub.ipynb" in t.reason


def test_policy_violations_are_located_in_their_cells(tmp_path):
    nb = _nb("import numpy as np\n", ("md", "## 2"), ("md", "## 3"), "x = 1\nimport torch\nimport requests\n")
    src = read_submission(_write(tmp_path, "sub.ipynb", nb))
    sc = scan(src.text, Policy(), src.name)
    assert [v.split(":")[0] for v in sc.violations] == ["line 3", "line 4"]
    assert [v.split(":")[0] for v in src.locate("; ".join(sc.violations)).split("; ")] == \
        ["cell 4, line 2", "cell 4, line 3"]


def test_locate_rewrites_the_graders_forms_and_nothing_else():
    prog = notebook.to_program(_nb(("md", "m"), "import os\n", ("md", "m"), "x = 1\nimport torch\n"))
    loc = make_locate(prog, "hw.py", "hw.ipynb")
    cases = {
        "importing the submission raised ValueError: bad (line 2 of hw.py)":
            "importing the submission raised ValueError: bad (cell 4, line 1 of hw.ipynb)",
        "line 3: importing 'torch' is forbidden; line 1: importing 'os' is not allowed":
            "cell 4, line 2: importing 'torch' is forbidden; cell 2, line 1: importing 'os' is not allowed",
        "policy violation: line 3: importing 'torch'": "policy violation: cell 4, line 2: importing 'torch'",
        "f: policy violation\nline 3: importing 'torch'": "f: policy violation\ncell 4, line 2: importing 'torch'",
        'Traceback:\n  File "hw.py", line 2, in <module>': 'Traceback:\n  File "hw.ipynb", cell 4, line 1, in <module>',
        "syntax error at line 2, column 3: invalid syntax": "syntax error at cell 4, line 1, column 3: invalid syntax",
    }
    for before, after in cases.items():
        assert loc(before) == after
        assert loc(after) == after                      # twice changes nothing
    for same in ("f raised KeyError: 'line 2' (line 9 of hw.py)",      # not a line of the program
                 "f raised ValueError: x (line 2 of numpy/core.py)",    # another file
                 "f raised ValueError: x (line 2 of hw.pyc)", "bad line 2 of input", ""):
        assert loc(same) == same


# --------------------------------------------------------------------------
# (3) files that are not (usable) notebooks
# --------------------------------------------------------------------------

NOT_NOTEBOOKS = {
    "garbage": (b"\x00\x9f\x92\x96 garbage", "not a Jupyter notebook: the file is not UTF-8 text"),
    "python": (b"import numpy as np\n\ndef f(x):\n    return x\n", "not a Jupyter notebook: the file is not JSON"),
    "empty": (b"", "not a Jupyter notebook: the file is not JSON"),
    "list": (b"[1, 2, 3]", "not a Jupyter notebook: JSON holding a list without the \"nbformat\" key"),
    "object": (b'{"cells": []}', "not a Jupyter notebook: a JSON object without the \"nbformat\" key"),
    "v99": (json.dumps({"nbformat": 99, "nbformat_minor": 0, "cells": [], "metadata": {}}).encode(),
            "not a Jupyter notebook nbformat can read as version 4: Unsupported nbformat version 99"),
    "cells": (json.dumps({"nbformat": 4, "nbformat_minor": 5, "cells": 3, "metadata": {}}).encode(),
              "not a Jupyter notebook nbformat can read as version 4"),
    "md only": (nbformat.writes(_nb(("md", "# only"), ("raw", "words"))).encode(),
                "the notebook has no code cell (2 cells: markdown, raw); write your functions in code cells"),
    "no cells": (nbformat.writes(_nb()).encode(), "the notebook has no code cell (0 cells)"),
    "R": (nbformat.writes(_nb("x <- c(1, 2)", metadata={"kernelspec": {"name": "ir", "language": "R",
                                                                        "display_name": "R"}})).encode(),
          "a notebook in 'R', not Python (its kernel's language): write the submission in a Python notebook"),
    "empty code": (nbformat.writes(_nb(("md", "x"), "", "\n  \n")).encode(),
                   "the notebook's 2 code cells are empty; write your functions in code cells"),
}


@pytest.mark.parametrize("key", sorted(NOT_NOTEBOOKS))
def test_a_file_that_is_not_a_notebook_has_a_one_line_reason(tmp_path, key):
    data, start = NOT_NOTEBOOKS[key]
    p = tmp_path / "sub.ipynb"
    p.write_bytes(data)
    src = read_submission(str(p))
    assert not src.ok and src.error.startswith(start), src.error
    assert "\n" not in src.error and "Traceback" not in src.error and len(src.error) < 300


def test_a_non_notebook_scores_zero_as_unreadable(tmp_path, grader):
    p = tmp_path / "sub.IPYNB"
    p.write_text('{"a": 1}')
    res = grader.grade_file(str(p))
    assert res.status == "unreadable" and res.score == 0 and len(res.tests) == len(IDS)
    assert res.message.startswith("not a Jupyter notebook: a JSON object"), res.message


def test_a_notebook_off_the_schema_is_graded_with_a_note(tmp_path):
    d = json.loads(nbformat.writes(_nb("def f(x):\n    return x\n")))
    d["cells"][0]["execution_count"] = "seven"          # breaks the schema; the code is still there
    p = tmp_path / "odd.ipynb"
    p.write_text(json.dumps(d))
    src = read_submission(str(p))
    assert src.ok and src.text == "def f(x):\n    return x\n"
    assert len(src.notes) == 1 and src.notes[0].startswith("the notebook does not follow the nbformat 4 schema (")
    assert "cells/0/execution_count" in src.notes[0]


def test_an_old_v3_notebook_is_converted(tmp_path):
    d = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": [
        {"cell_type": "markdown", "source": "hi"},
        {"cell_type": "code", "input": "%pylab inline\ny = 2", "language": "python", "outputs": []}]}]}
    p = tmp_path / "old.ipynb"
    p.write_text(json.dumps(d))
    src = read_submission(str(p))
    assert src.ok and src.text == "pass\ny = 2\n" and "cell 2, line 1 `%pylab inline`" in src.notes[0]


# --------------------------------------------------------------------------
# (4) .py files: unchanged
# --------------------------------------------------------------------------

def test_py_files_are_read_as_before(tmp_path):
    data = "\ufeff# -*- coding: utf-8 -*-\r\nimport numpy as np\r\n".encode("utf-8")
    p = tmp_path / "sub.py"
    p.write_bytes(data)
    src = read_submission(str(p))
    d = decode_source(data)
    assert (src.data, src.text, src.encoding, src.notes, src.error, src.locate) == (data, d.text, d.encoding, d.notes,
                                                                                    None, None)
    nbjson = nbformat.writes(_nb("x = 1"))
    (tmp_path / "nb.py").write_text(nbjson)          # notebook JSON named .py is Python (and fails as such)
    src = read_submission(str(tmp_path / "nb.py"))
    assert src.ok and src.text == nbjson and src.locate is None
    assert [worker_file_name(n) for n in ("sub.py", "a b.py", ".py", "x.txt", "sub.ipynb", "HW.IPYNB", ".ipynb")] \
        == ["sub.py", "a b.py", "submission.py", "submission.py", "sub.py", "HW.py", "submission.py"]


# --------------------------------------------------------------------------
# end to end: the grader
# --------------------------------------------------------------------------

def test_the_reference_notebook_gets_full_marks_and_a_wrong_cell_loses_its_formula(tmp_path, grader):
    nb = reference_notebook()
    res = grader.grade_file(_write(tmp_path, "ref.ipynb", nb))
    assert res.status == "ok", res.message
    assert {t.id for t in res.tests} == set(IDS) and all(t.passed for t in res.tests), \
        {t.id: t.feedback for t in res.tests if not t.passed}
    assert res.score == res.max_score > 0
    assert "cell 6, line 1 `!pip install x`" in res.message     # the note: what was left out

    nb.cells += [v4.new_markdown_cell("## my own softmax"), v4.new_code_cell((SUBS / "wrong_softmax.py").read_text())]
    res = grader.grade_file(_write(tmp_path, "wrong.ipynb", nb))
    failed = [t.id for t in res.tests if not t.passed]
    assert failed == ["softmax.softmax"], {t.id: t.reason for t in res.tests if not t.passed}
    assert res.score == res.max_score - registry.get("softmax.softmax").points
    t = {t.id: t for t in res.tests}["softmax.softmax"]
    assert "Smallest failing input:" in t.feedback and "softmax(" in t.feedback
