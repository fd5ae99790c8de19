"""formulacheck's pytest plugin (entry point ``pytest11: formulacheck``): ``pytest --impl=FILE``.

Installed with formulacheck (the full package or the student kit), pytest
loads it everywhere; it only adds the ``--impl`` option and does nothing
else unless that option is given.

In a student's own folder (no test paths given, no ``testpaths`` in a
pytest configuration)::

    pytest --impl=my_submission.py           # or --impl=my_notebook.ipynb

collects the plugin's own tests, named after the submission file:

- ``my_submission.py::<formula id>``, one per formula of the public grading
  vectors: the submission is graded once, by the grader itself
  (:class:`checks.grader.grade.Grader`: the import policy, the sandbox, the
  judge), exactly as ``formulacheck check`` grades it (numpy only); a test
  fails with the grader's feedback text. A function not written (missing, or
  raising NotImplementedError) FAILS its test, with "not implemented" (a
  student expects a red line for work not done, not an expected-failure x);
  a forbidden import (torch...) fails every test with the policy message,
  as the grader zeroes the whole submission;
- ``my_submission.py::<formula id>-<oracle>``, only where torch, Hypothesis
  and the formula registry are importable (a developer's clone, not the
  kit): the registry's Hypothesis property checks
  (:func:`checks.run.check.check`) on the submission's functions, loaded in
  this process, as ``tests/test_formulas.py`` runs them.

Given test paths (or a ``testpaths`` configuration, as in the formulacheck
clone), ``--impl`` is only an option: the clone's conftest.py gives it to
``tests/test_formulas.py`` (default there: the reference). A submission
file given as a test path (``pytest --impl=my.py my.py``) is collected as
above.
"""

from __future__ import annotations

import os

import pytest

_STASH_GRADED = pytest.StashKey[object]()
_STASH_IDS = pytest.StashKey[list]()


def pytest_addoption(parser):
    g = parser.getgroup("formulacheck")
    g.addoption("--impl", default=None, metavar="FILE",
                help="formulacheck: the submission (.py or .ipynb) to check; with no test paths, collects one test "
                     "per formula, graded as the grader grades it (in the formulacheck clone: a module name or "
                     ".py path for tests/test_formulas.py, default: reference)")


def _impl_path(config) -> str | None:
    spec = config.getoption("impl", default=None)
    if not spec or not spec.lower().endswith((".py", ".ipynb")):
        return None
    return os.path.abspath(spec)


def pytest_configure(config):
    path = _impl_path(config)
    if path is None or config.args_source is not pytest.Config.ArgsSource.INVOCATION_DIR:
        return
    if not os.path.isfile(path):
        raise pytest.UsageError(f"--impl {config.getoption('impl')!r}: no such file; give your submission's "
                                f".py (or .ipynb) file")
    config.args = [path]  # the student's folder: collect the submission itself (FormulaFile), nothing else


def _is_impl(config, file_path) -> bool:
    path = _impl_path(config)
    return path is not None and os.path.abspath(str(file_path)) == path


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path, parent):
    if _is_impl(parent.config, module_path):
        return FormulaFile.from_parent(parent, path=module_path)
    return None


def pytest_collect_file(file_path, parent):
    if file_path.suffix.lower() == ".ipynb" and _is_impl(parent.config, file_path):
        return FormulaFile.from_parent(parent, path=file_path)
    return None


def pytest_collection_finish(session):
    session.config.stash[_STASH_IDS] = [i.formula_id for i in session.items if isinstance(i, FormulaItem)
                                        and not i.get_closest_marker("skip")]


def pytest_report_header(config):
    if _impl_path(config) is None:
        return None
    ok, why = _properties_available()
    return (f"formulacheck: --impl={config.getoption('impl')}; graded on the public vectors; Hypothesis property "
            f"checks: {'on' if ok else 'off (' + why + ')'}")


def pytest_terminal_summary(terminalreporter, config):
    res = config.stash.get(_STASH_GRADED, None)
    if res is None or isinstance(res, BaseException):
        return
    tr = terminalreporter
    passed = sum(t.passed for t in res.tests)
    tr.write_line(f"formulacheck: {res.name}: score {res.score:g} / {res.max_score:g} ({passed} of {len(res.tests)} "
                  f"formulas passed), graded at isolation level {res.isolation} ({res.resources})")


# --------------------------------------------------------------------------
# the tests
# --------------------------------------------------------------------------

