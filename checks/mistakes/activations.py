"""Known mistakes of the activations formulas: wrong implementations, each with a description and a hint."""

import numpy as np

import reference.activations as R


def sigmoid_naive_split(x):
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        return np.exp(x) / (1.0 + np.exp(x))  # inf/inf = nan for large x


def sigmoid_backward_no_dy(x, dy):
    s = R.sigmoid(x)
    return s * (1 - s) + 0 * dy


def tanh_backward_wrong(x, dy):
    return dy * (1 - np.tanh(x))  # forgot the square


def relu_backward_ge(x, dy):
    return np.where(np.asarray(x) >= -1e-3, dy, 0.0)  # threshold off the kink


def relu_backward_passes_all(x, dy):
    return np.array(dy, dtype=np.float64)


def leaky_wrong_slope(x, a, dy):
    return np.where(np.asarray(x) > 0, dy, (1 - a) * np.asarray(dy))


def prelu_da_without_x(x, a, dy):
    dx, _ = R.prelu_backward(x, a, dy)
    axes = tuple(i for i in range(np.ndim(x)) if i != 1)
    return dx, np.where(np.asarray(x) <= 0, dy, 0.0).sum(axis=axes)


def prelu_da_mean(x, a, dy):
    dx, da = R.prelu_backward(x, a, dy)
    return dx, da / np.asarray(x).shape[0]


MISTAKES = [
    ('activations.sigmoid', 'exp(x)/(1+exp(x)) overflows', sigmoid_naive_split,
        'σ(x) is computed as exp(x)/(1+exp(x)) everywhere, which overflows to nan for large positive x.',
        'exp of a large number overflows: each side of zero has a form whose exponent is never positive.',
        {'verdict': 'nan/inf'}),
    ('activations.sigmoid_backward', 'ignores dy', sigmoid_backward_no_dy,
        'The local derivative σ(x)(1−σ(x)) is returned without multiplying by the upstream gradient dy.',
        'A backward pass returns dL/dx: the chain rule multiplies the local derivative by what comes from above.'),
    ('activations.tanh_backward', '1 - tanh instead of 1 - tanh^2', tanh_backward_wrong,
        'The derivative of tanh is taken as 1 − tanh(x) instead of 1 − tanh(x)².',
        'Differentiate tanh once more carefully: which power of tanh appears in its derivative?'),
    ('activations.relu_backward', 'passes every gradient', relu_backward_passes_all,
        'Every gradient is passed through: the mask x > 0 is never applied.',
        'ReLU is flat where it outputs 0; what does a flat function do to the gradient?'),
    ('activations.relu_backward', 'threshold below zero', relu_backward_ge,
        'The mask lets the gradient through where x >= 0 (or below zero), not only where x > 0.',
        'Look at the comparison defining the mask: the contract takes the subgradient 0 at x = 0.'),
    ('activations.leaky_relu_backward', 'slope 1-a', leaky_wrong_slope,
        'On the negative side the gradient is scaled by 1 − a instead of by the slope a.',
        'Write y for x < 0 and differentiate it: what multiplies x there?'),
    ('activations.prelu_backward', 'da averaged over the batch', prelu_da_mean,
        'The slope gradient da is averaged over the batch instead of summed.',
        'A parameter shared by many positions collects the SUM of their contributions.'),
    ('activations.prelu_backward', 'da without the factor x', prelu_da_without_x,
        'The slope gradient da sums dy on the negative side without the factor x.',
        'y = a·x there: the derivative with respect to a is not 1.'),
]


# ---------------------------------------------------------------- adversarial review (more realistic slips)


def sigmoid_float32(x):
    """Computed in float32, cast back to float64: ~1e-7 relative error."""
    x32 = np.asarray(x, dtype=np.float32)
    with np.errstate(all="ignore"):
        return (1 / (1 + np.exp(-x32))).astype(np.float64)


def sigmoid_backward_naive_exp(x, dy):
    """dy·e^{-x}/(1+e^{-x})²: inf/inf = nan for x << 0 (sigmoid_backward must be stable)."""
    with np.errstate(all="ignore"):
        e = np.exp(-np.asarray(x, dtype=np.float64))
        return dy * e / (1 + e) ** 2


def sigmoid_backward_x_as_output(x, dy):
    """Treats x as σ(x) already: dy·x(1−x)."""
    x = np.asarray(x, dtype=np.float64)
    return dy * x * (1 - x)


