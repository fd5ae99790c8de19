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
        'TODO fan_in ignores the receptive field',
        'TODO'),
    ('init.fan_in_fan_out', 'fan_in and fan_out swapped', fans_swapped,
        'TODO fan_in and fan_out swapped',
        'TODO'),
    ('init.xavier_normal_std', 'fans without the receptive field', xavier_ignores_receptive_field,
        'TODO fans without the receptive field',
        'TODO'),
    ('init.xavier_normal_std', '√(1/(fan_in+fan_out))', xavier_without_2,
        'TODO √(1/(fan_in+fan_out))',
        'TODO'),
    ('init.he_normal_std', '√(1/fan_in) (no ReLU gain)', he_lecun,
        'TODO √(1/fan_in) (no ReLU gain)',
        'TODO'),
    ('init.he_normal_std', 'uses fan_out', he_fan_out,
        'TODO uses fan_out',
        'TODO'),
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
        'TODO receptive field = sum of kernel sizes',
        'TODO'),
    ('init.fan_in_fan_out', 'only the first kernel dim', fans_first_kernel_dim_only,
        'TODO only the first kernel dim',
        'TODO'),
    ('init.xavier_normal_std', '√(2/(fan_in·fan_out))', xavier_product_of_fans,
        'TODO √(2/(fan_in·fan_out))',
        'TODO'),
    ('init.he_normal_std', '√(2/(fan_in+fan_out))', he_sum_of_fans,
        'TODO √(2/(fan_in+fan_out))',
        'TODO'),
    ('init.he_normal_std', 'fan_in without the receptive field', he_without_receptive_field,
        'TODO fan_in without the receptive field',
        'TODO'),
]
