import numpy as np


def sigmoid_backward(x, dy):
    # uses sigma'(x) = sigma(x) * (1 + sigma(x)): a sign slip
    s = 1.0 / (1.0 + np.exp(-np.clip(x, -500, 500)))
    return dy * s * (1.0 + s)
