"""A progress line on stderr for long runs: "reviewing 1,234/2,465 files…".

Silent unless the stream is a terminal and the run has lasted more than `delay` seconds
(a one-file review or a pre-commit hook prints nothing); at most one update every
`interval` seconds; cleared by `done()` so that the report starts on a clean line.
"""

from __future__ import annotations

import os
import sys
import time


class Progress:
    def __init__(self, stream=None, delay=1.0, quiet=False, interval=0.1,
                 clock=time.monotonic, what="files"):
        self.stream = sys.stderr if stream is None else stream
        self.delay, self.interval, self.clock, self.what = delay, interval, clock, what
        self.enabled = not quiet and _isatty(self.stream)
        self.dots = "..." if os.environ.get("TERM", "").lower() in ("dumb", "unknown") \
            else "…"
        self.total, self.count = None, 0
        self.started = self.last = None
        self.shown = 0                  # width of the line on screen, 0: nothing shown

    def start(self, total=None):
        self.total, self.count = total, 0
        self.started, self.last = self.clock(), None
        return self

    def advance(self, n=1):
        self.count += n
        if not self.enabled:
            return
        now = self.clock()
        if self.started is None:
            self.started = now
        if now - self.started < self.delay:
            return
        if self.last is not None and now - self.last < self.interval:
            return
        self.last = now
        done = f"{self.count:,}" + (f"/{self.total:,}" if self.total is not None else "")
        self._write(f"reviewing {done} {self.what}{self.dots}")

    def done(self):
        if self.shown:
            self._write("")
        self.shown = 0

    def _write(self, line):
        # plain `\r` and blanks (no escape codes): a dumb terminal understands it too
        pad = " " * max(0, self.shown - len(line))
        try:
            self.stream.write("\r" + line + pad + ("\r" if not line else ""))
            self.stream.flush()
        except (OSError, ValueError):   # the terminal went away: nothing to report to
            self.enabled = False
        self.shown = len(line)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.done()


def _isatty(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False
