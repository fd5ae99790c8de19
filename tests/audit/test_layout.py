"""The audit's layout: one entry module per notes section (or group of small sections) under
``checks/audit/notes/``, every one of them collected by :func:`checks.audit.all_entries`, none
longer than 600 lines, and no module of the audit calling Hypothesis' ``given`` (only
``checks.run.draw`` does).

Each check is a function returning its problems, run on the real tree and on a small fake one
that has every defect, so a check that cannot fail would show here.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Callable

import pytest

import checks.audit
from checks import audit
from checks.audit import notes as notes_pkg
from checks.audit.model import FILES

AUDIT_DIR = Path(checks.audit.__file__).parent
MAX_LINES = 600


def long_modules(root: Path, limit: int = MAX_LINES) -> list[str]:
    """The ``.py`` files under ``root`` longer than ``limit`` lines, with their length."""
    out = []
    for p in sorted(root.rglob("*.py")):
        n = len(p.read_text(encoding="utf-8").splitlines())
        if n > limit:
            out.append(f"{p.relative_to(root)}: {n} lines (> {limit})")
    return out


def entry_modules_on_disk(notes_dir: Path) -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules([str(notes_dir)]) if not m.name.startswith("_"))


def collection_problems(notes_dir: Path, modules: tuple[str, ...], load: Callable[[str], ModuleType],
                        collected_ids: list[str]) -> list[str]:
    """Entry modules not listed in ``modules`` (or listed but absent), modules without an entry, and
    entries the collection (``collected_ids``, in order) lost, added or reordered."""
    problems = []
    on_disk = set(entry_modules_on_disk(notes_dir))
    problems += [f"{m} is not in MODULES: all_entries() never collects it" for m in sorted(on_disk - set(modules))]
    problems += [f"{m} is in MODULES but not in {notes_dir.name}/" for m in modules if m not in on_disk]
    expected: list[str] = []
    for m in modules:
        if m not in on_disk:
            continue
        ids = [e.id for e in load(m).ENTRIES]
        if not ids:
            problems.append(f"{m} contributes no entry")
        expected += ids
    if collected_ids != expected:
        problems.append(f"all_entries() yields {len(collected_ids)} entries, the modules in MODULES' order {len(expected)} "
                        f"(first difference at {next((i for i, (a, b) in enumerate(zip(collected_ids, expected)) if a != b), min(len(collected_ids), len(expected)))})")
    return problems


def given_users(root: Path) -> list[str]:
    """Files under ``root`` that import or call ``given`` (Hypothesis' runner)."""
    out = []
    for p in sorted(root.rglob("*.py")):
        tree = ast.parse(p.read_text(encoding="utf-8"))
        for n in ast.walk(tree):
            if (isinstance(n, ast.ImportFrom) and any(a.name == "given" for a in n.names)) or \
               (isinstance(n, ast.Attribute) and n.attr == "given") or (isinstance(n, ast.Name) and n.id == "given"):
                out.append(f"{p.relative_to(root)}:{n.lineno}")
                break
    return out


def _load(m: str) -> ModuleType:
    return importlib.import_module(f"checks.audit.notes.{m}")


# ------------------------------------------------------------------ the real tree


def test_no_audit_module_exceeds_600_lines():
    assert not long_modules(AUDIT_DIR)


def test_every_entry_module_is_collected_by_all_entries():
    notes_dir = Path(notes_pkg.__file__).parent
    assert len(entry_modules_on_disk(notes_dir)) >= 4
    assert not collection_problems(notes_dir, audit.MODULES, _load, [e.id for e in audit.all_entries()])


def test_each_entry_module_names_its_notes_file_and_holds_only_its_entries():
    for m in audit.MODULES:
        short = re.match(r"n(\d{3})_", m).group(1)
        mod = _load(m)
        assert FILES[short] in (mod.__doc__ or ""), m
        assert {e.short_file for e in mod.ENTRIES} == {short}, m


def test_modules_are_listed_in_the_order_of_the_notes_files():
    shorts = [m[1:4] for m in audit.MODULES]
    assert shorts == sorted(shorts)


def test_the_audit_never_calls_given():
    assert not given_users(AUDIT_DIR)


# ------------------------------------------------------------------ the checks fail on a wrong tree


@pytest.fixture
def fake_notes(tmp_path, monkeypatch):
    """A fake entry package: n001_a (2 entries), n001_b (none), n001_c (1 entry, not listed)."""
    pkg = tmp_path / "fakeaudit_notes"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "_helpers.py").write_text("X = 1\n")  # a private helper module is not an entry module
    (pkg / "n001_a.py").write_text("from types import SimpleNamespace as E\nENTRIES = [E(id='a1'), E(id='a2')]\n")
    (pkg / "n001_b.py").write_text("ENTRIES = []\n")
    (pkg / "n001_c.py").write_text("from types import SimpleNamespace as E\nENTRIES = [E(id='c1')]\n")
    (pkg / "long.py").write_text("x = 1\n" * (MAX_LINES + 1))
    (pkg / "runner.py").write_text("from hypothesis import given\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield pkg
    for name in [n for n in sys.modules if n.startswith("fakeaudit_notes")]:
        del sys.modules[name]


def test_the_checks_find_every_defect_of_a_wrong_tree(fake_notes):
    load = lambda m: importlib.import_module(f"fakeaudit_notes.{m}")  # noqa: E731
    listed = ("n001_a", "n001_b", "n001_gone")
    p = collection_problems(fake_notes, listed, load, ["a1", "a2"])
    assert any("n001_c is not in MODULES" in x for x in p)
    assert any("n001_gone is in MODULES" in x for x in p)
    assert any("n001_b contributes no entry" in x for x in p)
    # an entry lost or reordered by the collection is caught too
    ok = ("n001_a", "n001_c")
    assert not [x for x in collection_problems(fake_notes, ok, load, ["a1", "a2", "c1"]) if x.startswith("all_entries() yields")]
    assert [x for x in collection_problems(fake_notes, ok, load, ["a1", "c1"]) if x.startswith("all_entries() yields")]
    assert [x for x in collection_problems(fake_notes, ok, load, ["a2", "a1", "c1"]) if x.startswith("all_entries() yields")]
    assert long_modules(fake_notes) == [f"long.py: {MAX_LINES + 1} lines (> {MAX_LINES})"]
    assert given_users(fake_notes) == ["runner.py:1"]
