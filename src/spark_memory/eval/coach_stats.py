"""Paired statistics for two conditions run on the same problems.

Each problem yields a pair of verdicts (passed with Spark, passed without). What
matters is where they disagree, so the comparison is made of:

- the four counts (both pass / only with / only without / neither);
- the difference in pass@1 with a percentile bootstrap interval that resamples
  *problems* (so each resample keeps pairs together), with a fixed seed;
- McNemar's exact test: under "Spark makes no difference" the discordant pairs
  split as a fair coin, so the two-sided p-value is a binomial tail.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

DEFAULT_RESAMPLES = 10_000
DEFAULT_LEVEL = 0.95


@dataclass(frozen=True)
class PairedCounts:
    both: int
    only_with: int
    only_without: int
    neither: int

    @property
    def n(self) -> int:
        return self.both + self.only_with + self.only_without + self.neither

    def to_dict(self) -> dict[str, int]:
        return {**asdict(self), "n": self.n}


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float
    level: float
    resamples: int
    seed: int

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def paired_counts(with_spark: Sequence[bool], without: Sequence[bool]) -> PairedCounts:
    pairs = list(zip(with_spark, without, strict=True))
    return PairedCounts(
        both=sum(w and o for w, o in pairs),
        only_with=sum(w and not o for w, o in pairs),
        only_without=sum(o and not w for w, o in pairs),
        neither=sum(not w and not o for w, o in pairs),
    )


def mcnemar_exact(only_with: int, only_without: int) -> float:
    """Two-sided exact McNemar p-value from the two discordant counts."""
    n = only_with + only_without
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(only_with, only_without) + 1))
    p: float = min(1.0, 2 * tail / 2**n)
    return p


def paired_bootstrap(
    with_spark: Sequence[bool],
    without: Sequence[bool],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    level: float = DEFAULT_LEVEL,
) -> Interval:
    """pass@1(with) - pass@1(without) and its percentile interval over problems."""
    diffs = np.array(with_spark, dtype=float) - np.array(without, dtype=float)
    if diffs.size == 0:
        return Interval(0.0, 0.0, 0.0, level, resamples, seed)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, diffs.size, size=(resamples, diffs.size))
    means = diffs[picks].mean(axis=1)
    tail = (1 - level) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return Interval(float(diffs.mean()), float(low), float(high), level, resamples, seed)
