"""Frames: a 4-byte big-endian length, then the payload.

Both ends of every channel of the grader use these. A reader gives a cap:
a frame announcing more is refused before anything is buffered, so a
hostile peer cannot make its reader allocate more than the cap.
"""

from __future__ import annotations

import os
import struct

HDR = struct.Struct(">I")
_write = os.write
_read = os.read


class FrameError(Exception):
    """A frame longer than the reader's cap (the peer broke the protocol)."""


def send_frame(fd: int, payload: bytes) -> None:
    data = memoryview(HDR.pack(len(payload)) + payload)
    while data:
        n = _write(fd, data)
        data = data[n:]


def _recv_exact(fd: int, n: int) -> bytes | None:
    chunks, left = [], n
    while left:
        b = _read(fd, min(left, 1 << 20))
        if not b:
            return None
        chunks.append(b)
        left -= len(b)
    return b"".join(chunks)


def recv_frame(fd: int, cap: int = 1 << 30) -> bytes | None:
    """The next frame's payload; None at end of file; FrameError past ``cap`` bytes."""
    h = _recv_exact(fd, 4)
    if h is None:
        return None
    (n,) = HDR.unpack(h)
    if n > cap:
        raise FrameError(f"a frame of {n} bytes (at most {cap} allowed)")
    return _recv_exact(fd, n)
