"""Correct implementations of the init group written differently from the reference."""

from __future__ import annotations

import math

import numpy as np

from tests.variants import Variant


def fans_np(shape):
    r = np.prod(shape[2:], dtype=np.int64)
    return [np.int64(shape[1]) * r, np.int64(shape[0]) * r]


def xavier_np(shape):
    r = np.prod(shape[2:], dtype=np.int64)
    return np.sqrt(2.0) / np.sqrt(shape[0] * r + shape[1] * r)


def he_np(shape):
    r = math.prod(shape[2:])
    return np.float64(math.sqrt(2) / math.sqrt(shape[1] * r))


VARIANTS = [
    Variant("init.fan_in_fan_out", "np.int64 fans, a list", fans_np),
    Variant("init.xavier_normal_std", "sqrt(2)/sqrt(fan_in + fan_out) in numpy", xavier_np),
    Variant("init.he_normal_std", "a numpy float64", he_np),
]
