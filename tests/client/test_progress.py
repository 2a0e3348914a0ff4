"""The progress display on its own, with a clock the test moves: a bar redrawn in place on a
terminal, lines at an interval in a log."""

from __future__ import annotations

import io

from faynosync.client.progress import Progress, duration, size


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_terminal_gets_a_bar_redrawn_in_place():
    out, clock = io.StringIO(), Clock()
    progress = Progress(4 * 1024 * 1024, out=out, terminal=True, interval=5, clock=clock)
    clock.now += 1
    progress.advance(1024 * 1024)
    clock.now += 0.05  # too soon to redraw
    progress.advance(1024 * 1024)
    progress.abandon()
    assert out.getvalue() == (
        "\r[######------------------]  25% 1.0 MiB / 4.0 MiB, 1.0 MiB/s, 0:03 left\033[K\n"
    )
    clock.now += 1
    progress.advance(2 * 1024 * 1024)
    progress.finish()
    assert out.getvalue().endswith(
        "\r[########################] 100% 4.0 MiB / 4.0 MiB, 2.0 MiB/s, 0:00 left\033[K\n"
    )


def test_a_log_gets_a_line_per_interval():
    out, clock = io.StringIO(), Clock()
    progress = Progress(1000, out=out, terminal=False, interval=5, clock=clock)
    for _ in range(10):
        clock.now += 1
        progress.advance(50)
    progress.abandon()  # a log needs no line ended
    progress.finish()
    assert out.getvalue().splitlines() == [
        "uploading:  25% 250 B / 1000 B, 50 B/s, 0:15 left",
        "uploading:  50% 500 B / 1000 B, 50 B/s, 0:10 left",
        "uploading:  50% 500 B / 1000 B, 50 B/s, 0:10 left",
    ]


def test_sizes_and_durations():
    assert [size(n) for n in (0, 1023, 1024, 1536 * 1024**2, 3 * 1024**5)] == [
        "0 B", "1023 B", "1.0 KiB", "1.5 GiB", "3072.0 TiB",
    ]  # fmt: skip
    assert [duration(s) for s in (0, 59.6, 61, 3600 * 2 + 5)] == ["0:00", "1:00", "1:01", "2:00:05"]
