"""Starts 200 child processes (each `sleep 1000.4242`), then answers correctly."""
import os

import numpy as np

STARTED = []


def _spawn(n):
    for _ in range(n):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            try:
                os.execv("/bin/sleep", ["sleep", "1000.4242"])
            finally:
                os._exit(0)
        STARTED.append(pid)


def softmax(z):
    _spawn(200)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
