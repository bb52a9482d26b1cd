"""Statistics of latency samples: median, percentiles, throughput, ratios and growth."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any


def percentile(values: Sequence[float], q: float) -> float:
    """Return the ``q``-th percentile (0-100) with linear interpolation between ranks.

    The same definition as ``numpy.percentile``'s default and ``statistics.quantiles``'s
    inclusive method. Raises ``ValueError`` for no values or ``q`` outside 0-100.
    """
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is outside 0-100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = math.ceil(position)
    if low == high:
        return ordered[low]
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float:
    """Return the median (the 50th percentile)."""
    return percentile(values, 50)


@dataclass(frozen=True)
class Summary:
    """One endpoint's figures: requests measured, latency in ms, requests per second."""

    count: int
    median_ms: float
    p99_ms: float
    mean_ms: float
    min_ms: float
    max_ms: float
    rps: float

    def as_dict(self) -> dict[str, Any]:
        """Return the figures, rounded for the results file."""
        return {
            key: (round(value, 4) if isinstance(value, float) else value)
            for key, value in asdict(self).items()
        }


def summarize(latencies_ms: Sequence[float], elapsed_s: float) -> Summary:
    """Summarize latencies (ms) of requests that took ``elapsed_s`` seconds of wall time.

    With several connections, ``elapsed_s`` is the wall time of all of them together, so
    ``rps`` is the total throughput. Raises ``ValueError`` for no samples or no time.
    """
    if not latencies_ms:
        raise ValueError("no latencies to summarize")
    if elapsed_s <= 0:
        raise ValueError("elapsed time must be positive")
    return Summary(
        count=len(latencies_ms),
        median_ms=median(latencies_ms),
        p99_ms=percentile(latencies_ms, 99),
        mean_ms=sum(latencies_ms) / len(latencies_ms),
        min_ms=min(latencies_ms),
        max_ms=max(latencies_ms),
        rps=len(latencies_ms) / elapsed_s,
    )


def ratio(value: float, floor: float) -> float:
    """Return ``value / floor``; raises ``ValueError`` when the floor is not positive."""
    if floor <= 0:
        raise ValueError("the floor must be positive")
    return value / floor


def growth(by_size: Mapping[int, float]) -> float:
    """Return how much a figure grew from the smallest size to the largest (a ratio)."""
    if len(by_size) < 2:
        raise ValueError("growth needs at least two sizes")
    smallest, largest = min(by_size), max(by_size)
    return ratio(by_size[largest], by_size[smallest])


def scaling_exponent(by_size: Mapping[int, float]) -> float:
    """Return the slope of log(figure) over log(size) between the two ends.

    About 0 for a flat cost, 1 for linear growth, 2 for quadratic.
    """
    if len(by_size) < 2:
        raise ValueError("a scaling exponent needs at least two sizes")
    smallest, largest = min(by_size), max(by_size)
    if by_size[smallest] <= 0 or by_size[largest] <= 0:
        raise ValueError("figures must be positive")
    return math.log(by_size[largest] / by_size[smallest]) / math.log(largest / smallest)
