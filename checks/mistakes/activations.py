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
        'TODO exp(x)/(1+exp(x)) overflows',
        'TODO',
        {'verdict': 'nan/inf'}),
    ('activations.sigmoid_backward', 'ignores dy', sigmoid_backward_no_dy,
        'TODO ignores dy',
        'TODO'),
    ('activations.tanh_backward', '1 - tanh instead of 1 - tanh^2', tanh_backward_wrong,
        'TODO 1 - tanh instead of 1 - tanh^2',
        'TODO'),
    ('activations.relu_backward', 'passes every gradient', relu_backward_passes_all,
        'TODO passes every gradient',
        'TODO'),
    ('activations.relu_backward', 'threshold below zero', relu_backward_ge,
        'TODO threshold below zero',
        'TODO'),
    ('activations.leaky_relu_backward', 'slope 1-a', leaky_wrong_slope,
        'TODO slope 1-a',
        'TODO'),
    ('activations.prelu_backward', 'da averaged over the batch', prelu_da_mean,
        'TODO da averaged over the batch',
        'TODO'),
    ('activations.prelu_backward', 'da without the factor x', prelu_da_without_x,
        'TODO da without the factor x',
        'TODO'),
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
        'TODO float32 intermediate',
        'TODO'),
    ('activations.sigmoid_backward', 'e^{-x}/(1+e^{-x})^2 overflows', sigmoid_backward_naive_exp,
        'TODO e^{-x}/(1+e^{-x})^2 overflows',
        'TODO',
        {'verdict': 'nan/inf'}),
    ('activations.sigmoid_backward', 'x taken as σ(x)', sigmoid_backward_x_as_output,
        'TODO x taken as σ(x)',
        'TODO'),
    ('activations.tanh_backward', 'x taken as tanh(x)', tanh_backward_x_as_output,
        'TODO x taken as tanh(x)',
        'TODO'),
    ('activations.tanh_backward', '(1 - tanh)^2 instead of 1 - tanh^2', tanh_backward_square_outside,
        'TODO (1 - tanh)^2 instead of 1 - tanh^2',
        'TODO'),
    ('activations.relu_backward', 'masks by dy > 0 instead of x > 0', relu_backward_gates_on_dy,
        'TODO masks by dy > 0 instead of x > 0',
        'TODO'),
    ('activations.leaky_relu_backward', '0 at the kink (outside [a·dy, dy])', leaky_zero_at_kink_and_no_slope_a,
        'TODO 0 at the kink (outside [a·dy, dy])',
        'TODO'),
    ('activations.leaky_relu_backward', 'returns a instead of a·dy for x < 0', leaky_forgets_dy_on_negative,
        'TODO returns a instead of a·dy for x < 0',
        'TODO'),
    ('activations.prelu_backward', 'da summed over all axes but the last', prelu_da_over_all_but_last_axis,
        'TODO da summed over all axes but the last',
        'TODO'),
    ('activations.prelu_backward', 'dx without the slope (0 for x <= 0)', prelu_dx_without_slope,
        'TODO dx without the slope (0 for x <= 0)',
        'TODO'),
]
