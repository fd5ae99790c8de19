"""The README's "Layout" table is true of the tree.

- every package directory under ``checks/`` (a directory with an ``__init__.py``, at any depth) and
  each top-level directory of :data:`TOP_LEVEL` appears in the table's path column: the directory
  itself (``checks/grader/``) or a file directly inside it (``student/template.py``);
- every path the table names exists: each backticked path of the path column, and each backticked
  path of the "what" column (``tests/mutants/``; a bare file name such as ``grade.py`` is taken in the
  row's directory).
"""

from __future__ import annotations

import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/meta/ -> the clone
TOP_LEVEL = ("benchmarks", "docs", "reference", "student", "tests")
PATHLIKE = re.compile(r"^[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*/?$")


class LayoutError(Exception):
    """The README has no layout table to check."""


def layout_rows(readme: str) -> list[tuple[list[str], list[str]]]:
    """(paths of the path column, path-like names of the "what" column) for each row of the table
    under the "## Layout" heading."""
    m = re.search(r"^##\s+Layout\s*$", readme, re.M | re.I)
    if m is None:
        raise LayoutError('README.md has no "## Layout" heading')
    rows = []
    for line in readme[m.end():].lstrip("\n").splitlines():
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or set(cells[0]) <= set("-: "):
            continue  # the separator row
        paths = re.findall(r"`([^`]+)`", cells[0])
        if not paths:
            continue  # the header row
        names = [t for t in re.findall(r"`([^`]+)`", "|".join(cells[1:])) if PATHLIKE.match(t) and ("/" in t or t.endswith(".py"))]
        rows.append((paths, names))
    if not rows:
        raise LayoutError('README.md: no table of `paths` under "## Layout"')
    return rows


def required_dirs(root: str) -> list[str]:
    """The directories the table must list, relative to ``root``, each ending in "/"."""
    out = [f"{d}/" for d in TOP_LEVEL if os.path.isdir(os.path.join(root, d))]
    for dirpath, dirnames, filenames in os.walk(os.path.join(root, "checks")):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith("."))
        rel = os.path.relpath(dirpath, root).replace(os.sep, "/")
        if rel != "checks" and "__init__.py" in filenames:
            out.append(f"{rel}/")
    return out


def layout_problems(readme: str, root: str) -> list[str]:
    rows = layout_rows(readme)
    listed = [p for paths, _ in rows for p in paths]
    problems = []
    for d in required_dirs(root):
        covered = any(p.rstrip("/") == d.rstrip("/") or os.path.dirname(p.rstrip("/")) == d.rstrip("/") for p in listed)
        if not covered:
            problems.append(f"{d} is not in the layout table")
    for paths, names in rows:
        row = ", ".join(paths)
        for p in paths:
            if not os.path.exists(os.path.join(root, p)):
                problems.append(f"row {row}: {p} does not exist")
        dirs = [p for p in paths if p.endswith("/")]
        for n in names:
            if "/" in n:
                target = n
            elif len(dirs) == 1:
                target = dirs[0] + n
            else:
                problems.append(f"row {row}: {n} names no directory (the row has {len(dirs)})")
                continue
            if not os.path.exists(os.path.join(root, target)):
                problems.append(f"row {row}: {target} does not exist")
    return problems


def test_readme_layout_table_matches_the_tree():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    problems = layout_problems(readme, ROOT)
    assert not problems, "README.md's layout table is out of date:\n  " + "\n  ".join(problems)


# ------------------------------------------------------------------ the check itself can fail


README = """# x

## Layout

| path | what |
|---|---|
| `checks/a/` | the a package (`one.py`, `two.py`) |
| `checks/b/run.py`, `checks/gone.py` | running; `tests/here/` and `tests/missing/` |
| `tests/` | tests |

## Next
"""


def _tree(tmp_path, files):
    for f in files:
        p = tmp_path / f
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("")
    return str(tmp_path)


def test_a_true_table_passes(tmp_path):
    root = _tree(tmp_path, ["checks/__init__.py", "checks/a/__init__.py", "checks/a/one.py", "checks/a/two.py",
                            "checks/b/__init__.py", "checks/b/run.py", "checks/gone.py", "tests/here/x.py",
                            "tests/missing/y.py", "checks/a/__pycache__/z.pyc", "checks/a/data/blob.txt"])
    assert layout_problems(README, root) == []


def test_missing_packages_and_stale_paths_are_named(tmp_path):
    root = _tree(tmp_path, ["checks/__init__.py", "checks/a/__init__.py", "checks/a/one.py", "checks/b/__init__.py",
                            "checks/b/run.py", "checks/new/__init__.py", "checks/a/deep/__init__.py", "tests/here/x.py",
                            "docs/x.md"])
    assert sorted(layout_problems(README, root)) == sorted([
        "docs/ is not in the layout table",
        "checks/new/ is not in the layout table",
        "checks/a/deep/ is not in the layout table",
        "row checks/b/run.py, checks/gone.py: checks/gone.py does not exist",
        "row checks/a/: checks/a/two.py does not exist",
        "row checks/b/run.py, checks/gone.py: tests/missing/ does not exist",
    ])


def test_a_readme_without_the_table_is_a_clear_error():
    with pytest.raises(LayoutError, match='no "## Layout" heading'):
        layout_rows("# x\n\nno table\n")
    with pytest.raises(LayoutError, match="no table"):
        layout_rows("# x\n\n## Layout\n\ntext\n")
