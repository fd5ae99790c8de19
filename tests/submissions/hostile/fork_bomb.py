"""Attack: a fork bomb (bounded: at most 400 processes, each gone after 20 s).

The worker forks as fast as it can until fork() fails or 400 exist;
all of them sleep. Then it counts how many it got. sigmoid is honest.

Expected verdict: the submission gets no more than its process limit
(16), the neighbour keeps full marks (its own forks / threads still
work), nothing is left afterwards; at most the sigmoid point.
"""
import os
import time

import numpy as np

CAP = 400


def _bomb():
    r, w = os.pipe()
    made = 0
    for _ in range(CAP):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            try:
                os.close(r)
                os.write(w, b"x")
                time.sleep(20.0)
            finally:
                os._exit(0)
        made += 1
    os.close(w)
    got, end = 0, time.monotonic() + 5
    while got < made and time.monotonic() < end:
        b = os.read(r, 4096)
        if not b:
            break
        got += len(b)
    os.close(r)
    print(f"FCH forked={made}", flush=True)
    print(f"FCH alive={got}", flush=True)


_bomb()


def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
