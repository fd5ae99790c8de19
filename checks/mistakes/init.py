"""Known mistakes of the init formulas: wrong implementations, each with a description and a hint."""

import math


def fans_ignore_receptive_field(shape):
    return shape[1], shape[0]


def fans_swapped(shape):
    r = math.prod(shape[2:])
    return shape[0] * r, shape[1] * r


def xavier_ignores_receptive_field(shape):
    return math.sqrt(2.0 / (shape[0] + shape[1]))


def xavier_without_2(shape):
    r = math.prod(shape[2:])
    return math.sqrt(1.0 / (shape[0] * r + shape[1] * r))


def he_lecun(shape):
    """sqrt(1/fan_in): LeCun's std, missing ReLU's gain √2."""
    return math.sqrt(1.0 / (shape[1] * math.prod(shape[2:])))


def he_fan_out(shape):
    return math.sqrt(2.0 / (shape[0] * math.prod(shape[2:])))


MISTAKES = [
    ('init.fan_in_fan_out', 'fan_in ignores the receptive field', fans_ignore_receptive_field,
        'fan_in and fan_out leave out the receptive field (the product of the kernel sizes).',
        'For a conv weight (out, in, k1, k2, ...) each input channel feeds k1·k2·… weights.'),
    ('init.fan_in_fan_out', 'fan_in and fan_out swapped', fans_swapped,
        'fan_in and fan_out are swapped.',
        "The weight's shape is (out, in, ...): which dimension counts the inputs?"),
    ('init.xavier_normal_std', 'fans without the receptive field', xavier_ignores_receptive_field,
        'The fans leave out the receptive field of a conv weight.',
        'fan_in = in · (product of the kernel sizes).'),
    ('init.xavier_normal_std', '√(1/(fan_in+fan_out))', xavier_without_2,
        'The std is √(1/(fan_in + fan_out)): the factor 2 is missing.',
        "Xavier's variance is 2/(fan_in + fan_out)."),
    ('init.he_normal_std', '√(1/fan_in) (no ReLU gain)', he_lecun,
        "The std is √(1/fan_in) (LeCun's): ReLU's gain √2 is missing.",
        'He initialisation compensates for ReLU zeroing half of the inputs.'),
    ('init.he_normal_std', 'uses fan_out', he_fan_out,
        'The std uses fan_out instead of fan_in.',
        "The contract's He std is computed from fan_in."),
]


# ---------------------------------------------------------------- adversarial review


def fans_sum_of_kernel(shape):
    """Receptive field as the SUM of the kernel sizes."""
    r = sum(shape[2:]) if len(shape) > 2 else 1
    return shape[1] * r, shape[0] * r


def fans_first_kernel_dim_only(shape):
    r = shape[2] if len(shape) > 2 else 1
    return shape[1] * r, shape[0] * r


def xavier_product_of_fans(shape):
    r = math.prod(shape[2:])
    return math.sqrt(2.0 / (shape[1] * r * shape[0] * r))


def he_sum_of_fans(shape):
    r = math.prod(shape[2:])
    return math.sqrt(2.0 / (shape[1] * r + shape[0] * r))


def he_without_receptive_field(shape):
    return math.sqrt(2.0 / shape[1])


MISTAKES += [
    ('init.fan_in_fan_out', 'receptive field = sum of kernel sizes', fans_sum_of_kernel,
        'The receptive field is the SUM of the kernel sizes instead of their product.',
        'A k1×k2 kernel has k1·k2 weights per channel.'),
    ('init.fan_in_fan_out', 'only the first kernel dim', fans_first_kernel_dim_only,
        'The receptive field counts only the first kernel dimension.',
        'Multiply every kernel dimension.'),
    ('init.xavier_normal_std', '√(2/(fan_in·fan_out))', xavier_product_of_fans,
        'The std is √(2/(fan_in·fan_out)): a product where a sum is due.',
        'Xavier averages the two fans: fan_in + fan_out.'),
    ('init.he_normal_std', '√(2/(fan_in+fan_out))', he_sum_of_fans,
        "The std is √(2/(fan_in + fan_out)) (Xavier's denominator) instead of √(2/fan_in).",
        'He uses fan_in only.'),
    ('init.he_normal_std', 'fan_in without the receptive field', he_without_receptive_field,
        'fan_in leaves out the receptive field of a conv weight.',
        'fan_in = in · (product of the kernel sizes).'),
]
