"""The reference implementation: numpy, one module per contract group.

This package satisfies the student contract (``student-api``): every public
function of its submodules is re-exported here, so ``reference`` can be
graded or checked like a submission (``pytest --impl reference``).
"""

from __future__ import annotations

import importlib as _importlib
import pkgutil as _pkgutil

__all__: list[str] = []

for _m in sorted(_pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _m.name.startswith("_"):
        continue
    _mod = _importlib.import_module(f"{__name__}.{_m.name}")
    for _name, _obj in vars(_mod).items():
        if callable(_obj) and not _name.startswith("_") and getattr(_obj, "__module__", None) == _mod.__name__:
            globals()[_name] = _obj
            __all__.append(_name)

del _m, _mod, _name, _obj
