"""The import hook of a runner: it explains a policy verdict, it does not enforce it.

Inside a namespace sandbox a forbidden package is absent from the file
system: removing this hook from ``sys.meta_path`` gains nothing but a
``ModuleNotFoundError``. What the hook adds is the verdict: an import the
policy rejects, made by the submission's own code, is recorded and the
submission scores 0 with the reason, instead of failing obscurely.
"""

from __future__ import annotations

import os
import sys


class Guard:
    """A meta path finder (``find_spec`` is all the import system asks of one; not a subclass of
    ``importlib.abc.MetaPathFinder``, whose import costs every worker 6 ms)."""

    def __init__(self, filename: str, policy: dict, violations: list[str]):
        self.filename = filename
        self.allowed = frozenset(policy["allowed"])
        self.forbidden = frozenset(policy["forbidden"])
        self.stdlib = frozenset(policy["stdlib"])
        self.violations = violations

    def _from_submission(self) -> bool:
        f = sys._getframe(2)
        while f is not None:
            fn = f.f_code.co_filename
            if not (fn.startswith("<frozen importlib") or fn.endswith(os.sep + "importlib" + os.sep + "__init__.py")):
                return fn == self.filename
            f = f.f_back
        return False

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.partition(".")[0]
        if top in self.forbidden:
            why = f"importing {top!r} is forbidden (torch, jax, tensorflow, autograd and the project's own packages are)"
        elif top in self.allowed or top in self.stdlib:
            return None
        elif self._from_submission():
            why = f"importing {top!r} is not allowed (allowed: {', '.join(sorted(self.allowed))} and the standard library)"
        else:
            return None
        if why not in self.violations:
            self.violations.append(why)
        raise ImportError(f"formulacheck policy: {why}")
