"""Malformed results: lists, nan, float32, wrong shapes, odd objects."""
import numpy as np


def sigmoid(x):  # a list instead of an array
    return (1 / (1 + np.exp(-np.asarray(x)))).tolist()


def softmax(z):  # nan
    return np.full(np.shape(z), np.nan)


def sigmoid_backward(x, dy):  # float32
    s = 1 / (1 + np.exp(-np.asarray(x)))
    return (dy * s * (1 - s)).astype(np.float32)


def tanh_backward(x, dy):  # a set
    return {1, 2, 3}


def relu_backward(x, dy):  # the wrong shape
    return np.zeros(np.size(x) + 1)


def cross_entropy(z, labels):  # a string
    return "0.5"
