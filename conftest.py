"""pytest options of formulacheck.

--impl=PATH_OR_MODULE   run the formula checks against that module (default: reference);
                        the option belongs to the pytest plugin (checks/pytest_plugin.py, entry
                        point pytest11 "formulacheck"), which this conftest registers itself when
                        the installed metadata predates the entry point (an old editable install).
                        Write it with "=": a bare path argument would make pytest take its
                        folder as the rootdir and miss this conftest
--fc-profile NAME       Hypothesis profile: dev, ci (default), grade, thorough
                        (or set FORMULACHECK_PROFILE)
--hypothesis-seed N     (Hypothesis' own option) seeds every formula check too
"""

from __future__ import annotations

import os

import pytest


def pytest_addoption(parser, pluginmanager):
    if not pluginmanager.has_plugin("formulacheck"):  # installed before the pytest11 entry point existed
        import checks.pytest_plugin

        pluginmanager.register(checks.pytest_plugin, "formulacheck")  # its pytest_addoption runs (historic hook)
    g = parser.getgroup("formulacheck")
    g.addoption("--fc-profile", default=None, help="Hypothesis profile: dev, ci, grade, thorough (default: $FORMULACHECK_PROFILE or ci)")


def pytest_configure(config):
    from hypothesis import HealthCheck, settings

    from checks.run import check as engine, profiles

    # defaults for the tests' own @settings: no example database (no .hypothesis/ in the
    # clone), no deadline and no health checks (the 2-core CI machine runs two workers;
    # "too slow" there says nothing about the code under test)
    settings.register_profile("formulacheck-tests", database=None, deadline=None, suppress_health_check=list(HealthCheck))
    settings.load_profile("formulacheck-tests")
    _import_lazy_modules_here()
    prof = config.getoption("--fc-profile")
    try:
        if prof:
            os.environ[profiles.ENV] = profiles.resolve(prof)
        else:
            profiles.resolve(None)  # fail early on a bad $FORMULACHECK_PROFILE
    except ValueError as e:
        raise pytest.UsageError(str(e).replace("--profile=", "--fc-profile=")) from None
    seed = config.getoption("hypothesis_seed", default=None)
    if seed is not None:
        engine.GLOBAL_SEED = int(seed)


@pytest.fixture(scope="session")
def impl(request):
    """The implementation under test (a module)."""
    from checks.run.impl import ImplLoadError, load_impl

    spec = request.config.getoption("--impl") or "reference"
    try:
        return load_impl(spec)
    except ImplLoadError as e:
        pytest.exit(str(e), returncode=4)


@pytest.fixture(scope="session")
def impl_name(request):
    return request.config.getoption("--impl") or "reference"


def pytest_collection_modifyitems(config, items):
    """With --impl other than the reference, run only the formula checks (the harness's
    own tests are about the reference and the checks, not about a submission)."""
    if (config.getoption("--impl") or "reference") == "reference":
        return
    from checks.pytest_plugin import FormulaItem, PropertyItem

    keep = [i for i in items if i.nodeid.split("::", 1)[0].endswith("test_formulas.py")
            or isinstance(i, (FormulaItem, PropertyItem))]
    drop = [i for i in items if i not in keep]
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _import_lazy_modules_here() -> None:
    """Import now, in the main thread, what the grader's background threads import on first use.

    pytest rewrites the asserts of every ``checks`` module on its first import (the package of a
    pytest11 plugin is marked for rewriting), with ``ast.parse``; CPython 3.11's conversion of
    an AST to Python objects is not thread-safe, so a judge module first imported by the
    grader's vectors-reading thread while the main thread parses (``refsub.build``) failed with
    "SystemError: AST constructor recursion depth mismatch". Outside pytest nothing rewrites
    imports, and the grader's own parses hold ``checks.grader.policy._PARSE_LOCK``.
    """
    import importlib
    import pkgutil

    import checks

    for pkg in ("judges", "core", "grader", "worker"):
        mod = importlib.import_module(f"checks.{pkg}")
        for m in pkgutil.iter_modules(mod.__path__, f"checks.{pkg}."):
            importlib.import_module(m.name)
    del checks
