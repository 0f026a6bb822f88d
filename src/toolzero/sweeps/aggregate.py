"""Means and 95% confidence intervals over seeds, and paired differences against a baseline.

A sweep runs each point at a few seeds: GRPO on small batches is noisy, so a point's
result is the mean over its seeds with a Student t interval (the seeds are a small sample,
the normal interval would be too narrow). Comparing two points, the paired difference
over the seeds they share (same seed: same data order and same first samples) removes the
noise the two runs have in common; its interval is the t interval of the differences.

    >>> iv = mean_interval([1.0, 2.0, 3.0, 4.0, 5.0])
    >>> round(iv.mean, 3), round(iv.low, 3), round(iv.high, 3), iv.n
    (3.0, 1.037, 4.963, 5)
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    """A mean over `n` values and its confidence interval; low/high are NaN when n < 2."""

    mean: float
    low: float
    high: float
    n: int

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2

    def excludes_zero(self) -> bool:
        """Whether the interval lies wholly on one side of 0 (NaN bounds: never)."""
        return self.low > 0 or self.high < 0


def mean_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> Interval:
    """Mean and Student t interval: mean ± t(1 - (1 - c)/2, n - 1) · s / √n, s with n - 1.

    One value has no spread to estimate: its bounds are NaN. No values: everything NaN.
    """
    n = len(values)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    mean = statistics.fmean(values)
    if n == 1:
        return Interval(mean, math.nan, math.nan, 1)
    from scipy.stats import t

    quantile = float(t.ppf(0.5 + confidence / 2, n - 1))
    half = quantile * statistics.stdev(values) / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, n)


def paired_difference(
    values: Mapping[int, float], baseline: Mapping[int, float], confidence: float = CONFIDENCE
) -> Interval:
    """Mean of `values[seed] - baseline[seed]` over the seeds both have, with its t interval.

    >>> iv = paired_difference({0: 0.5, 1: 0.7, 2: 0.6}, {0: 0.4, 1: 0.5, 2: 0.6, 3: 0.9})
    >>> round(iv.mean, 3), round(iv.low, 3), round(iv.high, 3), iv.n
    (0.1, -0.148, 0.348, 3)
    """
    seeds = sorted(set(values) & set(baseline))
    return mean_interval([values[s] - baseline[s] for s in seeds], confidence)
