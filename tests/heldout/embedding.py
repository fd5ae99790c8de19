import numpy as np

from tests.heldout import Heldout


def embedding_fancy_assign(indices, dy, V):
    dE = np.zeros((V, dy.shape[2]))
    dE[np.asarray(indices).ravel()] += np.asarray(dy).reshape(-1, dy.shape[2])  # += with repeated indices
    return dE


def embedding_mean_over_batch(indices, dy, V):
    dE = np.zeros((V, dy.shape[2]))
    for n in range(indices.shape[0]):
        for l in range(indices.shape[1]):
            dE[indices[n, l]] += dy[n, l]
    return dE / indices.shape[0]                                # divided by the batch size


HELDOUT = [
    Heldout("embedding.embedding_backward", "dE[idx] += dy (buffered)", embedding_fancy_assign,
            "embedding.embedding_backward:embedding_bw_assign"),
    Heldout("embedding.embedding_backward", "divided by N", embedding_mean_over_batch, "generic:factor-1/N"),
]
