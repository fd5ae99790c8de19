"""Known mistakes of the clip formulas: wrong implementations, each with a description and a hint."""

import math

import numpy as np


def _norm(gs):
    return math.sqrt(sum(float(np.sum(np.asarray(g) ** 2)) for g in gs))


def clip_norm_per_tensor(grads, max_norm):
    """Clips every array by its own norm instead of the global one."""
    out = []
    for g in grads:
        g = np.asarray(g, dtype=np.float64)
        n = float(np.sqrt(np.sum(g * g)))
        out.append(np.asarray(g * min(1.0, max_norm / (n + 1e-6))))
    return out, _norm(grads)


def clip_norm_scales_up(grads, max_norm):
    """Always multiplies by max_norm/(total+1e-6), also when that factor is > 1."""
    total = _norm(grads)
    f = max_norm / (total + 1e-6)
    return [np.asarray(np.asarray(g, dtype=np.float64) * f) for g in grads], total


def clip_norm_returns_norm_after(grads, max_norm):
    total = _norm(grads)
    f = min(1.0, max_norm / (total + 1e-6))
    out = [np.asarray(np.asarray(g, dtype=np.float64) * f) for g in grads]
    return out, _norm(out)


def clip_norm_no_eps(grads, max_norm):
    """if total > max_norm: scale by max_norm/total (no 1e-6: exactly at the threshold nothing happens)."""
    total = _norm(grads)
    if total > max_norm:
        return [np.asarray(np.asarray(g, dtype=np.float64) * (max_norm / total)) for g in grads], total
    return [np.array(g, dtype=np.float64) for g in grads], total


def clip_value_only_above(grads, clip):
    return [np.asarray(np.minimum(np.asarray(g, dtype=np.float64), clip)) for g in grads]


def clip_value_by_abs(grads, clip):
    """Clips magnitudes and loses the sign."""
    return [np.asarray(np.minimum(np.abs(np.asarray(g, dtype=np.float64)), clip)) for g in grads]


MISTAKES = [
    ('clip.clip_grad_norm', 'per-tensor instead of global norm', clip_norm_per_tensor,
        'Each array is clipped by its own norm instead of by the one global norm of all arrays.',
        'Clipping by norm keeps the direction of the WHOLE gradient: one factor for every array.'),
    ('clip.clip_grad_norm', 'scales gradients up (factor > 1 applied)', clip_norm_scales_up,
        'Gradients are rescaled even when their norm is below max_norm, which scales small gradients up.',
        'The factor is min(1, ·): clipping only ever shrinks.'),
    ('clip.clip_grad_norm', 'returns the norm after clipping', clip_norm_returns_norm_after,
        'The returned total norm is measured after clipping instead of before.',
        'The contract (like torch) returns the norm the gradients had when they came in.'),
    ('clip.clip_grad_norm', 'no 1e-6: at the threshold leaves the gradient alone', clip_norm_no_eps,
        'The factor is max_norm/‖g‖ (no + 1e-6) and is applied only when the norm exceeds max_norm.',
        "Compare your factor and your condition with the contract's: max_norm/(total + 1e-6), applied when it is below 1."),
    ('clip.clip_grad_norm', 'per-tensor caught by the global-factor property', clip_norm_per_tensor,
        '',
        '',
        {'oracle': 'property:global-factor', 'verdict': 'property violated'}),
    ('clip.clip_grad_value', 'clips only above', clip_value_only_above,
        'Values are clipped only from above; values below −clip are left as they are.',
        'Clip by value bounds both sides: [−clip, clip].'),
    ('clip.clip_grad_value', 'clips the magnitude, loses the sign', clip_value_by_abs,
        'The magnitude is clipped but the sign is lost.',
        'Clipping a negative value must keep it negative.'),
]


# ---------------------------------------------------------------- adversarial review


def clip_norm_sum_of_norms(grads, max_norm):
    """Total = Σ‖g_i‖ instead of √Σ‖g_i‖²."""
    total = sum(float(np.linalg.norm(np.ravel(g))) for g in grads)
    f = min(1.0, max_norm / (total + 1e-6))
    return [np.asarray(np.asarray(g, dtype=np.float64) * f) for g in grads], total


def clip_norm_condition_total_gt(grads, max_norm):
    """Scales only when total > max_norm (the contract: whenever max_norm/(total+1e-6) < 1)."""
    total = _norm(grads)
    if total > max_norm:
        f = max_norm / (total + 1e-6)
        return [np.asarray(np.asarray(g, dtype=np.float64) * f) for g in grads], total
    return [np.array(g, dtype=np.float64) for g in grads], total


def clip_norm_returns_squared_norm(grads, max_norm):
    total = _norm(grads)
    f = min(1.0, max_norm / (total + 1e-6))
    return [np.asarray(np.asarray(g, dtype=np.float64) * f) for g in grads], total ** 2


def clip_norm_max_abs(grads, max_norm):
    """Scales by the largest |element| (the inf-norm) instead of the L2 norm."""
    amax = max(float(np.max(np.abs(g))) for g in grads)
    f = min(1.0, max_norm / (amax + 1e-6))
    return [np.asarray(np.asarray(g, dtype=np.float64) * f) for g in grads], _norm(grads)


def clip_value_lower_bound_zero(grads, clip):
    return [np.asarray(np.clip(np.asarray(g, dtype=np.float64), 0.0, clip)) for g in grads]


def clip_value_by_norm(grads, clip):
    """Rescales each array by its norm instead of clipping elements."""
    out = []
    for g in grads:
        g = np.asarray(g, dtype=np.float64)
        out.append(np.asarray(g * min(1.0, clip / (float(np.linalg.norm(np.ravel(g))) + 1e-6))))
    return out


MISTAKES += [
    ('clip.clip_grad_norm', 'total = sum of the per-array norms', clip_norm_sum_of_norms,
        'The total norm is the sum of the per-array norms instead of the norm of all elements together.',
        'The global norm is √(Σ over all elements of g²), not Σ of norms.'),
    ('clip.clip_grad_norm', 'scales only when total > max_norm', clip_norm_condition_total_gt,
        "Gradients are scaled only when total > max_norm, not by the contract's factor rule near the threshold.",
        'Decide with the factor itself: scale when max_norm/(total + 1e-6) < 1.'),
    ('clip.clip_grad_norm', 'returns the squared norm', clip_norm_returns_squared_norm,
        'The returned total norm is the squared norm (the square root is missing).',
        'A norm is the square root of the sum of squares.'),
    ('clip.clip_grad_norm', 'inf-norm instead of L2', clip_norm_max_abs,
        'The norm used is the largest absolute value (inf-norm) instead of the L2 norm.',
        'The contract clips by the Euclidean norm.'),
    ('clip.clip_grad_value', 'clips to [0, clip]', clip_value_lower_bound_zero,
        'Values are clipped to [0, clip] instead of [−clip, clip].',
        'Check the lower bound of the clipping range.'),
    ('clip.clip_grad_value', "rescales by each array's norm", clip_value_by_norm,
        'Each array is rescaled by its norm instead of clipping each element by value.',
        'Clip by value acts element by element.'),
]
