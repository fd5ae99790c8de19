"""init.* -- fans of a weight shape, Xavier (Glorot) and He (Kaiming) normal standard deviations.

Shapes are linear (out, in) and conv (out, in, k1[, k2[, k3]]): 2..5 dims,
out != in drawn often (a swap of the fans shows), kernels of size 1 drawn
(the receptive field then hides nothing). The std oracles rebuild torch's
formulas with ``calculate_gain`` and, independently, recover the std that
``nn.init.xavier_normal_`` / ``kaiming_normal_(mode="fan_in",
nonlinearity="relu")`` really sample with: a seeded sample divided by the
standard-normal draw of the same generator (exact up to rounding). The
statistical test of the samples themselves is tests/test_init_extra.py.
"""

from __future__ import annotations

import reference.init as ref
from checks.core.compare import Tol
from checks.formulas import Strategies
from checks.oracles.init import _he_sampled, _t_correct_fan, _t_fans, _t_he_rebuild, _t_xavier_rebuild, _xavier_sampled
from checks.registry import Formula, Oracle, Source, register


S = Strategies("init")

_SRC = ("004", "解决梯度消失和梯度爆炸的方法 §1 权重初始化")


register(Formula(
    id="init.fan_in_fan_out",
    source=Source(*_SRC, "fan_in = in·Π k_i, fan_out = out·Π k_i (torch.nn.init)",
                  "使用合适的初始化方式可以缓解梯度问题"),
    reference=ref.fan_in_fan_out,
    strategy=S.shape_cases,
    outputs=("fan_in", "fan_out"),
    oracles=(
        Oracle("torch:_calculate_fan_in_and_fan_out", _t_fans, description="torch.nn.init._calculate_fan_in_and_fan_out"),
        Oracle("torch:_calculate_correct_fan", _t_correct_fan, description="torch.nn.init._calculate_correct_fan, modes fan_in / fan_out"),
    ),
    points=1, tol=Tol(rtol=0.0, atol=0.0),
    summary="shape (out, in, k1, ...): receptive field Π k_i multiplies both fans",
))


register(Formula(
    id="init.xavier_normal_std",
    source=Source(*_SRC, "std = √(2/(fan_in+fan_out))", "对于sigmoid或tanh：使用 **Xavier初始化**"),
    reference=ref.xavier_normal_std,
    strategy=S.shape_cases,
    outputs=("std",),
    oracles=(
        Oracle("torch", _t_xavier_rebuild, description="calculate_gain('linear')·√(2/(fan_in+fan_out)), torch's fans"),
        Oracle("torch:xavier_normal_", _xavier_sampled, description="std nn.init.xavier_normal_ samples with (seeded sample / N(0,1) draw)"),
    ),
    points=1, tol=Tol(rtol=1e-12, atol=0.0),
))


register(Formula(
    id="init.he_normal_std",
    source=Source(*_SRC, "std = √(2/fan_in) (ReLU, mode fan_in)", "对于ReLU：使用 **He初始化**"),
    reference=ref.he_normal_std,
    strategy=S.shape_cases,
    outputs=("std",),
    oracles=(
        Oracle("torch", _t_he_rebuild, description="calculate_gain('relu')/√fan_in, torch's fans"),
        Oracle("torch:kaiming_normal_", _he_sampled,
               description="std nn.init.kaiming_normal_(mode='fan_in', nonlinearity='relu') samples with"),
    ),
    points=1, tol=Tol(rtol=1e-12, atol=0.0),
))
