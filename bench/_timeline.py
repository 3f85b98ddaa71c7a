"""Where a fan-out's time goes: texts per second next to the send batches running, from the
fake Twilio's accept times and the devhost log's invocation lines
(``... INFO devhost: Send [queue send id=... dequeue=1] Succeeded (8123 ms)``)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) \w+ devhost: (\w+) \[queue (\w+) .*\((\d+) ms\)$")


def invocations(log_path: Path, function: str = "Send") -> list[tuple[float, float]]:
    """(start, end) epoch seconds of every run of ``function`` in a devhost log."""
    out = []
    with open(log_path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = _LINE.match(line.rstrip("\n"))
            if m and m.group(2) == function:
                end = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
                out.append((end - int(m.group(4)) / 1000, end))
    return out


def pauses(times: Sequence[float], rate: float) -> tuple[float, float]:
    """(longest gap between consecutive texts, texting time lost to gaps > 3/rate) in seconds."""
    ordered = sorted(times)
    gaps = [b - a for a, b in zip(ordered, ordered[1:])]
    slack = 3.0 / rate
    return max(gaps, default=0.0), sum(g - 1.0 / rate for g in gaps if g > slack)


def render(times: Sequence[float], t0: float, rate: float, batches: list[tuple[float, float]],
           step: float = 1.0) -> list[str]:
    """One line per ``step`` seconds from the request: texts/s, send batches running, a bar."""
    per = Counter(int((t - t0) // step) for t in times)
    if not per:
        return []
    lines = []
    for i in range(0, max(per) + 1):
        lo, hi = t0 + i * step, t0 + (i + 1) * step
        running = sum(1 for s, e in batches if s < hi and e > lo)
        rate_here = per.get(i, 0) / step
        bar = "#" * int(round(40 * min(1.0, rate_here / rate)))
        lines.append(f"  +{i * step:5.0f}s {rate_here:6.0f}/s  batches {running:>2}  {bar}")
    return lines
