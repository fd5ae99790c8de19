"""Attack: switch off the worker's import hook, then import the project's `reference` package.

The grader's run-time import policy is a finder in sys.meta_path. This file
removes every finder that comes from the grader (and, in case one is kept,
empties its forbidden/allowed sets), puts the project's root back on
sys.path (from the zygote's command line or the editable finder's MAPPING)
and imports ``reference.activations`` under a computed name, so that the
AST scan sees no literal.

Expected verdict: no points (a policy violation, an import error or "not
implemented" everywhere), no reference function is ever graded as the
submission's; the neighbour keeps full marks.
"""
import importlib
import os
import re
import sys

FUNCS = ("sigmoid", "sigmoid_backward", "tanh_backward", "relu_backward", "leaky_relu_backward", "prelu_backward")


def _say(key, value):
    print(f"FCH {key}={value}", flush=True)


def _disarm():
    n = 0
    for f in list(sys.meta_path):
        mod = getattr(type(f), "__module__", "") or ""
        if "grader" in mod or "worker" in mod or type(f).__name__ in ("_Guard", "Guard", "ImportGuard"):
            for attr in ("forbidden", "allowed", "stdlib"):
                if hasattr(f, attr):
                    try:
                        setattr(f, attr, frozenset() if attr == "forbidden" else frozenset(sys.modules) | set(sys.stdlib_module_names) | {"reference", "checks", "torch"})
                    except Exception:
                        pass
            try:
                sys.meta_path.remove(f)
                n += 1
            except ValueError:
                pass
    _say("guards_removed", n)


def _add_roots():
    roots = []
    try:
        with open(f"/proc/{os.getppid()}/cmdline", "rb") as fh:
            roots += re.findall(r"insert\(0, '([^']+)'\)", fh.read().decode("utf-8", "replace"))
    except OSError:
        pass
    for mod in list(sys.modules.values()):
        mapping = getattr(mod, "MAPPING", None)
        if isinstance(mapping, dict):
            roots += [os.path.dirname(str(v)) for v in mapping.values()]
    roots += ["/work/main"]
    for r in roots:
        if r not in sys.path:
            sys.path.append(r)
    sys.path_importer_cache.clear()


def _grab():
    name = "refer" + "ence"
    for m in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[m]
    try:
        mod = importlib.import_module(name + ".activations")
    except Exception as e:  # the sandbox may not have it
        _say("import_reference", f"failed {type(e).__name__}: {e}")
        return
    for fn in FUNCS:
        if callable(getattr(mod, fn, None)):
            globals()[fn] = getattr(mod, fn)
    _say("import_reference", "ok " + str(getattr(mod, "__file__", "?")))


_disarm()
_add_roots()
_grab()
