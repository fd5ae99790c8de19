"""checks.core.case: py_repr, the copy-pastable form of an input or a result."""

from __future__ import annotations

import numpy as np

from checks.core.case import py_repr


def test_py_repr_round_trips():
    vals = [np.array([[1e-300, -0.0, 1e4]]), np.array([1, 2], dtype=np.int64), np.array(0.5), 3, 0.1,
            {"a": np.array([True, False])}, [np.array([1.5])]]
    for v in vals:
        back = eval(py_repr(v), {"np": np})
        if isinstance(v, np.ndarray):
            assert back.dtype == v.dtype and np.array_equal(back, v)
