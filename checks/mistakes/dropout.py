"""Known mistakes of the dropout formulas: wrong implementations, each with a description and a hint."""

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
        'In the inverted convention the kept values are not divided by p_keep.',
        'Inverted dropout rescales at training time so that evaluation needs nothing.'),
    ('dropout.dropout_train', 'inverted dropout without the division (property)', train_inverted_no_division,
        '',
        '',
        {'oracle': 'property:kept-and-dropped', 'verdict': 'property violated'}),
    ('dropout.dropout_train', 'divides in the standard convention too', train_scaled_when_standard,
        'The output is divided by p_keep in the standard convention too.',
        'Only inverted dropout rescales during training.'),
    ('dropout.dropout_train', 'divides by the drop probability', train_divides_by_drop_prob,
        'The kept values are divided by the drop probability 1 − p_keep instead of p_keep.',
        'Rescale by the probability of KEEPING a unit.'),
    ('dropout.dropout_eval', 'eval scaling by 1-p', eval_scaled_by_drop_prob,
        'At evaluation the output is scaled by the drop probability 1 − p_keep instead of p_keep.',
        'The expected value of a kept unit uses the keep probability.'),
    ('dropout.dropout_eval', 'eval scaling by 1-p (expectation over masks)', eval_scaled_by_drop_prob,
        '',
        '',
        {'oracle': 'brute-force:all-masks'}),
    ('dropout.dropout_eval', 'eval scaling in the inverted convention', eval_scaled_when_inverted,
        'At evaluation x is scaled by p_keep in the inverted convention too.',
        'Inverted dropout already rescaled during training: evaluation is the identity.',
        {'oracle': 'brute-force:all-masks'}),
    ('dropout.dropout_eval', 'eval divides by p_keep', eval_divides,
        'At evaluation x is divided by p_keep instead of multiplied.',
        'Standard dropout matches the training expectation: E[m·x] = p_keep·x.'),
    ('dropout.dropout_backward', 'ignores the mask', backward_ignores_mask,
        'The backward ignores the mask: dropped units still get a gradient.',
        "A dropped unit's output was 0 whatever its input."),
    ('dropout.dropout_backward', 'no 1/p_keep in the inverted convention', backward_no_division,
        'In the inverted convention the backward misses the 1/p_keep factor.',
        'The backward of y = x·m/p_keep has the same factor.'),
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
        'In the inverted convention the kept values are multiplied by p_keep instead of divided.',
        'Inverted dropout scales up the kept units.'),
    ('dropout.dropout_train', 'mask read as the drop mask', train_mask_as_drop_mask,
        'The mask is read as the DROP mask: kept units are zeroed and dropped ones kept.',
        'In the contract mask = 1 means the unit is kept.'),
    ('dropout.dropout_eval', 'inverted eval divides by p_keep', eval_inverted_divides,
        'At evaluation the inverted convention divides x by p_keep instead of returning x.',
        "Inverted dropout's evaluation is the identity."),
    ('dropout.dropout_backward', 'standard backward scaled by p_keep', backward_standard_scaled,
        "The standard convention's backward is scaled by p_keep.",
        'Standard training dropout is y = x·m: no factor in its derivative.'),
]


# ---------------------------------------------------------------- tiny p_keep (issue 12)


def dropout_train_via_drop_rate(x, mask, p_keep, inverted):
    """Through the drop rate and back: x / (1 - (1 - p_keep)), which loses p_keep's low bits when it is small."""
    p_drop = 1.0 - p_keep
    y = np.asarray(x, dtype=np.float64) * np.asarray(mask, dtype=np.float64)
    return y / (1.0 - p_drop) if inverted else y


MISTAKES += [
    ('dropout.dropout_train', 'divides by 1 - (1 - p_keep) (via the drop rate)', dropout_train_via_drop_rate,
        'The rescaling is written as 1/(1 − (1 − p_keep)) through the drop rate, which loses precision for tiny p_keep.',
        'Divide by p_keep itself: 1 − (1 − p) is not p in floating point.'),
]
