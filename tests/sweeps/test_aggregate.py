"""Means and intervals over seeds, against scipy's t interval and a hand computation."""

from __future__ import annotations

import math
import statistics

import pytest
from scipy import stats

from toolzero.sweeps.aggregate import mean_interval, paired_difference

FIXED = [
    [0.25, 0.40, 0.31],
    [1.0, 2.0, 3.0, 4.0, 5.0],
    [-3.0, 2.5],
    [0.125, 0.25, 0.21875, 0.1875, 0.3125, 0.28125],
]


@pytest.mark.parametrize("values", FIXED)
def test_interval_matches_scipy(values: list[float]) -> None:
    n = len(values)
    low, high = stats.t.interval(
        0.95, df=n - 1, loc=statistics.fmean(values), scale=stats.sem(values)
    )
    iv = mean_interval(values)
    assert iv.n == n
    assert iv.mean == pytest.approx(statistics.fmean(values))
    assert (iv.low, iv.high) == (pytest.approx(low), pytest.approx(high))


def test_interval_by_hand() -> None:
    """1..5: mean 3, s = sqrt(2.5), t(0.975, 4) = 2.776445 (tables): half-width 1.963."""
    iv = mean_interval([1.0, 2.0, 3.0, 4.0, 5.0])
    half = 2.776445 * math.sqrt(2.5) / math.sqrt(5)
    assert iv.half_width == pytest.approx(half, abs=1e-5)
    assert (iv.low, iv.high) == (pytest.approx(3 - half, abs=1e-5), pytest.approx(3 + half, abs=1e-5))


def test_two_seeds_use_t_with_one_degree_of_freedom() -> None:
    """t(0.975, 1) = 12.706: two seeds give a wide interval, as they should."""
    iv = mean_interval([0.2, 0.4])
    assert iv.half_width == pytest.approx(12.7062 * 0.1, abs=1e-4)  # s/sqrt(2) = 0.1


def test_one_value_has_no_interval_and_none_has_no_mean() -> None:
    one = mean_interval([0.5])
    assert one.mean == 0.5 and one.n == 1 and math.isnan(one.low) and math.isnan(one.high)
    assert not one.excludes_zero()
    assert math.isnan(mean_interval([]).mean) and mean_interval([]).n == 0


def test_equal_values_give_a_point_interval() -> None:
    iv = mean_interval([0.3, 0.3, 0.3])
    assert (iv.low, iv.high) == (pytest.approx(0.3), pytest.approx(0.3))


def test_paired_difference_by_hand_and_against_scipy() -> None:
    """Differences 0.1, 0.2, 0.0 over the shared seeds (seed 3 has no pair):
    mean 0.1, s = 0.1, t(0.975, 2) = 4.302653 -> 0.1 ± 0.2484."""
    point = {0: 0.5, 1: 0.7, 2: 0.6}
    baseline = {0: 0.4, 1: 0.5, 2: 0.6, 3: 0.9}
    iv = paired_difference(point, baseline)
    half = 4.302653 * 0.1 / math.sqrt(3)
    assert iv.n == 3 and iv.mean == pytest.approx(0.1)
    assert (iv.low, iv.high) == (pytest.approx(0.1 - half, abs=1e-6), pytest.approx(0.1 + half, abs=1e-6))
    low, high = stats.ttest_rel([0.5, 0.7, 0.6], [0.4, 0.5, 0.6]).confidence_interval(0.95)
    assert (iv.low, iv.high) == (pytest.approx(low), pytest.approx(high))


def test_pairing_removes_shared_noise() -> None:
    """Two points that differ by the same 0.05 at every seed, with seeds far apart: the
    unpaired intervals overlap, the paired difference is exactly 0.05 with no spread."""
    baseline = {0: 0.1, 1: 0.5, 2: 0.9}
    point = {s: v + 0.05 for s, v in baseline.items()}
    assert mean_interval(list(point.values())).low < mean_interval(list(baseline.values())).high
    iv = paired_difference(point, baseline)
    assert iv.mean == pytest.approx(0.05) and iv.half_width == pytest.approx(0, abs=1e-12)
    assert iv.excludes_zero()
