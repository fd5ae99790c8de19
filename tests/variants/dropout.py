"""Correct implementations of the dropout group written differently from the reference."""

from __future__ import annotations

import numpy as np

from tests.variants import Variant


def dtrain_where(x, mask, p_keep, inverted):
    return np.where(mask == 1, x * (1.0 / p_keep) if inverted else x * 1.0, 0.0)


def deval_alias(x, p_keep, inverted):
    return x if inverted else p_keep * x


def dbw_scale_first(dy, mask, p_keep, inverted):
    return (mask / p_keep if inverted else mask) * dy


VARIANTS = [
    Variant("dropout.dropout_train", "np.where on the mask", dtrain_where),
    Variant("dropout.dropout_eval", "x returned unchanged when inverted", deval_alias),
    Variant("dropout.dropout_backward", "the mask scaled first", dbw_scale_first),
]
