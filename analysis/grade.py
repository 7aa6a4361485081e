"""A GRADE-style certainty for every answer, computed, with its reasons in words.

Every answer starts at high (the studies compare exercises within the same people) and goes
down a level per concern, to very low at most: risk of bias (mean PEDro below 6, or 4: two;
:data:`DEFAULT_PEDRO` where no review scored a study), inconsistency (I² >= 50%, a prediction
interval crossing zero where the CI does not, a study clearly the other way: two if all three),
imprecision (a CI including zero, or reaching past ±:data:`SWD` both ways: two; a level wider
than ±SWD), indirectness (no MVC, a sample not healthy, no direct comparison, a level across
MVC tests) and fewer than three studies. :func:`unpooled` grades evidence read one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..schema.comparability import MVC_CATEGORIES

LEVELS = ("high", "moderate", "low", "very low")
#: The smallest worthwhile difference, in %MVIC (a stated choice, not a measured one).
SWD = 10.0
#: The PEDro score assumed for a study no review scored: below the threshold of 6, so an
#: unscored body of evidence is graded down for risk of bias, not given the benefit of doubt.
DEFAULT_PEDRO = 5


@dataclass(frozen=True)
class Grade:
    level: str
    reasons: tuple[str, ...]
    #: levels each reason cost, in the order of ``reasons`` (empty where not recorded)
    steps: tuple[int, ...] = ()

    @property
    def words(self) -> str:
        return "; ".join(self.reasons) if self.reasons else "no concern found"

    @property
    def main(self) -> str:
        """The reason that cost most levels; on a tie the later one (few studies before
        indirectness, imprecision, inconsistency; risk of bias, often the default PEDro, last)."""
        if not self.reasons:
            return "no concern found"
        steps = self.steps or (1,) * len(self.reasons)
        return max(zip(steps, range(len(steps)), self.reasons))[2]


@dataclass(frozen=True)
class Evidence:
    #: 'difference' (two exercises or two versions) or 'level' (one exercise's level)
    kind: str
    estimate: float
    ci_lb: float
    ci_ub: float
    studies: int
    pedro: Sequence[int | None]
    normalisation: str
    population: str
    pi_lb: float | None = None
    pi_ub: float | None = None
    i2: float | None = None
    #: each study's own 95% interval of the difference (for direction disagreement)
    study_intervals: Sequence[tuple[float, float]] = ()
    #: False for a network difference no study measured directly
    direct: bool = True


def _risk_of_bias(pedro: Sequence[int | None]) -> tuple[int, str | None]:
    known = [p for p in pedro if p is not None]
    scores = [p if p is not None else DEFAULT_PEDRO for p in pedro]
    if not scores:
        return 0, None
    mean = sum(scores) / len(scores)
    down = 2 if mean < 4 else 1 if mean < 6 else 0
    if not down:
        return 0, None
    if not known:
        return (
            down,
            f"risk of bias: no PEDro score known for these studies (each taken as {DEFAULT_PEDRO}/10)",
        )
    missing = len(pedro) - len(known)
    told = f"PEDro {', '.join(str(p) for p in sorted(known))}"
    if missing:
        told += f"; {missing} stud{'y' if missing == 1 else 'ies'} without one, taken as {DEFAULT_PEDRO}"
    return down, f"risk of bias: mean PEDro {mean:.1f}/10 ({told})"


def _inconsistency(e: Evidence) -> tuple[int, str | None]:
    if e.studies < 2:
        return 0, None
    signs = []
    if e.i2 is not None and e.i2 >= 50:
        signs.append(f"I² {e.i2:.0f}%")
    crosses = e.ci_lb > 0 or e.ci_ub < 0
    if crosses and e.pi_lb is not None and e.pi_ub is not None and e.pi_lb < 0 < e.pi_ub:
        signs.append("the prediction interval includes zero")
    against = [1 for lb, ub in e.study_intervals if (ub < 0 < e.estimate) or (lb > 0 > e.estimate)]
    if against:
        signs.append(
            f"{len(against)} stud{'y' if len(against) == 1 else 'ies'} clearly in the other direction"
        )
    if not signs:
        return 0, None
    return (2 if len(signs) == 3 else 1), "inconsistency: " + ", ".join(signs)


def _imprecision(e: Evidence) -> tuple[int, str | None]:
    if e.kind == "level":
        half = (e.ci_ub - e.ci_lb) / 2
        if half > SWD:
            return 1, f"imprecision: the 95% interval is ±{half:.0f} %MVIC, wider than ±{SWD:g}"
        return 0, None
    if e.ci_lb < -SWD and e.ci_ub > SWD:
        return 2, (
            f"imprecision: the 95% interval ({e.ci_lb:.1f} to {e.ci_ub:.1f}) reaches a worthwhile "
            f"difference ({SWD:g} %MVIC) both ways"
        )
    if e.ci_lb <= 0 <= e.ci_ub:
        return 1, f"imprecision: the 95% interval ({e.ci_lb:.1f} to {e.ci_ub:.1f}) includes no difference"
    return 0, None


def _indirectness(e: Evidence) -> tuple[int, str | None]:
    signs = []
    if e.normalisation == "not_reported":
        # Only unpooled evidence meets this: no pool or network takes an unstated normalisation.
        signs.append("the EMG normalisation is not stated, so not known to be an MVC")
    elif e.normalisation not in MVC_CATEGORIES:
        signs.append(f"EMG normalised to {e.normalisation.replace('_', ' ')}, not an MVC")
    if e.population != "healthy":
        signs.append(f"{e.population.replace('_', ' ')} sample, not healthy adults")
    if e.kind == "difference" and not e.direct:
        signs.append("no study measured both: the difference rests on other exercises")
    if e.kind == "level":
        signs.append("levels compare studies whose MVC tests differed")
    if not signs:
        return 0, None
    return 1, "indirectness: " + ", ".join(signs)


def _few(studies: int) -> tuple[int, str | None]:
    if studies >= 3:
        return 0, None
    return 1, "one study" if studies == 1 else f"only {studies} studies"


def grade(e: Evidence) -> Grade:
    return _graded(
        [_risk_of_bias(e.pedro), _inconsistency(e), _imprecision(e), _indirectness(e), _few(e.studies)]
    )


def _graded(steps: Sequence[tuple[int, str | None]]) -> Grade:
    taken = [(down, reason) for down, reason in steps if reason]
    down = sum(d for d, _ in taken)
    return Grade(LEVELS[min(down, len(LEVELS) - 1)], tuple(r for _, r in taken), tuple(d for d, _ in taken))


def unpooled(
    kind: str,
    pedro: Sequence[int | None],
    population: str = "healthy",
    normalisation: str = MVC_CATEGORIES[0],
    agree: bool = True,
) -> Grade:
    """The certainty of evidence not pooled (one study, or several read one by one; ``agree``
    False where they found different directions): imprecision always costs a level."""
    studies = len(pedro)
    if not studies:
        raise ValueError("unpooled: no study to grade")
    what = "how high the level is" if kind == "level" else "how large the difference is"
    nowhere = float("nan")
    return _graded([
        _risk_of_bias(pedro),
        (1, "inconsistency: the studies disagree in direction (mixed)")
        if studies > 1 and not agree else (0, None),
        (1, f"imprecision: not pooled, so no interval says {what}"),
        _indirectness(Evidence(kind, nowhere, nowhere, nowhere, studies, pedro, normalisation, population)),
        _few(studies),
    ])  # fmt: skip
