"""Between-participant SDs from what a source reports, each conversion named and flagged.

A meta-analysis needs an SD; sources give an SD, an SE, a 95% CI or an IQR. Every SD the build
or the export uses says where it came from (``sd_source``):

- ``reported``: an SD printed by the paper; ``review``: an SD printed by a review's table;
- ``from_se``: SD = SE x sqrt(n) (Cochrane Handbook 6.5.2.2);
- ``from_ci``: SD = sqrt(n) x half-width / t(0.975, n - 1), where the dispersion of a ci95 is
  its half-width, the '±' of a 95% CI of the mean (Cochrane Handbook 6.5.2.2, t for small n);
- ``from_iqr:wan2014``: SD = IQR / eta(n), eta(n) = 2 x Phi^-1((0.75 n - 0.125) / (n + 0.25))
  (Wan et al. 2014, BMC Med Res Methodol 14:135, scenario C3; eta(n) tends to 1.349, the
  Cochrane Handbook's 'IQR / 1.35' for large n). The median is kept as it is: the value stays a
  median (``central_tendency``), and pools never mix it with means.
- ``imputed:cv=<c>`` and ``imputed:median_cv=<c>``: only in an export that asks for it
  (``evidence export --impute-sd``), never in the database.

A range is not converted (its conversion needs the median and both ends, which the sources
here do not give together).
"""

from __future__ import annotations

import math
from statistics import NormalDist, median

#: The sd_source of an SD read as such, by the provenance of its source.
READ_AS_SD = {"primary": "reported", "review": "review", "article": "reported"}


def eta_wan2014(n: int) -> float:
    """Wan et al. (2014)'s divisor for an IQR: 2 x Phi^-1((0.75 n - 0.125) / (n + 0.25))."""
    return 2 * NormalDist().inv_cdf((0.75 * n - 0.125) / (n + 0.25))


def sd_from_se(se: float, n: int) -> float:
    return se * math.sqrt(n)


def sd_from_ci95(half_width: float, n: int) -> float:
    """SD from the half-width of a 95% CI of a mean, with the t quantile for n - 1 df."""
    # scipy.stats takes over a second to import; most builds convert no CI at all.
    from scipy import stats

    return math.sqrt(n) * half_width / float(stats.t.ppf(0.975, n - 1))


def sd_from_iqr(iqr: float, n: int) -> float:
    return iqr / eta_wan2014(n)


def to_sd(
    dispersion: float | None, dispersion_type: str | None, n: int | None, provenance: str
) -> tuple[float | None, str | None]:
    """The SD a dispersion gives, and its sd_source; (None, None) where it gives none.

    :param n: participants behind the value; the conversions need it (n >= 2)
    """
    if dispersion is None or dispersion_type is None:
        return None, None
    if dispersion_type == "sd":
        return dispersion, READ_AS_SD[provenance]
    if n is None or n < 2:
        return None, None
    if dispersion_type == "se":
        return sd_from_se(dispersion, n), "from_se"
    if dispersion_type == "ci95":
        return sd_from_ci95(dispersion, n), "from_ci"
    if dispersion_type == "iqr":
        return sd_from_iqr(dispersion, n), "from_iqr:wan2014"
    return None, None


def median_cv(pairs: list[tuple[float, float]]) -> float | None:
    """The median coefficient of variation (SD / mean) of (mean, sd) pairs with a positive
    mean: the value borrowed for a missing SD (Cochrane Handbook 6.5.2.7); None if none."""
    cvs = [sd / mean for mean, sd in pairs if mean > 0]
    return median(cvs) if cvs else None
