"""Loading an implementation under test: a module name or a path to a .py file."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from types import ModuleType
from typing import Callable


class ImplLoadError(Exception):
    pass


def load_impl(spec: str) -> ModuleType:
    """``spec`` is a dotted module name (``reference``) or a path (``student/template.py``)."""
    if spec.endswith(".py") or os.sep in spec or "/" in spec:
        path = os.path.abspath(spec)
        if not os.path.isfile(path):
            raise ImplLoadError(f"--impl {spec!r}: no such file; give a .py file or an importable module name")
        name = "formulacheck_impl_" + os.path.splitext(os.path.basename(path))[0].replace("-", "_")
        mspec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(mspec)
        try:
            mspec.loader.exec_module(mod)
        except BaseException as e:  # a syntax error or a raise at import: say so clearly
            raise ImplLoadError(f"--impl {spec!r}: importing it failed: {type(e).__name__}: {e}") from e
        sys.modules[name] = mod
        return mod
    try:
        return importlib.import_module(spec)
    except BaseException as e:
        raise ImplLoadError(f"--impl {spec!r}: cannot import module: {type(e).__name__}: {e}") from e


def function_of(mod: ModuleType, name: str) -> Callable | None:
    fn = getattr(mod, name, None)
    return fn if callable(fn) else None
