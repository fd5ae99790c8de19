"""Known mistakes of the embedding formulas: wrong implementations, each with a description and a hint."""

import numpy as np


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


MISTAKES = [
    ('embedding.embedding_backward', 'assigns instead of accumulating repeated indices', embedding_bw_assign,
        'Repeated indices overwrite each other (dE[idx] = dy) instead of accumulating.',
        'A word used twice gets both gradients: fancy-index assignment keeps only one; use an accumulating add.'),
    ('embedding.embedding_backward', 'averages repeated indices', embedding_bw_mean,
        'Repeated indices are averaged instead of summed.',
        'Each use of a row adds its gradient.'),
]


# ---------------------------------------------------------------- adversarial review


def embedding_bw_indices_transposed(indices, dy, V):
    """indices.T flattened against dy flattened row-major: gradients paired with the wrong tokens."""
    dy = np.asarray(dy, dtype=np.float64)
    dE = np.zeros((V, dy.shape[2]))
    np.add.at(dE, np.asarray(indices).T.reshape(-1), dy.reshape(-1, dy.shape[2]))
    return dE


def embedding_bw_table_too_small(indices, dy, V):
    """dE sized by the largest index seen, not by V."""
    dy = np.asarray(dy, dtype=np.float64)
    idx = np.asarray(indices).reshape(-1)
    dE = np.zeros((int(idx.max()) + 1, dy.shape[2]))
    np.add.at(dE, idx, dy.reshape(-1, dy.shape[2]))
    return dE


def embedding_bw_first_sequence(indices, dy, V):
    dy = np.asarray(dy, dtype=np.float64)
    dE = np.zeros((V, dy.shape[2]))
    np.add.at(dE, np.asarray(indices)[0], dy[0])
    return dE


MISTAKES += [
    ('embedding.embedding_backward', 'indices transposed against dy', embedding_bw_indices_transposed,
        'The indices are used transposed against dy.',
        'indices[n, l] goes with dy[n, l, :].'),
    ('embedding.embedding_backward', 'table sized max(index)+1', embedding_bw_table_too_small,
        'The gradient table has max(index)+1 rows instead of V.',
        'dE has the shape of the embedding table: (V, E).',
        {'verdict': 'wrong shape or type'}),
    ('embedding.embedding_backward', 'only the first sequence', embedding_bw_first_sequence,
        'Only the first sequence of the batch is accumulated.',
        'Sum over every (n, l) position.'),
]
