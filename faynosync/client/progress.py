"""Progress of an upload: a bar redrawn in place on a terminal (bytes, rate, time left), plain
lines every few seconds elsewhere (CI logs). Written here rather than taken from rich or tqdm:
one line of output does not need a dependency (docs/architecture.md, the client)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

UNITS = ("B", "KiB", "MiB", "GiB", "TiB")
BAR_WIDTH = 24


def size(count: float) -> str:
    """``count`` bytes in the largest binary unit below it (``1.5 MiB``)."""
    unit = 0
    while count >= 1024 and unit < len(UNITS) - 1:
        count /= 1024
        unit += 1
    return f"{count:.0f} {UNITS[unit]}" if unit == 0 else f"{count:.1f} {UNITS[unit]}"


def duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


class Progress:
    """Bytes sent out of ``total``; ``advance`` is called for every chunk."""

    def __init__(
        self,
        total: int,
        *,
        out: TextIO,
        terminal: bool,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.done = 0
        self._out = out
        self._terminal = terminal
        # A terminal is redrawn often; a log gets a line every ``interval`` seconds.
        self._interval = 0.1 if terminal else interval
        self._clock = clock
        self._start = clock()
        self._shown = self._start

    def advance(self, count: int) -> None:
        self.done += count
        now = self._clock()
        if now - self._shown >= self._interval:
            self._shown = now
            self._show(now)

    def finish(self) -> None:
        """The final state, on a line of its own."""
        self._show(self._clock())
        if self._terminal:
            self._out.write("\n")
            self._out.flush()

    def abandon(self) -> None:
        """The attempt failed: end the bar's line so that the next message starts clean."""
        if self._terminal and self.done:
            self._out.write("\n")
            self._out.flush()

    def _show(self, now: float) -> None:
        elapsed = max(now - self._start, 1e-9)
        rate = self.done / elapsed
        share = self.done / self.total if self.total else 1.0
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        figures = (
            f"{share:4.0%} {size(self.done)} / {size(self.total)}, {size(rate)}/s, "
            f"{duration(left)} left"
        )
        if self._terminal:
            filled = int(share * BAR_WIDTH)
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            self._out.write(f"\r[{bar}] {figures}\033[K")
        else:
            self._out.write(f"uploading: {figures}\n")
        self._out.flush()
