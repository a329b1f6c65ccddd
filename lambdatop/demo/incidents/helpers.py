"""Small builders the incidents share: ids, stack traces, durations."""

from __future__ import annotations

import random


def short_id(rng: random.Random, prefix: str, length: int = 10) -> str:
    """An id in the style of payment and order systems: `ord_8f3k2...`."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return prefix + "".join(rng.choice(alphabet) for _ in range(length))


def python_frames(*frames: tuple[str, int, str, str]) -> tuple[str, ...]:
    """Traceback frames as the Python runtime prints them: (file, line, function, code)."""
    return tuple(
        f'  File "{path}", line {line}, in {function}\n    {code}\n'
        for path, line, function, code in frames
    )


def java_frames(*frames: str) -> tuple[str, ...]:
    return tuple(frames)


def jitter(rng: random.Random, low: float, high: float) -> float:
    return rng.uniform(low, high)
