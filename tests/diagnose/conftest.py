from __future__ import annotations

import functools

from checks.core.vecfile import read
from checks.data import PUBLIC_VECTORS


@functools.cache
def public_vectors():
    """Every formula of the public vectors file, read once per process."""
    return read(PUBLIC_VECTORS).formulas
