"""Between-participant SDs from what a source reports, each conversion named (``sd_source``):
``reported`` / ``review`` (printed as an SD), ``from_se`` (SE x sqrt(n)), ``from_ci`` (a 95% CI's
half-width x sqrt(n) / t(0.975, n - 1); Cochrane Handbook 6.5.2.2), ``from_iqr:wan2014`` (IQR /
eta(n), Wan et al. 2014 scenario C3; a median stays a median). A range is not converted: that
needs the median and both ends, which the sources here do not give together.
"""

from __future__ import annotations

import math
from statistics import NormalDist, median

#: The sd_source of an SD read as such, by the provenance of its source.
READ_AS_SD = {"primary": "reported", "review": "review", "article": "reported"}


def eta_wan2014(n: int) -> float:
    return 2 * NormalDist().inv_cdf((0.75 * n - 0.125) / (n + 0.25))


def sd_from_se(se: float, n: int) -> float:
    return se * math.sqrt(n)


def sd_from_ci95(half_width: float, n: int) -> float:
    # scipy.stats takes over a second to import; most builds convert no CI at all.
    from scipy import stats

    return math.sqrt(n) * half_width / float(stats.t.ppf(0.975, n - 1))


def sd_from_iqr(iqr: float, n: int) -> float:
    return iqr / eta_wan2014(n)


def to_sd(
    dispersion: float | None, dispersion_type: str | None, n: int | None, provenance: str
) -> tuple[float | None, str | None]:
    """The SD a dispersion gives, and its sd_source; (None, None) where it gives none."""
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
    """The median CV (SD / mean) of (mean, sd) pairs with a positive mean, None if none."""
    cvs = [sd / mean for mean, sd in pairs if mean > 0]
    return median(cvs) if cvs else None
