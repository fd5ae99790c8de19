"""Attack: refuse to die and keep running after returning: signal handlers, blocked signals, threads.

At import: SIGTERM, SIGINT, SIGHUP, SIGXCPU, SIGALRM, SIGUSR1/2 are ignored
and blocked (pthread_sigmask); a non-daemon thread spins forever (calling
os.sched_yield) so the interpreter never exits on its own; another thread
keeps a 'pending' result that it rewrites after sigmoid_backward returned.
sigmoid is honest; sigmoid_backward loops forever (ignoring every signal
it can), tanh_backward returns an array and then keeps mutating it from a
thread.

Expected verdict: sigmoid passes, sigmoid_backward "timed out",
tanh_backward fails (its values are wrong), the grader does not hang, no
process is left; the neighbour keeps full marks.
"""
import os
import signal
import threading
import time

import numpy as np

SIGS = [signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU, signal.SIGALRM, signal.SIGUSR1, signal.SIGUSR2]
for _s in SIGS:
    try:
        signal.signal(_s, signal.SIG_IGN)
    except (OSError, ValueError):
        pass
signal.pthread_sigmask(signal.SIG_BLOCK, SIGS)


def _forever():
    while True:
        os.sched_yield()
        time.sleep(0.01)


threading.Thread(target=_forever, daemon=False).start()
_returned = []


def _mutate():
    end = time.monotonic() + 5.0
    while time.monotonic() < end:
        for a in list(_returned):
            a += 1.0
        time.sleep(0.001)


def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_backward(x, dy):
    while True:
        try:
            time.sleep(0.01)
        except BaseException:
            pass


def tanh_backward(x, dy):
    t = np.tanh(np.asarray(x, dtype=np.float64))
    out = np.asarray(dy, dtype=np.float64) * (1.0 - t * t) + 1.0
    _returned.append(out)
    if len(_returned) == 1:
        threading.Thread(target=_mutate, daemon=True).start()
    return out
