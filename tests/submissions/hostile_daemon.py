"""Leaves a daemon behind: double fork + setsid (`sleep 1000.4343`), then answers correctly."""
import os

import numpy as np

_done = []


def _daemon():
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            if os.fork() == 0:
                os.execv("/bin/sleep", ["sleep", "1000.4343"])
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def softmax(z):
    if not _done:
        _done.append(1)
        _daemon()
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
