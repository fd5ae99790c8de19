"""Attack: copy a classmate by scanning the file system for other submissions.

Walks the usual places (/tmp, /var/tmp, /dev/shm, /home, /srv, /work, /root,
/opt, the parents of the cwd), bounded in depth, count and time, for .py
files that define the activations and look like a student's file (not the
project's reference/, checks/ or tests/, not site-packages, not the template),
and execs the first one whose sigmoid works (within 0.5 s). The grader's private directories
of the other workers are tried too (their names are in the parent of the cwd).

Expected verdict: no points (nothing of the batch is visible from the
sandbox); the neighbour keeps full marks.
"""
import ast
import os
import signal
import time

import numpy as np

FUNCS = ("sigmoid", "sigmoid_backward", "tanh_backward", "relu_backward", "leaky_relu_backward", "prelu_backward")
ME = "copy_classmate_scan"
# the project's own sample submissions (tests/) are left alone: some of them loop forever or os._exit() at import
SKIP_PARTS = ("site-packages", "dist-packages", "/reference/", "/checks/", "/student/", "/tests/", "/.git/", "/proc/", "/sys/")


def _say(key, value):
    print(f"FCH {key}={value}", flush=True)


def _looks_right(src):
    try:
        tree = ast.parse(src)
    except (SyntaxError, ValueError):
        return False
    names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    return set(FUNCS[:4]) <= names


def _walk(starts, max_depth=5, max_dirs=20000, seconds=2.0):
    end = time.monotonic() + seconds
    seen, stack, n = set(), [(s, 0) for s in starts], 0
    while stack and n < max_dirs and time.monotonic() < end:
        d, depth = stack.pop()
        try:
            key = os.stat(d).st_ino, os.stat(d).st_dev
        except OSError:
            continue
        if key in seen:
            continue
        seen.add(key)
        n += 1
        try:
            entries = list(os.scandir(d))
        except OSError:
            continue
        for e in entries:
            try:
                if e.is_dir(follow_symlinks=False) and depth < max_depth:
                    stack.append((e.path, depth + 1))
                elif e.name.endswith(".py") and e.is_file() and ME not in e.name and "hostile" not in e.name:
                    if not any(s in e.path + "/" for s in SKIP_PARTS):
                        yield e.path
            except OSError:
                continue


def _too_slow(*a):
    raise TimeoutError


def _copy():
    cwd = os.getcwd()
    starts = [os.path.dirname(cwd), os.path.dirname(os.path.dirname(cwd)),
              "/tmp", "/var/tmp", "/dev/shm", "/home", "/srv", "/work", "/root", "/opt", "/mnt"]
    tried = 0
    for path in _walk(starts):
        try:
            with open(path, encoding="utf-8") as fh:
                src = fh.read(1 << 20)
        except (OSError, UnicodeDecodeError):
            continue
        if not _looks_right(src):
            continue
        tried += 1
        ns = {"__name__": "classmate"}
        signal.signal(signal.SIGALRM, _too_slow)
        signal.setitimer(signal.ITIMER_REAL, 0.5)  # a classmate's file may loop forever
        try:
            exec(compile(src, "classmate", "exec"), ns)
            if abs(float(np.asarray(ns["sigmoid"](np.array([0.0])))[0]) - 0.5) > 1e-12:
                continue
        except BaseException:
            continue
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        for fn in FUNCS:
            if callable(ns.get(fn)):
                globals()[fn] = ns[fn]
        _say("copied_from", path.replace(os.sep, "|"))
        return
    _say("copied_from", f"nothing (tried {tried})")


_copy()
