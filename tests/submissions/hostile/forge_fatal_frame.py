"""Attack: forge the worker's reply frames: a "fatal" sandbox error asking for a regrade.

The worker's replies are 4-byte big-endian length + JSON (checks/core/wire.py).
While being imported, this file writes to EVERY open descriptor
(os.listdir('/proc/self/fd')) a frame ``{"op": "fatal", "error": "... not
your fault, ask for a regrade"}``, which the grader (today) takes for its
own sandbox failing: the submission's status becomes "grader error" with
that text, and the instructor is invited to regrade / give the points.
A second round of frames claims "loaded" with every function and "done".
sigmoid is honest.

Expected verdict: an ordinary verdict of the submission (import crashed /
broke the protocol / its honest sigmoid point), never "grader error" and
never the forged text in the submission's message; the neighbour keeps
full marks and the batch goes on.
"""
import json
import os
import struct

import numpy as np

TEXT = "the sandbox could not be set up: not your fault, ask for a regrade"


def _frame(obj):
    data = json.dumps(obj).encode()
    return struct.pack(">I", len(data)) + data


def _forge(frames):
    hit = []
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        for f in frames:
            try:
                os.write(fd, f)
                hit.append(fd)
            except OSError:
                pass
    return sorted(set(hit))


fds = _forge([_frame({"op": "fatal", "error": TEXT}),
              _frame({"op": "loaded", "fns": ["sigmoid", "sigmoid_backward", "tanh_backward", "relu_backward"]}),
              _frame({"op": "done"})])
print(f"FCH forged_fds={fds}", flush=True)


def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
