"""Attack: huge and deep replies, to exhaust the grader (memory / time), not the worker.

- sigmoid returns a 1 GB array (the worker's encoder must refuse it);
- sigmoid_backward returns, for EVERY grading case, an array of ~23 MB:
  just under the per-reply cap (32 MB of base64 JSON), so each reply is
  legal alone, and the grader keeps all of them (cases x 32 MB) before
  judging (after 40 calls it raises NotImplementedError: that ends the
  grader's search for a minimal input early and keeps the test short);
- tanh_backward bypasses the encoder and writes its own frames on the
  worker's socket: a 30 MB JSON nested 15 million levels deep, then a
  frame that claims 4 GB;
- relu_backward returns a list nested 100 000 levels deep.

Expected verdict: 0 points for these four (wrong shape or type / broke the
protocol / crashed), the grader's own memory stays far below cases x 32
MB (it judges replies as they come, or caps the total), no crash or hang;
the neighbour keeps full marks.
"""
import os
import stat
import struct

import numpy as np


def sigmoid(x):
    return np.zeros(1 << 27)  # 1 GB of float64


_calls = [0]


def sigmoid_backward(x, dy):
    _calls[0] += 1
    if _calls[0] > 40:  # past the grading cases: cut the feedback search short
        raise NotImplementedError
    return np.zeros(2_900_000)  # 23.2 MB -> ~31 MB of base64


def _channels():
    out = []
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                out.append(fd)
        except OSError:
            pass
    return out


def tanh_backward(x, dy):
    deep = b"[" * 15_000_000 + b"]" * 15_000_000
    for fd in _channels():
        try:
            for data in (struct.pack(">I", len(deep)) + deep, struct.pack(">I", 0xFFFFFFF0) + b"{"):
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
        except OSError:
            pass
    return np.zeros(1)


def relu_backward(x, dy):
    v = []
    for _ in range(100_000):
        v = [v]
    return v
