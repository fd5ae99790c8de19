"""Progress of a long loop on stderr: a rich bar on a terminal, plain dated lines in a log.

    with progress.Progress("grading", total=len(files), quiet=args.quiet) as p:
        for f in files:
            p.note(f)                # what is being done now (shown on a terminal only)
            ...
            p.advance(note="a.py: ok 84/86")

* **A terminal** (stderr is a TTY): a rich progress bar with the count,
  elapsed time and ETA, redrawn in place and removed at the end; the
  command's own output (stdout, or rich output through :attr:`console`)
  goes above it.
* **Anything else** (a log file, a CI job, a pipe): one plain line, flushed,
  every ``step`` items (about 20 lines per loop, at least one per item for a
  short loop) and at least every ``interval`` seconds while the loop runs (a
  slow item still shows the run is alive), plus a final line; a loop done
  within ``min_seconds`` (2 s) leaves no line at all (a quick run's log, and
  the one-line errors and bug reports on stderr, stay as they were)::

      grading: 3/10 (30%), 12s elapsed, ETA 28s: b.py: ok 84/86

* ``quiet``: nothing at all.

Thread-safe: ``advance`` may be called from worker threads.
"""

from __future__ import annotations

import math
import sys
import threading
import time

from checks.cli.console import clean

#: at most about this many plain lines per loop (besides the heartbeat)
LINES = 20
#: seconds between plain lines while nothing finishes
INTERVAL = 10.0
#: no plain line before this many seconds
MIN_SECONDS = 2.0


def _secs(s: float) -> str:
    s = max(0, int(round(s)))
    if s < 60:
        return f"{s}s"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m}m{s:02d}s"
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m"


class Progress:
    """One loop's progress (see the module docstring)."""

    def __init__(self, what: str, total: int, *, quiet: bool = False, stream=None, interval: float = INTERVAL,
                 log: bool = True, tty: bool | None = None, min_seconds: float = MIN_SECONDS):
        self.what = what
        self.total = max(0, int(total))
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        self.interval = interval
        self.min_seconds = min_seconds
        self._printed = False
        self.done = 0
        self.last_note = ""
        self._lock = threading.Lock()
        self._t0 = time.monotonic()
        self._last_line = self._t0
        self._last_done = 0
        self._step = max(1, math.ceil(self.total / LINES))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._bar = None
        self._task = None
        if tty is None:
            try:
                tty = self.stream.isatty()
            except (AttributeError, ValueError):
                tty = False
        self.tty = bool(tty)
        # log=False: a short step (reading a file) shows on a terminal only
        self.plain = not self.quiet and not self.tty and log
        self.console = None

    # ------------------------------------------------------------ lifecycle

    def __enter__(self) -> "Progress":
        if self.quiet:
            return self
        if self.tty:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn,
                                       TimeElapsedColumn, TimeRemainingColumn)

            self.console = Console(file=self.stream, force_terminal=True)
            self._bar = Bar(TextColumn(self._escape(self.what)), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                            TextColumn("{task.description}"), console=self.console, transient=True)
            self._bar.__enter__()
            self._task = self._bar.add_task("", total=self.total or None)
        elif self.plain:
            self._thread = threading.Thread(target=self._heartbeat, name="formulacheck-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(1.0)
        if self._bar is not None:
            self._bar.__exit__(*exc)
            self._bar = None
        if self.plain and self._printed and exc[0] is None and self.done != self._last_done:
            self._line()

    # ------------------------------------------------------------ updates

    @staticmethod
    def _escape(text: str) -> str:
        from rich.markup import escape

        return escape(clean(text))

    def note(self, text: str) -> None:
        """What is being done now (a terminal shows it next to the bar)."""
        with self._lock:
            self.last_note = clean(text)
            if self._bar is not None:
                self._bar.update(self._task, description=self._escape(text))

    def advance(self, n: int = 1, note: str | None = None) -> None:
        """``n`` more items done; ``note``: what the last one gave (shown, and in the next plain line)."""
        self.update(self.done + n, note)

    def update(self, done: int, note: str | None = None) -> None:
        """``done`` items done in all."""
        with self._lock:
            self.done = min(int(done), self.total) if self.total else int(done)
            if note is not None:
                self.last_note = clean(note)
            if self._bar is not None:
                self._bar.update(self._task, completed=self.done,
                                 description=self._escape(self.last_note))
            elif self.plain:
                now = time.monotonic()
                if now - self._t0 >= self.min_seconds and (
                        self.done - self._last_done >= self._step or self.done == self.total
                        or now - self._last_line >= self.interval):
                    self._line_locked(now)

    # ------------------------------------------------------------ plain lines

    def text(self, now: float | None = None) -> str:
        """The plain line: ``what: done/total (pct), elapsed, ETA: note``."""
        now = time.monotonic() if now is None else now
        el = now - self._t0
        if self.total:
            s = f"{self.what}: {self.done}/{self.total} ({100 * self.done // self.total}%), {_secs(el)} elapsed"
            if 0 < self.done < self.total:
                s += f", ETA {_secs(el / self.done * (self.total - self.done))}"
        else:
            s = f"{self.what}: {self.done} done, {_secs(el)} elapsed"
        return s + (f": {self.last_note}" if self.last_note else "")

    def _line(self) -> None:
        with self._lock:
            self._line_locked(time.monotonic())

    def _line_locked(self, now: float) -> None:
        self._last_line, self._last_done, self._printed = now, self.done, True
        try:
            self.stream.write(self.text(now) + "\n")
            self.stream.flush()
        except (OSError, ValueError):  # a closed log: progress is never worth failing for
            self.plain = False

    def _heartbeat(self) -> None:
        while not self._stop.wait(min(1.0, self.interval)):
            with self._lock:
                now = time.monotonic()
                if self.plain and now - self._t0 >= self.min_seconds and now - self._last_line >= self.interval:
                    self._line_locked(now)

