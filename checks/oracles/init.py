"""Value oracles of init.*: torch / SymPy rebuilds and brute force (imported lazily by torchlib / sym)."""

from __future__ import annotations

import math

from checks.oracles.torchlib import torch


def _meta(shape):
    return torch().empty(tuple(shape), device="meta")


def _t_fans(shape):
    fi, fo = torch().nn.init._calculate_fan_in_and_fan_out(_meta(shape))
    return int(fi), int(fo)


def _t_correct_fan(shape):
    init = torch().nn.init
    return int(init._calculate_correct_fan(_meta(shape), "fan_in")), int(init._calculate_correct_fan(_meta(shape), "fan_out"))


def _t_xavier_rebuild(shape):
    fi, fo = _t_fans(shape)
    return torch().nn.init.calculate_gain("linear") * math.sqrt(2.0 / float(fi + fo))


def _t_he_rebuild(shape):
    fi, _ = _t_fans(shape)
    return torch().nn.init.calculate_gain("relu") / math.sqrt(fi)


def _sampled_std(fill):
    """The std a torch init function samples with: its seeded sample / the same seed's N(0,1) draw."""

    def oracle(shape):
        tt = torch()
        w = tt.empty(tuple(shape))
        fill(w, tt.Generator().manual_seed(1234))
        z = tt.empty(tuple(shape)).normal_(0.0, 1.0, generator=tt.Generator().manual_seed(1234))
        i = int(z.abs().reshape(-1).argmax())
        return float(w.reshape(-1)[i] / z.reshape(-1)[i])

    return oracle


_xavier_sampled = _sampled_std(lambda w, g: torch().nn.init.xavier_normal_(w, generator=g))


_he_sampled = _sampled_std(lambda w, g: torch().nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity="relu", generator=g))
