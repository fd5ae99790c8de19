import numpy as np


def softmax(z):
    # forgets to subtract the row maximum: overflows for large logits
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
