"""A forbidden import the AST cannot see: found by the worker's import hook."""
import numpy as np


def softmax(z):
    t = __import__("to" + "rch")
    return t.softmax(t.as_tensor(z), -1).numpy()


def sigmoid(x):
    return 1 / (1 + np.exp(-x))
