import numpy as np


def max_backward(x, dy):
    # gives dy to EVERY tied maximum (weights sum to more than 1)
    return (x == x.max(axis=-1, keepdims=True)) * dy[:, None]
