"""Correct, but not written like the reference: loops, other tie-breaks, other valid sums."""
import heapq
import math

import numpy as np


def sigmoid(x):
    # through tanh: sigma(x) = (1 + tanh(x/2)) / 2, elementwise with a loop
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    for i in np.ndindex(x.shape):
        out[i] = 0.5 * (1.0 + math.tanh(0.5 * float(x[i])))
    return out


def relu_backward(x, dy):
    # at the kink x == 0 take the middle of the subdifferential [0, dy]
    x = np.asarray(x, dtype=np.float64)
    dy = np.asarray(dy, dtype=np.float64)
    return np.where(x > 0, dy, np.where(x == 0, 0.5 * dy, 0.0))


def leaky_relu_backward(x, a, dy):
    # at x == 0 take dy (the other end of [a*dy, dy])
    x = np.asarray(x, dtype=np.float64)
    dy = np.asarray(dy, dtype=np.float64)
    return np.where(x >= 0, dy, a * dy)


def max_backward(x, dy):
    # ties: split dy EVENLY over the tied maxima (the reference gives it to one)
    x = np.asarray(x, dtype=np.float64)
    dx = np.zeros_like(x)
    for n in range(x.shape[0]):
        m = x[n].max()
        idx = [j for j in range(x.shape[1]) if x[n, j] == m]
        for j in idx:
            dx[n, j] = dy[n] / len(idx)
    return dx


def softmax(z):
    # exp(z - logsumexp(z)), row by row
    z = np.asarray(z, dtype=np.float64)
    out = np.empty_like(z)
    for n in range(z.shape[0]):
        m = z[n].max()
        lse = m + math.log(sum(math.exp(v - m) for v in z[n]))
        out[n] = np.exp(z[n] - lse)
    return out


def cross_entropy(z, labels):
    # summed in reverse order, one row at a time
    z = np.asarray(z, dtype=np.float64)
    total = 0.0
    for n in reversed(range(z.shape[0])):
        m = z[n].max()
        lse = m + math.log(math.fsum(math.exp(v - m) for v in z[n]))
        total += lse - z[n, int(labels[n])]
    return total / z.shape[0]


def conv1x1(x, w, b):
    # einsum instead of a matmul
    return np.einsum("nchw,oc->nohw", x, w) + np.asarray(b)[None, :, None, None]


def huffman_codes(freqs):
    # another tie-break (latest first) and the bits the other way round
    f = [float(v) for v in freqs]
    heap = [(v, -i, i) for i, v in enumerate(f)]
    heapq.heapify(heap)
    counter = len(f)
    while len(heap) > 1:
        w0, _, a = heapq.heappop(heap)
        w1, _, b = heapq.heappop(heap)
        heapq.heappush(heap, (w0 + w1, -counter, (a, b)))
        counter += 1
    codes = [None] * len(f)
    stack = [(heap[0][2], ())]
    while stack:
        node, prefix = stack.pop()
        if isinstance(node, tuple):
            stack.append((node[0], prefix + (1,)))
            stack.append((node[1], prefix + (0,)))
        else:
            codes[node] = list(prefix)
    return codes
