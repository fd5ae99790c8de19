"""Known mistakes of the pool formulas: wrong implementations, each with a description and a hint."""

import numpy as np

import reference.pool as R


def _windows(x, k, stride):
    x = np.asarray(x, dtype=np.float64)
    H, W = x.shape[2:]
    Ho, Wo = (H - k) // stride + 1, (W - k) // stride + 1
    for i in range(Ho):
        for j in range(Wo):
            yield i, j, x[:, :, i * stride:i * stride + k, j * stride:j * stride + k]


def maxpool_windows_step_k(x, k, stride):
    """Windows start at i*k (non-overlapping thinking) while the output size uses the stride."""
    x = np.asarray(x, dtype=np.float64)
    H, W = x.shape[2:]
    Ho, Wo = (H - k) // stride + 1, (W - k) // stride + 1
    y = np.empty(x.shape[:2] + (Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            r, c = min(i * k, H - k), min(j * k, W - k)
            y[:, :, i, j] = x[:, :, r:r + k, c:c + k].max(axis=(2, 3))
    return y


def maxpool_bw_assign(x, k, stride, dy):
    """dx[argmax] = dy: overlapping windows sharing a maximum overwrite each other."""
    x = np.asarray(x, dtype=np.float64)
    dx = np.zeros_like(x)
    for i, j, w in _windows(x, k, stride):
        flat = w.reshape(w.shape[0], w.shape[1], -1)
        am = flat.argmax(-1)
        for n in range(x.shape[0]):
            for c in range(x.shape[1]):
                a, b = divmod(int(am[n, c]), k)
                dx[n, c, i * stride + a, j * stride + b] = dy[n, c, i, j]
    return dx


def maxpool_bw_all_tied(x, k, stride, dy):
    """dy * 1[x == window max]: every tied maximum gets the whole dy (weights sum to more than 1)."""
    x = np.asarray(x, dtype=np.float64)
    dx = np.zeros_like(x)
    for i, j, w in _windows(x, k, stride):
        m = (w == w.max(axis=(2, 3), keepdims=True))
        dx[:, :, i * stride:i * stride + k, j * stride:j * stride + k] += m * dy[:, :, i:i + 1, j:j + 1]
    return dx


def avgpool_bw_no_k2(x, k, stride, dy):
    return R.avgpool2d_backward(x, k, stride, dy) * (k * k)


def avgpool_bw_assign(x, k, stride, dy):
    x = np.asarray(x, dtype=np.float64)
    dx = np.zeros_like(x)
    for i, j, _ in _windows(x, k, stride):
        dx[:, :, i * stride:i * stride + k, j * stride:j * stride + k] = dy[:, :, i:i + 1, j:j + 1] / (k * k)
    return dx


def kmax_sorted_by_value(x, k):
    x = np.asarray(x, dtype=np.float64)
    return -np.sort(-x, axis=-1)[..., :k]


def kmax_first_k_steps(x, k):
    return np.array(np.asarray(x, dtype=np.float64)[..., :k])


def kmax_bw_value_order(x, k, dy):
    """dy[j] goes to the position of the j-th LARGEST value instead of the j-th chosen one in time order."""
    x = np.asarray(x, dtype=np.float64)
    pos = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    dx = np.zeros_like(x)
    np.put_along_axis(dx, pos, dy, axis=-1)
    return dx


def kmax_bw_split_ties(x, k, dy):
    """At a tie on the k-th largest, dy of the tied slot is split over every tied position."""
    x = np.asarray(x, dtype=np.float64)
    dx = R.kmax_pool_backward(x, k, dy)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            row = x[n, c]
            thr = np.sort(row)[::-1][k - 1]
            eq = np.flatnonzero(row == thr)
            need = k - int((row > thr).sum())
            if len(eq) > need:
                mass = dx[n, c, eq].sum()
                dx[n, c, eq] = mass / len(eq)
    return dx


MISTAKES = [
    ('pool.maxpool2d', 'windows step by k instead of stride', maxpool_windows_step_k,
        'The windows move by k instead of by the stride.',
        'Window (i, j) starts at (i·stride, j·stride).'),
    ('pool.maxpool2d_backward', 'assigns instead of accumulating (overlapping windows)', maxpool_bw_assign,
        "Overlapping windows overwrite each other's gradient instead of adding up.",
        "A position that is the maximum of several windows receives each window's dy."),
    ('pool.maxpool2d_backward', 'whole dy to every tied maximum', maxpool_bw_all_tied,
        'The whole dy goes to every tied maximum of a window.',
        "A window's dy is one gradient: it may be split over tied maxima but must sum to dy."),
    ('pool.avgpool2d_backward', 'forgets the 1/k²', avgpool_bw_no_k2,
        'The 1/k² of the mean is missing.',
        "Average pooling divides each window's sum by its k² elements."),
    ('pool.avgpool2d_backward', 'assigns instead of accumulating (overlapping windows)', avgpool_bw_assign,
        "Overlapping windows overwrite each other's gradient instead of adding up.",
        'A position inside several windows receives a share from each.'),
    ('pool.kmax_pool', 'sorted by value, not time order', kmax_sorted_by_value,
        'The k largest values are returned sorted by value instead of in their time order.',
        'k-max pooling keeps the selected values in their original order.'),
    ('pool.kmax_pool', 'first k time steps', kmax_first_k_steps,
        'The first k time steps are returned instead of the k largest values.',
        'Select by value, then keep the time order.'),
    ('pool.kmax_pool_backward', 'dy in value order', kmax_bw_value_order,
        'dy is sent back in value order instead of time order.',
        'dy[..., j] belongs to the j-th selected position in time order.'),
    ('pool.kmax_pool_backward', 'dy split over tied positions', kmax_bw_split_ties,
        'dy is split over tied positions instead of going to the selected ones.',
        'Use the same positions as the forward (the earliest at a tie).'),
]


# ---------------------------------------------------------------- added by the adversarial review


def maxpool_bw_unravel_by_stride(x, k, stride, dy):
    """The flat argmax of a k×k window unravelled with divmod(·, stride) instead of divmod(·, k)."""
    x = np.asarray(x, dtype=np.float64)
    dx = np.zeros_like(x)
    for i, j, w in _windows(x, k, stride):
        am = w.reshape(w.shape[0], w.shape[1], -1).argmax(-1)
        for n in range(x.shape[0]):
            for c in range(x.shape[1]):
                a, b = divmod(int(am[n, c]), stride)
                dx[n, c, i * stride + min(a, k - 1), j * stride + min(b, k - 1)] += dy[n, c, i, j]
    return dx


def maxpool_bw_split_then_divide_by_windows(x, k, stride, dy):
    """Each window's dy given to all its tied maxima, then every position divided by the number of
    windows that hold it as a maximum: a "normalisation" that is right only without ties and overlaps."""
    x = np.asarray(x, dtype=np.float64)
    dx, cnt = np.zeros_like(x), np.zeros_like(x)
    for i, j, w in _windows(x, k, stride):
        m = w == w.max(axis=(2, 3), keepdims=True)
        dx[:, :, i * stride:i * stride + k, j * stride:j * stride + k] += m * dy[:, :, i:i + 1, j:j + 1]
        cnt[:, :, i * stride:i * stride + k, j * stride:j * stride + k] += m
    return dx / np.maximum(cnt, 1)


def avgpool_bw_repeat_upsample(x, k, stride, dy):
    """np.repeat upsampling of dy / k² (right only for stride == k), cropped into x's shape."""
    x = np.asarray(x, dtype=np.float64)
    up = np.repeat(np.repeat(dy, k, axis=2), k, axis=3) / (k * k)
    dx = np.zeros_like(x)
    h, w = min(up.shape[2], x.shape[2]), min(up.shape[3], x.shape[3])
    dx[:, :, :h, :w] = up[:, :, :h, :w]
    return dx


def _kth(row, k):
    return np.sort(row)[::-1][k - 1]


def kmax_mask_first_k(x, k):
    """Keeps x >= the k-th largest (every tied value) and truncates to the first k in time order:
    drops a larger value that comes after the tied ones."""
    x = np.asarray(x, dtype=np.float64)
    out = np.empty(x.shape[:2] + (k,))
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            row = x[n, c]
            out[n, c] = row[row >= _kth(row, k)][:k]
    return out


def kmax_above_then_kth(x, k):
    """The values above the k-th largest (in time order), then copies of the k-th largest at the end."""
    x = np.asarray(x, dtype=np.float64)
    out = np.empty(x.shape[:2] + (k,))
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            row = x[n, c]
            gt = row[row > _kth(row, k)]
            out[n, c] = np.concatenate([gt, np.full(k - gt.size, _kth(row, k))])
    return out


def kmax_bw_mask_first_k(x, k, dy):
    """dy to the first k positions (time order) with x >= the k-th largest: the backward of kmax_mask_first_k."""
    x = np.asarray(x, dtype=np.float64)
    dx = np.zeros_like(x)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            pos = np.flatnonzero(x[n, c] >= _kth(x[n, c], k))[:k]
            dx[n, c, pos] = dy[n, c, :pos.size]
    return dx


def kmax_bw_every_tie_gets_dy(x, k, dy):
    """Every position >= the k-th largest gets a dy (time order); surplus tied positions repeat the last one."""
    x = np.asarray(x, dtype=np.float64)
    dx = np.zeros_like(x)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for j, p in enumerate(np.flatnonzero(x[n, c] >= _kth(x[n, c], k))):
                dx[n, c, p] = dy[n, c, min(j, k - 1)]
    return dx


MISTAKES += [
    ('pool.maxpool2d_backward', 'argmax unravelled with the stride instead of k', maxpool_bw_unravel_by_stride,
        'The argmax inside a window is unravelled with the stride instead of the window size k.',
        'A flat index inside a k×k window is (a, b) = divmod(index, k).'),
    ('pool.maxpool2d_backward', 'dy to every tied maximum, divided by the count of windows', maxpool_bw_split_then_divide_by_windows,
        "dy goes to every tied maximum divided by a count of windows, not as a valid split of each window's dy.",
        "Each window's dy must go, in total, to that window's maximum (maxima)."),
    ('pool.avgpool2d_backward', 'np.repeat upsampling (stride == k assumed)', avgpool_bw_repeat_upsample,
        'The backward upsamples with np.repeat, which is only right when stride == k.',
        'With overlapping or gapped windows each window adds its share over its own k×k area.'),
    ('pool.kmax_pool', 'x >= k-th largest, first k in time order', kmax_mask_first_k,
        'Values ≥ the k-th largest are taken first-k in time order, which picks the wrong ones at ties.',
        'At a tie the contract keeps the earliest of the TIED values only after every strictly larger value.'),
    ('pool.kmax_pool', 'values above the k-th largest, then the k-th largest appended', kmax_above_then_kth,
        'The values above the k-th largest are kept and the k-th largest is appended at the end, breaking the time order.',
        'The selected values stay in their time order.'),
    ('pool.kmax_pool_backward', 'x >= k-th largest, first k in time order', kmax_bw_mask_first_k,
        'The backward selects values ≥ the k-th largest first-k in time order, which picks the wrong positions at ties.',
        "Use exactly the forward's selected positions."),
    ('pool.kmax_pool_backward', 'every tied position gets a dy', kmax_bw_every_tie_gets_dy,
        'Every tied position gets a dy, not only the selected ones.',
        'Only the k selected positions receive a gradient.'),
]
