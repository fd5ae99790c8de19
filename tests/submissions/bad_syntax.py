import numpy as np


def softmax(z)
    return np.exp(z) / np.exp(z).sum()
