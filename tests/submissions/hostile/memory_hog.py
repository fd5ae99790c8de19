"""Attack: use more memory than the limit by spreading it over child processes.

RLIMIT_AS limits each process, not the submission: 12 children each
allocate and touch 256 MB (3 GB in all against a 2 GB limit) and hold it
together; the parent counts how much is held at the same time and reports
it. The children exit by themselves after 20 s. sigmoid is honest.

Expected verdict: the submission cannot hold more than its memory limit in
total (children beyond it fail or are killed); the neighbour keeps full
marks; at most the sigmoid point; nothing left afterwards.
"""
import os
import time

import numpy as np

CHILDREN, MB = 12, 256


def _hold():
    r, w = os.pipe()
    pids = []
    for _ in range(CHILDREN):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            ok = b"0"
            try:
                os.close(r)
                a = np.ones(MB << 17)  # MB megabytes of float64, every page touched
                ok = b"1" if a[-1] == 1.0 else b"0"
            except BaseException:
                pass
            finally:
                try:
                    os.write(w, ok)
                    time.sleep(20.0)
                finally:
                    os._exit(0)
        pids.append(pid)
    os.close(w)
    got, end = b"", time.monotonic() + 15.0
    while len(got) < len(pids) and time.monotonic() < end:
        b = os.read(r, 64)
        if not b:
            break
        got += b
    os.close(r)
    held = got.count(b"1") * MB
    print(f"FCH children={len(pids)}", flush=True)
    print(f"FCH held_mb={held}", flush=True)


_hold()


def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
