"""The statistics every verdict rests on: Student's t intervals over seeds, Wilson intervals over
test examples, and how many seeds would narrow an interval to a tolerance."""

from __future__ import annotations

import math

#: the two-sided 95% quantile of the standard normal
Z95 = 1.959963984540054


def t_critical(df: int) -> float:
    """Two-sided 95% critical value of Student's t with ``df`` degrees of freedom."""
    from scipy import stats

    return float(stats.t.ppf(0.975, df))


def t_interval(values) -> tuple[float, float, float, float]:
    """(mean, sample std, lo, hi): the 95% t-interval of the mean (infinite for one value)."""
    v = [float(x) for x in values]
    n = len(v)
    if n == 0:
        raise ValueError("no values")
    mean = sum(v) / n
    if n == 1:
        return mean, 0.0, -math.inf, math.inf
    std = math.sqrt(sum((x - mean) ** 2 for x in v) / (n - 1))
    half = t_critical(n - 1) * std / math.sqrt(n)
    return mean, std, mean - half, mean + half


def wilson(successes: int, n: int) -> tuple[float, float]:
    """95% Wilson score interval of a proportion (well-behaved near 0 and 1)."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denom
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denom
    lo, hi = max(0.0, centre - half), min(1.0, centre + half)
    return (0.0 if successes == 0 else min(lo, p)), (1.0 if successes == n else max(hi, p))


def seeds_needed(std: float, tolerance: float, have: int, limit: int = 1000) -> int | None:
    """Smallest n whose t-interval half-width, at the observed spread, is within ``tolerance``."""
    if tolerance <= 0:
        return None
    if std <= 0:
        return max(have + 1, 2) if have < 2 else None
    for n in range(max(2, have + 1), limit):
        if t_critical(n - 1) * std / math.sqrt(n) <= tolerance:
            return n
    return None