def tanh_backward_x_as_output(x, dy):
    """Treats x as tanh(x) already: dy·(1−x²)."""
    return dy * (1 - np.asarray(x, dtype=np.float64) ** 2)


def tanh_backward_square_outside(x, dy):
    return dy * (1 - np.tanh(x)) ** 2


def relu_backward_gates_on_dy(x, dy):
    """Masks by the sign of dy instead of x."""
    return np.where(np.asarray(dy) > 0, dy, 0.0) * 1.0


def leaky_zero_at_kink_and_no_slope_a(x, a, dy):
    """dy·1[x>0] + a·dy·1[x<0]: 0 at x = 0, outside [a·dy, dy] when a > 0."""
    x, dy = np.asarray(x), np.asarray(dy, dtype=np.float64)
    return dy * (x > 0) + a * dy * (x < 0)


def leaky_forgets_dy_on_negative(x, a, dy):
    return np.where(np.asarray(x) > 0, dy, a) * 1.0


def prelu_da_over_all_but_last_axis(x, a, dy):
    """da summed over every axis but the LAST (right only for 2-d x)."""
    x, dy = np.asarray(x), np.asarray(dy, dtype=np.float64)
    dx, _ = R.prelu_backward(x, a, dy)
    return dx, np.where(x > 0, 0.0, dy * x).sum(axis=tuple(range(x.ndim - 1)))


def prelu_dx_without_slope(x, a, dy):
    _, da = R.prelu_backward(x, a, dy)
    return np.where(np.asarray(x) > 0, dy, 0.0), da


MISTAKES += [
    ('activations.sigmoid', 'float32 intermediate', sigmoid_float32,
        'An intermediate is computed in float32, so the result is only accurate to about 1e-7.',
        'Check the dtype of every array you create: mixing in float32 loses precision.'),
    ('activations.sigmoid_backward', 'e^{-x}/(1+e^{-x})^2 overflows', sigmoid_backward_naive_exp,
        'The derivative is computed as e^{-x}/(1+e^{-x})², which overflows for very negative x.',
        'Reuse a stable σ(x): σ(x)(1−σ(x)) never evaluates a huge exponential.',
        {'verdict': 'nan/inf'}),
    ('activations.sigmoid_backward', 'x taken as σ(x)', sigmoid_backward_x_as_output,
        'x is treated as if it were already σ(x): the result is dy·x(1−x).',
        'The input is the pre-activation x, not the output σ(x): compute σ(x) first.'),
    ('activations.tanh_backward', 'x taken as tanh(x)', tanh_backward_x_as_output,
        'x is treated as if it were already tanh(x): the result is dy·(1−x²).',
        'The input is the pre-activation x, not the output tanh(x).'),
    ('activations.tanh_backward', '(1 - tanh)^2 instead of 1 - tanh^2', tanh_backward_square_outside,
        'The derivative is written (1 − tanh x)² instead of 1 − tanh² x.',
        'Where does the square go: on tanh, or on the whole difference?'),
    ('activations.relu_backward', 'masks by dy > 0 instead of x > 0', relu_backward_gates_on_dy,
        'The mask is taken on the incoming gradient (dy > 0) instead of on the input (x > 0).',
        "Whether ReLU passes a gradient depends on where it was evaluated, not on the gradient's sign."),
    ('activations.leaky_relu_backward', '0 at the kink (outside [a·dy, dy])', leaky_zero_at_kink_and_no_slope_a,
        'At x = 0 the gradient is set to 0, and the negative side misses its slope a.',
        'At the kink any value between a·dy and dy is a valid subgradient; for x < 0 the slope is a.'),
    ('activations.leaky_relu_backward', 'returns a instead of a·dy for x < 0', leaky_forgets_dy_on_negative,
        'On the negative side the slope a is returned instead of a·dy.',
        'Every branch of a backward pass must be multiplied by the upstream gradient.'),
    ('activations.prelu_backward', 'da summed over all axes but the last', prelu_da_over_all_but_last_axis,
        'da is summed over every axis except the last, not over every axis except the channel axis 1.',
        'One slope per channel: which axis of x holds the channels?'),
    ('activations.prelu_backward', 'dx without the slope (0 for x <= 0)', prelu_dx_without_slope,
        'dx is 0 where x <= 0 instead of a·dy (the slope is forgotten in dx).',
        'PReLU is not ReLU: its negative side has slope a, not 0.'),
]
