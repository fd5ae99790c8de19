import numpy as np


def train_inverted_no_division(x, mask, p_keep, inverted):
    return x * mask  # forgets /p_keep in the inverted convention


def train_scaled_when_standard(x, mask, p_keep, inverted):
    return x * mask / p_keep  # always inverted


def train_divides_by_drop_prob(x, mask, p_keep, inverted):
    return x * mask / (1 - p_keep) if inverted and p_keep < 1 else x * mask


def eval_scaled_by_drop_prob(x, p_keep, inverted):
    return np.array(x, dtype=np.float64) if inverted else x * (1 - p_keep)  # scales by 1-p instead of p


def eval_scaled_when_inverted(x, p_keep, inverted):
    return x * p_keep  # scales in both conventions


def eval_divides(x, p_keep, inverted):
    return np.array(x, dtype=np.float64) if inverted else x / p_keep


def backward_ignores_mask(dy, mask, p_keep, inverted):
    return dy / p_keep if inverted else np.array(dy, dtype=np.float64)


def backward_no_division(dy, mask, p_keep, inverted):
    return dy * mask


MISTAKES = [
    ('dropout.dropout_train', 'inverted dropout without the division', train_inverted_no_division,
        'TODO inverted dropout without the division',
        'TODO'),
    ('dropout.dropout_train', 'inverted dropout without the division (property)', train_inverted_no_division,
        '',
        '',
        {'oracle': 'property:kept-and-dropped', 'verdict': 'property violated'}),
    ('dropout.dropout_train', 'divides in the standard convention too', train_scaled_when_standard,
        'TODO divides in the standard convention too',
        'TODO'),
    ('dropout.dropout_train', 'divides by the drop probability', train_divides_by_drop_prob,
        'TODO divides by the drop probability',
        'TODO'),
    ('dropout.dropout_eval', 'eval scaling by 1-p', eval_scaled_by_drop_prob,
        'TODO eval scaling by 1-p',
        'TODO'),
    ('dropout.dropout_eval', 'eval scaling by 1-p (expectation over masks)', eval_scaled_by_drop_prob,
        '',
        '',
        {'oracle': 'brute-force:all-masks'}),
    ('dropout.dropout_eval', 'eval scaling in the inverted convention', eval_scaled_when_inverted,
        'TODO eval scaling in the inverted convention',
        'TODO',
        {'oracle': 'brute-force:all-masks'}),
    ('dropout.dropout_eval', 'eval divides by p_keep', eval_divides,
        'TODO eval divides by p_keep',
        'TODO'),
    ('dropout.dropout_backward', 'ignores the mask', backward_ignores_mask,
        'TODO ignores the mask',
        'TODO'),
    ('dropout.dropout_backward', 'no 1/p_keep in the inverted convention', backward_no_division,
        'TODO no 1/p_keep in the inverted convention',
        'TODO'),
    ('dropout.dropout_backward', 'ignores the mask (property)', backward_ignores_mask,
        '',
        '',
        {'oracle': 'property:same-diagonal-map', 'verdict': 'property violated'}),
]


# ---------------------------------------------------------------- adversarial review


def train_inverted_multiplies(x, mask, p_keep, inverted):
    return x * mask * p_keep if inverted else x * mask


def train_mask_as_drop_mask(x, mask, p_keep, inverted):
    """Reads mask 1 as "drop"."""
    y = x * (1 - mask)
    return y / p_keep if inverted else y


def eval_inverted_divides(x, p_keep, inverted):
    return x / p_keep if inverted else x * p_keep


def backward_standard_scaled(dy, mask, p_keep, inverted):
    return dy * mask / p_keep if inverted else dy * mask * p_keep


MISTAKES += [
    ('dropout.dropout_train', 'inverted multiplies by p_keep', train_inverted_multiplies,
        'TODO inverted multiplies by p_keep',
        'TODO'),
    ('dropout.dropout_train', 'mask read as the drop mask', train_mask_as_drop_mask,
        'TODO mask read as the drop mask',
        'TODO'),
    ('dropout.dropout_eval', 'inverted eval divides by p_keep', eval_inverted_divides,
        'TODO inverted eval divides by p_keep',
        'TODO'),
    ('dropout.dropout_backward', 'standard backward scaled by p_keep', backward_standard_scaled,
        'TODO standard backward scaled by p_keep',
        'TODO'),
]


# ---------------------------------------------------------------- tiny p_keep (issue 12)


def dropout_train_via_drop_rate(x, mask, p_keep, inverted):
    """Through the drop rate and back: x / (1 - (1 - p_keep)), which loses p_keep's low bits when it is small."""
    p_drop = 1.0 - p_keep
    y = np.asarray(x, dtype=np.float64) * np.asarray(mask, dtype=np.float64)
    return y / (1.0 - p_drop) if inverted else y


MISTAKES += [
    ('dropout.dropout_train', 'divides by 1 - (1 - p_keep) (via the drop rate)', dropout_train_via_drop_rate,
        'TODO divides by 1 - (1 - p_keep) (via the drop rate)',
        'TODO'),
]