class FormulaFailure(Exception):
    """A formula test failed: the grader's (or the check's) feedback text."""


def _vector_ids() -> list[str]:
    from checks import data
    from checks.core import vecfile

    manifest, _ = vecfile.read_manifest(data.PUBLIC_VECTORS)
    return list(manifest.get("order") or manifest.get("formulas") or ())


def _properties_available() -> tuple[bool, str]:
    import importlib.util

    missing = [m for m in ("torch", "hypothesis", "reference", "checks.registry") if importlib.util.find_spec(m) is None]
    if missing:
        return False, f"needs {', '.join(missing)}: a formulacheck clone with the oracles installed"
    return True, ""


class FormulaFile(pytest.File):
    """The submission file: one test per formula id (and, with the oracles, per formula and oracle)."""

    def collect(self):
        from checks import data
        from checks.cli.check import unjudgeable

        unjudged = set(unjudgeable(data.PUBLIC_VECTORS))
        for fid in _vector_ids():
            item = FormulaItem.from_parent(self, name=fid, formula_id=fid)
            if fid in unjudged:
                item.add_marker(pytest.mark.skip(reason=f"{fid}: not checkable with this installation (the vectors "
                                                        f"file names judge code it lacks: install the formulacheck that built the file)"))
            yield item
        ok, _ = _properties_available()
        if ok:
            from checks import registry

            for f in registry.all_formulas():
                for o in f.oracles:
                    yield PropertyItem.from_parent(self, name=f"{f.id}-{o.name}", formula_id=f.id, oracle=o.name)


class _Item(pytest.Item):
    def __init__(self, *, formula_id: str, **kw):
        super().__init__(**kw)
        self.formula_id = formula_id

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, FormulaFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, 0, f"{self.path.name}::{self.name}"


def _graded(config, path: str):
    """The grader's result for the submission (graded once per session, on the formulas collected)."""
    res = config.stash.get(_STASH_GRADED, None)
    if res is None:
        from checks.grader.grade import Grader

        ids = config.stash.get(_STASH_IDS, None) or None
        try:
            with Grader(ids=ids) as g:
                res = g.grade_file(path)
        except Exception as e:  # the grader could not start (isolation...): every test says so
            res = e
        config.stash[_STASH_GRADED] = res
    if isinstance(res, BaseException):
        raise res
    return res


class FormulaItem(_Item):
    """One formula id graded from the public vectors, by the grader."""

    def runtest(self):
        res = _graded(self.config, str(self.path))
        for t in res.tests:
            if t.id == self.formula_id:
                if not t.passed:
                    raise FormulaFailure(t.feedback)  # the grader's text (with its diagnosis, if any)
                return
        raise FormulaFailure(f"{self.formula_id}: not graded ({res.status}: {res.message})")


_MODULES: dict[str, object] = {}


def _load_submission(path: str):
    """The submission as a module of this process (for the property checks), from the text the grader reads."""
    mod = _MODULES.get(path)
    if mod is None:
        import types

        from checks.grader.source import read_submission

        src = read_submission(path)
        if src.error is not None:
            raise FormulaFailure(f"{os.path.basename(path)}: unreadable: {src.error}")
        mod = types.ModuleType("formulacheck_impl_" + os.path.splitext(os.path.basename(path))[0].replace("-", "_"))
        mod.__file__ = path
        try:
            exec(compile(src.text, path, "exec"), mod.__dict__)
        except BaseException as e:
            mod = FormulaFailure(f"{os.path.basename(path)}: importing it failed: {type(e).__name__}: {e}")
        _MODULES[path] = mod
    if isinstance(mod, FormulaFailure):
        raise mod
    return mod


class PropertyItem(_Item):
    """One Hypothesis property check of the registry (formula x oracle) on the submission, in process."""

    def __init__(self, *, oracle: str, **kw):
        super().__init__(**kw)
        self.oracle = oracle

    def runtest(self):
        from checks import registry
        from checks.run.check import check, local_caller
        from checks.run.impl import function_of

        f = registry.get(self.formula_id)
        o = next(o for o in f.oracles if o.name == self.oracle)
        fn = function_of(_load_submission(str(self.path)), f.fn_name)
        res = check(f, o, local_caller(fn, f.fn_name, fresh_outputs=f.fresh_outputs))
        if not res.passed:
            raise FormulaFailure(res.message)
