"""The benchmark's statistics helpers."""

from __future__ import annotations

import math

import pytest

from benchmarks.stats import growth, median, percentile, ratio, scaling_exponent, summarize


def test_percentile_interpolates_between_ranks() -> None:
    values = [4.0, 1.0, 3.0, 2.0]  # unsorted on purpose

    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 4.0
    assert percentile(values, 50) == 2.5
    assert percentile(values, 25) == pytest.approx(1.75)


def test_p99_of_a_hundred_values() -> None:
    values = [float(n) for n in range(1, 101)]

    assert percentile(values, 99) == pytest.approx(99.01)


def test_median_of_odd_and_even_counts() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([1.0, 2.0]) == 1.5
    assert median([7.0]) == 7.0


@pytest.mark.parametrize("q", [-1, 101])
def test_percentile_outside_range_is_refused(q: float) -> None:
    with pytest.raises(ValueError, match="outside"):
        percentile([1.0], q)


def test_no_values_are_refused() -> None:
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)
    with pytest.raises(ValueError, match="no latencies"):
        summarize([], 1.0)


def test_summary_counts_throughput_over_wall_time() -> None:
    summary = summarize([1.0, 2.0, 3.0, 4.0], elapsed_s=0.5)

    assert summary.count == 4
    assert summary.median_ms == 2.5
    assert summary.mean_ms == 2.5
    assert (summary.min_ms, summary.max_ms) == (1.0, 4.0)
    assert summary.rps == 8.0
    assert summary.as_dict()["median_ms"] == 2.5


def test_ratio_and_growth() -> None:
    assert ratio(3.0, 1.5) == 2.0
    assert growth({10: 2.0, 10_000: 2.5, 100: 9.0}) == 1.25
    with pytest.raises(ValueError, match="floor"):
        ratio(1.0, 0.0)


def test_scaling_exponent_tells_flat_from_linear() -> None:
    assert scaling_exponent({10: 1.0, 10_000: 1.0}) == 0.0
    assert scaling_exponent({10: 1.0, 10_000: 1000.0}) == pytest.approx(1.0)
    assert math.isclose(scaling_exponent({10: 1.0, 100: 100.0}), 2.0)
