"""Attack: fill /tmp and /dev/shm (hundreds of MB) and leave it there.

Writes files of 15 MB (under the per-file size limit) named
``fchostile-fill-*`` into /tmp, /dev/shm and /var/tmp until 300 MB per
place or the first error, and never removes them. sigmoid is honest.

Expected verdict: none of it is on the machine after the batch (the
sandbox's /tmp and /dev/shm are private and thrown away, or not
writable), the neighbour keeps full marks, at most the sigmoid point.
"""
import os

import numpy as np

CHUNK = b"\xfc" * (15 << 20)


def _fill(d, limit_mb=300):
    total = 0
    for i in range(limit_mb // 15):
        try:
            with open(os.path.join(d, f"fchostile-fill-{os.getpid()}-{i}"), "wb") as fh:
                fh.write(CHUNK)
            total += 15
        except OSError:
            break
    return total


for _d in ("/tmp", "/dev/shm", "/var/tmp"):
    print(f"FCH filled_{_d.strip('/').replace('/', '_')}_mb={_fill(_d)}", flush=True)


def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
