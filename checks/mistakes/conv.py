"""Known mistakes of the conv formulas: wrong implementations, each with a description and a hint."""

import numpy as np

import reference as R


def conv_no_bias(x, w, b):
    return np.einsum("oc,nchw->nohw", w, x)


def conv_bias_on_input_channels(x, w, b):
    return np.einsum("oc,nchw->nohw", w, x) + np.asarray(b).mean()


def backward_db_mean(x, w, b, dy):
    dx, dw, db = R.conv1x1_backward(x, w, b, dy)
    return dx, dw, np.asarray(dy).mean(axis=(0, 2, 3))


def backward_dw_first_sample(x, w, b, dy):
    dx, dw, db = R.conv1x1_backward(x, w, b, dy)
    return dx, np.einsum("ohw,chw->oc", dy[0], x[0]), db


def backward_dx_untransposed(x, w, b, dy):
    dx, dw, db = R.conv1x1_backward(x, w, b, dy)
    w = np.asarray(w)
    if w.shape[0] == w.shape[1]:
        dx = np.einsum("co,nohw->nchw", w, dy)
    return dx, dw, db


MISTAKES = [
    ('conv.conv1x1', 'bias dropped', conv_no_bias,
        'The bias b is never added.',
        'Each output channel o gets its own + b[o].'),
    ('conv.conv1x1', 'bias averaged', conv_bias_on_input_channels,
        'One averaged bias b.mean() is added to every output channel instead of b[o] to channel o.',
        'b has one entry per output channel; broadcast it over (N, H, W).'),
    ('conv.conv1x1_backward', 'db averaged instead of summed', backward_db_mean,
        'db is the mean of dy over (N, H, W) instead of the sum.',
        'The bias is shared by every position of the batch and image: add up their gradients.'),
    ('conv.conv1x1_backward', 'dw from the first sample only', backward_dw_first_sample,
        'dw is computed from the first sample of the batch only.',
        'The weights are shared by every sample: sum over the batch too.'),
    ('conv.conv1x1_backward', 'dx with w instead of wT', backward_dx_untransposed,
        'dx uses w instead of wᵀ to map the output gradient back to the input channels.',
        'Forward maps channels with w; backward maps them back with its transpose.'),
]


# ---------------------------------------------------------------- adversarial review


def conv_reshape_without_transpose(x, w, b):
    """x.reshape(-1, Cin) treats NCHW memory as rows of channels (right only for H = W = 1)."""
    x = np.asarray(x, dtype=np.float64)
    n, c, h, wd = x.shape
    return (x.reshape(-1, c) @ np.asarray(w).T + b).reshape(n, np.shape(w)[0], h, wd)


def conv_h_w_swapped_back(x, w, b):
    """NHWC matmul, transposed back with (0, 3, 2, 1): H and W swapped (visible when H == W)."""
    x = np.asarray(x, dtype=np.float64)
    y = x.transpose(0, 2, 3, 1) @ np.asarray(w).T + b
    perm = (0, 3, 2, 1) if x.shape[2] == x.shape[3] else (0, 3, 1, 2)
    return np.ascontiguousarray(y.transpose(perm))


def conv_w_untransposed_when_square(x, w, b):
    w = np.asarray(w, dtype=np.float64)
    if w.shape[0] == w.shape[1]:
        return np.einsum("co,nchw->nohw", w, x) + np.asarray(b)[None, :, None, None]
    return R.conv1x1(x, w, b)


def backward_reshape_without_transpose(x, w, b, dy):
    x, dy = np.asarray(x, dtype=np.float64), np.asarray(dy, dtype=np.float64)
    c, o = x.shape[1], dy.shape[1]
    xf, dyf = x.reshape(-1, c), dy.reshape(-1, o)
    return (dyf @ np.asarray(w)).reshape(x.shape), dyf.T @ xf, dy.sum(axis=(0, 2, 3))


def backward_db_per_pixel_mean(x, w, b, dy):
    dx, dw, db = R.conv1x1_backward(x, w, b, dy)
    return dx, dw, db / (np.shape(dy)[2] * np.shape(dy)[3])


MISTAKES += [
    ('conv.conv1x1', 'reshape(-1, Cin) without moving channels last', conv_reshape_without_transpose,
        'x is reshaped to (-1, Cin) without first moving the channel axis last, which mixes pixels and channels.',
        'reshape does not move axes: transpose the channel axis to the end before reshaping.'),
    ('conv.conv1x1', 'H and W swapped on the way back', conv_h_w_swapped_back,
        'When reshaping back, H and W are swapped.',
        'Undo the reshape and transpose in exactly the reverse order.'),
    ('conv.conv1x1', 'w instead of wT when Cin == Cout', conv_w_untransposed_when_square,
        'The channels are mixed with w where wᵀ is due (only shapes with Cin == Cout let it run).',
        'w has shape (Cout, Cin): check which of its indices runs over the input channels.'),
    ('conv.conv1x1_backward', 'reshape(-1, C) without moving channels last', backward_reshape_without_transpose,
        'The backward reshapes to (-1, C) without moving the channel axis last, mixing pixels and channels.',
        'reshape does not move axes: transpose first.'),
    ('conv.conv1x1_backward', 'db averaged over the pixels', backward_db_per_pixel_mean,
        'db is divided by H·W (averaged over the pixels) instead of summed.',
        'The bias gradient is a sum over every position, with no average.'),
]
