"""Prints 50 MB at import and more in every call."""
import sys

import numpy as np

print("x" * (50 << 20))
sys.stderr.write("e" * (1 << 20))


def softmax(z):
    for _ in range(1000):
        print("y" * 1000)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
