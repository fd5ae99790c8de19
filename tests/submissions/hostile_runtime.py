"""One hostile function per formula; softmax stays correct and must still pass."""
import ctypes
import os

import numpy as np


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def sigmoid(x):  # an infinite loop
    while True:
        pass


def sigmoid_backward(x, dy):  # 20 GB
    big = np.ones(int(20e9) // 8)
    return big[: np.size(x)].reshape(np.shape(x)) * dy


def tanh_backward(x, dy):  # os._exit in a call
    os._exit(7)


def relu_backward(x, dy):  # a segfault
    ctypes.string_at(0)


def leaky_relu_backward(x, a, dy):  # sys.exit in a call
    raise SystemExit(2)


def cross_entropy_backward(z, labels):  # modifies its argument in place
    z -= z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    p = e / e.sum(axis=-1, keepdims=True)
    p[np.arange(len(labels)), labels] -= 1.0
    return p / len(labels)
