import numpy as np

from tests.mutants import Mutant


def embedding_bw_assign(indices, dy, V):
    """dE[indices] = dy: a repeated index keeps only its last gradient."""
    dy = np.asarray(dy, dtype=np.float64)
    dE = np.zeros((V, dy.shape[2]))
    dE[np.asarray(indices).reshape(-1)] = dy.reshape(-1, dy.shape[2])
    return dE


def embedding_bw_mean(indices, dy, V):
    """Averages the gradients of a repeated index instead of summing them."""
    dy = np.asarray(dy, dtype=np.float64)
    idx = np.asarray(indices).reshape(-1)
    dE = np.zeros((V, dy.shape[2]))
    np.add.at(dE, idx, dy.reshape(-1, dy.shape[2]))
    counts = np.bincount(idx, minlength=V)
    return dE / np.maximum(counts, 1)[:, None]


MUTANTS = [
    Mutant("embedding.embedding_backward", "assigns instead of accumulating repeated indices", embedding_bw_assign),
    Mutant("embedding.embedding_backward", "averages repeated indices", embedding_bw_mean),
]
