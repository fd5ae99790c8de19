"""Gradient callables passed as ``grad_fn`` to ``optim.nag_step``.

``nag_step(theta, grad_fn, m, lr, beta)`` evaluates ``grad_fn`` at the
look-ahead point. The grader sends arguments to a sandboxed worker, so a
``grad_fn`` is an instance of a small class holding only numpy arrays:

- picklable (plain attributes) and deep-copyable;
- ``repr`` is a copy-pastable constructor call, e.g.
  ``QuadraticGrad(A=np.array([[2.0, 0.5], [0.5, 1.0]]), b=np.array([1.0, -1.0]))``
  (``from checks.core.gradfns import QuadraticGrad`` and ``import numpy as np``);
- ``==`` compares the arrays bit for bit (the in-place-modification check of
  the engine uses it: a submission must not change the loss it is given);
- :meth:`spec` / :func:`from_spec` give a JSON-safe form (lists and strings).

This module imports numpy only (cheap in a worker). :meth:`torch_loss` is
used by the oracles and tests: it imports torch lazily through
``checks.oracles.torchlib`` and never runs in a worker.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["QuadraticGrad", "LogisticGrad", "from_spec", "GRAD_FNS"]


def _arr(name: str, owner: str, a, ndim: int) -> np.ndarray:
    try:
        x = np.array(a, dtype=np.float64)  # a copy: the caller's array stays the caller's
    except (TypeError, ValueError) as e:
        raise ValueError(f"{owner}: {name} must be a float array, got {type(a).__name__} ({e})") from None
    if x.ndim != ndim:
        raise ValueError(f"{owner}: {name} must have {ndim} dimension(s), got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{owner}: {name} must be finite")
    return x


def _float_repr(v: float) -> str:
    if math.isnan(v):
        return "float('nan')"
    if math.isinf(v):
        return "float('inf')" if v > 0 else "-float('inf')"
    return repr(float(v))


def _np_repr(a: np.ndarray) -> str:
    def rec(x):
        if isinstance(x, list):
            return "[" + ", ".join(rec(e) for e in x) + "]"
        return _float_repr(x)

    return f"np.array({rec(a.tolist())})"


class _GradFn:
    _fields: tuple[str, ...] = ()

    @property
    def dim(self) -> int:
        raise NotImplementedError

    def _theta(self, theta) -> np.ndarray:
        th = np.asarray(theta, dtype=np.float64)
        if th.shape != (self.dim,):
            raise ValueError(f"{type(self).__name__} expects theta of shape ({self.dim},), got shape {th.shape}")
        return th

    def __repr__(self) -> str:
        body = ", ".join(f"{k}={_np_repr(getattr(self, k))}" for k in self._fields)
        return f"{type(self).__name__}({body})"

    def __eq__(self, other) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        for k in self._fields:
            a, b = getattr(self, k), getattr(other, k)
            if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
                return False
            if a.dtype != b.dtype or a.shape != b.shape or not np.array_equal(a, b):
                return False
        return True

    __hash__ = None  # mutable arrays inside: not hashable

    def spec(self) -> dict:
        """JSON-safe form: ``{"type": name, field: nested lists}``; :func:`from_spec` inverts it."""
        return {"type": type(self).__name__, **{k: getattr(self, k).tolist() for k in self._fields}}


class QuadraticGrad(_GradFn):
    r"""Gradient of :math:`J(\theta) = \tfrac12 \theta^\top A \theta - b^\top \theta`: ``A @ theta - b``.

    ``A`` (D,D) symmetric (exactly: ``A == A.T``), ``b`` (D,).
    """

    _fields = ("A", "b")

    def __init__(self, A, b):
        A = _arr("A", "QuadraticGrad", A, 2)
        b = _arr("b", "QuadraticGrad", b, 1)
        if A.shape[0] != A.shape[1]:
            raise ValueError(f"QuadraticGrad: A must be square, got shape {A.shape}")
        if b.shape[0] != A.shape[0]:
            raise ValueError(f"QuadraticGrad: b must have shape ({A.shape[0]},), got {b.shape}")
        if not np.array_equal(A, A.T):
            raise ValueError("QuadraticGrad: A must be symmetric (A == A.T exactly)")
        self.A, self.b = A, b

    @property
    def dim(self) -> int:
        return self.b.shape[0]

    def __call__(self, theta) -> np.ndarray:
        th = self._theta(theta)
        return self.A @ th - self.b

    def loss(self, theta) -> float:
        th = self._theta(theta)
        return float(0.5 * th @ self.A @ th - self.b @ th)

    def grad_scale(self, theta) -> np.ndarray:
        """Elementwise size of the terms summed in the gradient, |A| |theta| + |b|: its rounding error is a few ulps of it.

        ``theta`` may be an elementwise bound on abs(theta) instead (rounding in a look-ahead point).
        """
        th = self._theta(theta)
        return np.abs(self.A) @ np.abs(th) + np.abs(self.b)

    def torch_loss(self, theta_t):
        """The loss as a torch scalar of a float64 tensor ``theta_t`` (autograd gives the gradient)."""
        from checks.oracles.torchlib import T

        A, b = T(self.A), T(self.b)
        return 0.5 * (theta_t @ (A @ theta_t)) - b @ theta_t


class LogisticGrad(_GradFn):
    r"""Gradient of the mean logistic loss :math:`J(\theta) = \frac1N\sum_n \log(1+e^{z_n}) - y_n z_n`, :math:`z = X\theta`.

    ``X`` (N,D), ``y`` (N,) in {0, 1}. The gradient is :math:`X^\top(\sigma(X\theta) - y)/N`
    (notes 002 §7 逻辑回归, with the sign of a loss to minimise).
    """

    _fields = ("X", "y")

    def __init__(self, X, y):
        X = _arr("X", "LogisticGrad", X, 2)
        y = _arr("y", "LogisticGrad", y, 1)
        if X.shape[0] < 1:
            raise ValueError("LogisticGrad: X must have at least one row")
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"LogisticGrad: y must have shape ({X.shape[0]},), got {y.shape}")
        if not np.all((y == 0) | (y == 1)):
            raise ValueError("LogisticGrad: y must hold only 0.0 and 1.0")
        self.X, self.y = X, y

    @property
    def dim(self) -> int:
        return self.X.shape[1]

    @staticmethod
    def _sigmoid(z: np.ndarray) -> np.ndarray:
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

    def __call__(self, theta) -> np.ndarray:
        th = self._theta(theta)
        return self.X.T @ (self._sigmoid(self.X @ th) - self.y) / self.X.shape[0]

    def loss(self, theta) -> float:
        z = self.X @ self._theta(theta)
        return float(np.mean(np.logaddexp(0.0, z) - self.y * z))

    def grad_scale(self, theta) -> np.ndarray:
        """A bound on the terms summed in the gradient, |X|^T (1 + y) / N (sigma <= 1), whatever theta."""
        self._theta(theta)
        return np.abs(self.X).T @ (1.0 + self.y) / self.X.shape[0]

    def torch_loss(self, theta_t):
        from checks.oracles.torchlib import F, T

        return F().binary_cross_entropy_with_logits(T(self.X) @ theta_t, T(self.y))


GRAD_FNS = {c.__name__: c for c in (QuadraticGrad, LogisticGrad)}


def from_spec(spec: dict) -> _GradFn:
    """Rebuild a grad_fn from :meth:`spec` output (only the known classes: safe to call on data)."""
    if not isinstance(spec, dict) or spec.get("type") not in GRAD_FNS:
        raise ValueError(f"from_spec: expected a dict with 'type' in {sorted(GRAD_FNS)}, got {spec!r:.200}")
    cls = GRAD_FNS[spec["type"]]
    missing = [k for k in cls._fields if k not in spec]
    if missing:
        raise ValueError(f"from_spec: {spec['type']} needs key(s) {missing}")
    return cls(**{k: np.asarray(spec[k], dtype=np.float64) for k in cls._fields})
