"""The import policy, checked statically (AST, in the grader) before anything runs.

In the sandbox a forbidden package is absent from the file system; the
runner's import hook (``checks.worker.guard``) explains the verdict of a
dynamic import the AST cannot see (``__import__("to" + "rch")``).

Allowed: the standard library plus ``allowed_imports`` (numpy, scipy, math by
default). Forbidden, always reported as a policy violation: torch, jax,
tensorflow, autograd and the project's own packages (``reference``,
``checks``). Any other third-party package is not allowed either.
"""

from __future__ import annotations

import ast
import sys
import threading
from dataclasses import dataclass, field

DEFAULT_ALLOWED = ("numpy", "scipy", "math")
DEFAULT_FORBIDDEN = (
    "torch", "torchvision", "functorch", "jax", "jaxlib", "flax", "tensorflow", "keras",
    "autograd", "reference", "checks",
)
STDLIB = frozenset(sys.stdlib_module_names)
# CPython 3.11 shares the AST constructor's state between threads (python/cpython#106905):
# two job slots parsing at once can fail with "AST constructor recursion depth mismatch"
_PARSE_LOCK = threading.Lock()


@dataclass(frozen=True)
class Policy:
    allowed: tuple[str, ...] = DEFAULT_ALLOWED
    forbidden: tuple[str, ...] = DEFAULT_FORBIDDEN

    def why_not(self, module: str) -> str | None:
        """None when ``module`` may be imported, else the reason."""
        top = module.split(".", 1)[0]
        if top in self.forbidden:
            return f"importing {top!r} is forbidden (torch, jax, tensorflow, autograd and the project's own packages are)"
        if top in self.allowed or top in STDLIB:
            return None
        allowed = ", ".join(self.allowed)
        return f"importing {top!r} is not allowed (allowed: {allowed} and the standard library)"

    def to_wire(self) -> dict:
        return {"allowed": list(self.allowed), "forbidden": list(self.forbidden), "stdlib": sorted(STDLIB)}


@dataclass
class ScanResult:
    syntax_error: str | None = None
    violations: list[str] = field(default_factory=list)


def _literal_str(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def scan(source: str, policy: Policy, filename: str = "submission.py") -> ScanResult:
    """Parse ``source`` and list every import it makes that the policy rejects."""
    res = ScanResult()
    try:
        with _PARSE_LOCK:
            tree = ast.parse(source, filename=filename)
    except SyntaxError as e:
        where = (f" at line {e.lineno}" + (f", column {e.offset}" if e.offset else "")) if e.lineno else ""
        res.syntax_error = f"syntax error{where}: {e.msg}"
        return res
    except (ValueError, RecursionError, MemoryError) as e:  # null bytes, absurd nesting
        res.syntax_error = f"the file cannot be parsed: {type(e).__name__}: {e}"
        return res
    seen: set[str] = set()

    def check(name: str, node) -> None:
        why = policy.why_not(name)
        if why and name not in seen:
            seen.add(name)
            res.violations.append(f"line {getattr(node, 'lineno', '?')}: {why}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                check(a.name, node)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                check(node.module, node)
            elif node.level:
                res.violations.append(f"line {node.lineno}: relative imports are not allowed in a one-file submission")
        elif isinstance(node, ast.Call) and node.args:
            f = node.func
            fname = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
            if fname in ("__import__", "import_module"):
                lit = _literal_str(node.args[0])
                if lit is not None:
                    check(lit, node)
    return res
