"""Interruptions of a long command: SIGINT / SIGTERM raised once in the main thread (``formulacheck grade``)."""

from __future__ import annotations

import contextlib
import signal
import threading


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM, raised in the main thread by :class:`_Interrupts`."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum

    @property
    def signame(self) -> str:
        try:
            return signal.Signals(self.signum).name
        except ValueError:
            return f"signal {self.signum}"


class Interrupts:
    """SIGINT / SIGTERM raise :class:`Interrupted` in the main thread, once; the old handlers come back on exit.

    Inside :meth:`deferred` a signal is only recorded and raised when the
    block ends (starting the zygote, writing the outputs: never half done).
    After the first raise further signals are ignored, so the cleanup runs
    to its end. Outside the main thread (an embedding program) nothing is
    installed.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self.signum: int | None = None
        self._raised = False
        self._defer = 0
        self._old: dict = {}

    def __enter__(self) -> "Interrupts":
        if threading.current_thread() is threading.main_thread():
            for s in self.SIGNALS:
                try:
                    self._old[s] = signal.signal(s, self._handle)
                except (ValueError, OSError):
                    pass
        return self

    def __exit__(self, *exc) -> None:
        for s, h in self._old.items():
            signal.signal(s, h if h is not None else signal.SIG_DFL)
        self._old = {}

    def _handle(self, signum, frame) -> None:
        if self.signum is None:
            self.signum = signum
        if self._defer or self._raised:
            return
        self._raised = True
        raise Interrupted(signum)

    @contextlib.contextmanager
    def deferred(self):
        self._defer += 1
        try:
            yield
        finally:
            self._defer -= 1
        if not self._defer and self.signum is not None and not self._raised:
            self._raised = True
            raise Interrupted(self.signum)
