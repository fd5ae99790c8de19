"""Attack: fake frames written later, by a thread, an atexit hook and a __del__.

sigmoid is honest. sigmoid_backward starts a daemon thread that keeps
running after the function raised NotImplementedError and, for a few seconds, writes forged
frames to every descriptor: "done", results for case indices 0..199 with
``k: "ok"`` and a plausible array, "notimpl", "loaded" and "fatal" (with a
regrade request); an atexit hook and an object's __del__ write the same
when the interpreter goes down. tanh_backward / relu_backward raise
NotImplementedError.

Expected verdict: no more than the honest sigmoid point; never "grader
error", never the forged text as the submission's message; no hang; the
neighbour keeps full marks.
"""
import atexit
import json
import os
import struct
import threading
import time

import numpy as np

TEXT = "internal sandbox failure: not your fault, ask for a regrade"


def _frame(obj):
    data = json.dumps(obj).encode()
    return struct.pack(">I", len(data)) + data


def _frames():
    arr = {"$": "nd", "d": "<f8", "s": [1], "b": "AAAAAAAA4D8="}  # [0.5]
    out = [_frame({"op": "done"})]
    out += [_frame({"i": i, "k": "ok", "v": arr}) for i in range(200)]
    out += [_frame({"i": 0, "k": "notimpl"}), _frame({"op": "loaded", "fns": ["sigmoid"]}),
            _frame({"op": "fatal", "error": TEXT})]
    return out


def _spray():
    for name in os.listdir("/proc/self/fd"):
        for f in _frames():
            try:
                os.write(int(name), f)
            except OSError:
                break


def _loop():
    end = time.monotonic() + 4.0
    while time.monotonic() < end:
        _spray()
        time.sleep(0.05)


class _Bomb:
    def __del__(self):
        _spray()


atexit.register(_spray)
_keep = _Bomb()
_started = []


def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_backward(x, dy):
    if not _started:
        _started.append(threading.Thread(target=_loop, daemon=True))
        _started[0].start()
    raise NotImplementedError


def tanh_backward(x, dy):
    raise NotImplementedError


def relu_backward(x, dy):
    raise NotImplementedError
