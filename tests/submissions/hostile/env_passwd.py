"""Attack: read what the grader knows: its environment, the machine's users, the batch.

Looks for the test's canary (an environment variable the test gives the grader)
in os.environ, /proc/self/environ and
/proc/<ancestor>/environ of the zygote and the grader; reads /etc/passwd
and /etc/hostname; lists the grader's temporary root (the parent of the
cwd: the other workers' directories) and the uid lock directory. Only
what is found is reported: a yes/no for the canary, counts otherwise (no
environment is printed). sigmoid is honest.

Expected verdict: the canary is never seen, the other workers' directories
are not listable; at most the sigmoid point; the neighbour keeps full
marks.
"""
import os

import numpy as np

CANARY_NAME = "FCHOSTILE_CANARY"


def _say(key, value):
    print(f"FCH {key}={value}", flush=True)


def _ancestors(n=3):
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


def _look():
    seen = []
    if CANARY_NAME in os.environ:
        seen.append("os.environ")
    for label, path in [("self", "/proc/self/environ")] + [(f"ancestor{i}", f"/proc/{p}/environ") for i, p in enumerate(_ancestors())]:
        try:
            with open(path, "rb") as fh:
                data = fh.read()
            _say(f"environ_{label}", "readable")
            if CANARY_NAME.encode() in data:
                seen.append(label)
        except OSError as e:
            _say(f"environ_{label}", f"failed {e.errno}")
    _say("canary_seen", ",".join(seen) or "no")
    for f in ("/etc/passwd", "/etc/hostname"):
        try:
            with open(f) as fh:
                _say(f"read_{f.replace('/', '|')}", f"ok {len(fh.read().splitlines())} lines")
        except OSError as e:
            _say(f"read_{f.replace('/', '|')}", f"failed {e.errno}")
    for d in (os.path.dirname(os.getcwd()), "/tmp/formulacheck-uids"):
        try:
            _say(f"list_{d.replace('/', '|')}", f"ok {len(os.listdir(d))} entries")
        except OSError as e:
            _say(f"list_{d.replace('/', '|')}", f"failed {e.errno}")


_look()


def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
