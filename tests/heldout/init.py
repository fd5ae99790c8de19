import math

from tests.heldout import Heldout


def _fans(shape):
    rf = 1
    for k in shape[2:]:
        rf *= k
    return shape[1] * rf, shape[0] * rf


def xavier_fan_in_only(shape):
    fan_in, _ = _fans(shape)
    return math.sqrt(1.0 / fan_in)                               # LeCun's std, fan_out unused


def he_with_fan_out(shape):
    _, fan_out = _fans(shape)
    return math.sqrt(2.0 / fan_out)


def fans_reversed(shape):
    fan_in, fan_out = _fans(shape)
    return fan_out, fan_in


HELDOUT = [
    Heldout("init.xavier_normal_std", "√(1/fan_in)", xavier_fan_in_only, "unknown"),
    Heldout("init.he_normal_std", "fan_out", he_with_fan_out, "init.he_normal_std:he_fan_out"),
    Heldout("init.fan_in_fan_out", "returns (fan_out, fan_in)", fans_reversed, "init.fan_in_fan_out:fans_swapped"),
]
