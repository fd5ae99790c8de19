"""Frames: a 4-byte big-endian length, then the payload (several may travel in one write).

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


class FrameBuffer:
    """Bytes read from a peer, cut into frames (the reader checks each length before popping its frame)."""

    def __init__(self):
        self.buf = bytearray()
        self.pos = 0  # the unread part of buf starts here

    def feed(self, b: bytes) -> None:
        self.buf += b

    def next_length(self) -> int | None:
        """The length the next frame announces, once its 4 bytes are here."""
        return HDR.unpack_from(self.buf, self.pos)[0] if len(self.buf) - self.pos >= 4 else None

    def complete(self) -> bool:
        """True when a whole frame is buffered."""
        n = self.next_length()
        return n is not None and len(self.buf) - self.pos - 4 >= n

    def pop(self) -> bytes | None:
        """The next frame's payload if it is all here, else None (the buffer is compacted as it goes)."""
        if not self.complete():
            return None
        start = self.pos + 4
        end = start + HDR.unpack_from(self.buf, self.pos)[0]
        with memoryview(self.buf) as view:  # one copy (a slice of the bytearray would be a second)
            payload = view[start:end].tobytes()
        self.pos = end
        if end == len(self.buf):
            self.buf.clear()
            self.pos = 0
        elif end > 1 << 20:
            del self.buf[:end]
            self.pos = 0
        return payload


    def take(self, cap: int) -> bytes | None:
        """The next frame's payload if it is all here, else None; FrameError when it announces more than
        ``cap`` bytes (checked as soon as its length is here). :meth:`next_length`, the cap and :meth:`pop`
        in one go (the length read once)."""
        buf, pos = self.buf, self.pos
        if len(buf) - pos < 4:
            return None
        (n,) = HDR.unpack_from(buf, pos)
        if n > cap:
            raise FrameError(f"a frame of {n} bytes (at most {cap} allowed)")
        start = pos + 4
        end = start + n
        if end > len(buf):
            return None
        with memoryview(buf) as view:
            payload = view[start:end].tobytes()
        self.pos = end
        if end == len(buf):
            buf.clear()
            self.pos = 0
        elif end > 1 << 20:
            del buf[:end]
            self.pos = 0
        return payload


class FrameReader(FrameBuffer):
    """Frames from ``fd``, read in large chunks (one read for every frame already written).

    A peer that writes many frames at once costs one read, not two per frame.
    The cap is checked on each frame's length before its body is awaited.
    """

    def __init__(self, fd: int):
        super().__init__()
        self.fd = fd

    def recv(self, cap: int = 1 << 30) -> bytes | None:
        """The next frame's payload; None at end of file; FrameError past ``cap`` bytes."""
        while True:
            payload = self.take(cap)
            if payload is not None:
                return payload
            b = _read(self.fd, 1 << 20)
            if not b:
                return None
            self.feed(b)
