"""Compare two independent extractions of one study, field by field (Cochrane's double data
extraction): what each recorded, and where they differ, for a person to resolve from the source.

The two files were written apart, so their ids differ (condition ``ht`` in one, ``hip_thrust``
in the other). Records are matched by what they describe instead: a value by its exercise,
muscle, metric, statistic, phase, side and value; where the values differ but exactly one
record on each side describes the same thing, the value itself is reported as the difference.
A record only one extraction has is one differing field. Numbers are compared as numbers
(``69.5`` equals ``69.50``), text fields not at all: wording is each extractor's own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

#: Study fields compared (the participants' under ``participants.``).
STUDY_FIELDS = ("year", "journal", "volume", "issue", "pages", "doi", "pmid")
PARTICIPANT_FIELDS = ("n", "sex", "population", "age_mean", "age_sd")
#: A value's fields compared once two records are matched.
MEASUREMENT_FIELDS = (
    "unit", "normalisation_category", "central_tendency", "dispersion", "dispersion_type", "n",
    "approximate", "electrode",
)  # fmt: skip
CONTRAST_FIELDS = ("ci_low", "ci_high", "se", "p_value", "p_relation", "n", "unit")
FINDING_FIELDS = ("p_value", "p_relation", "size", "size_type")


@dataclass
class Comparison:
    fields_compared: int = 0
    differences: list[dict[str, Any]] = field(default_factory=list)

    def field(self, name: str, first: Any, second: Any) -> None:
        self.fields_compared += 1
        if _norm(first) != _norm(second):
            self.differences.append({"field": name, "first": _text(first), "second": _text(second)})

    def only_in(self, which: str, name: str, record: Any) -> None:
        self.fields_compared += 1
        first, second = (_describe(record), None) if which == "first" else (None, _describe(record))
        self.differences.append({"field": name, "first": first, "second": second})


def _norm(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return value.strip().lower()
    return value


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _describe(record: Any) -> str:
    return "; ".join(
        f"{k}={v}"
        for k, v in record.items()
        if v is not None and k not in ("notes", "summary") and k[0] != "_"
    )


#: What tells apart two conditions of one exercise in a study (a load, a knee angle).
QUALIFIERS = ("load_pct_1rm", "load_kg", "knee_angle_deg")


def _exercises(doc: dict[str, Any]) -> dict[Any, str]:
    """Condition id -> a description that does not depend on the extractor's ids: the exercise,
    and its numeric qualifiers only where the study has several conditions of that exercise."""
    conditions = [c for c in doc.get("conditions") or [] if isinstance(c, dict)]
    count: dict[Any, int] = defaultdict(int)
    for c in conditions:
        count[c.get("exercise")] += 1
    out = {}
    for c in conditions:
        parts = [c.get("exercise")]
        if count[c.get("exercise")] > 1:
            parts += [f"{k}={c[k]}" for k in QUALIFIERS if c.get(k) is not None]
        out[c.get("id")] = "/".join(str(p) for p in parts)
    return out


def _group(records: Iterable[dict[str, Any]], key) -> dict[tuple, list[dict[str, Any]]]:
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        groups[key(r)].append(r)
    return groups


def _match(
    cmp: Comparison,
    what: str,
    first: list[dict],
    second: list[dict],
    where: tuple[str, ...],
    main: str,
    fields: tuple[str, ...],
) -> None:
    """Pair records equal on ``where`` and ``main`` (a value, an estimate, a direction); then
    records alone on each side under ``where``, ``main`` itself then being a difference. The
    fields of each pair are compared; every record left over is one difference."""

    def loose(r: dict) -> tuple:
        return tuple(_norm(r.get(k)) for k in where)

    def exact(r: dict) -> tuple:
        return (*loose(r), _norm(r.get(main)))

    a, b = _group(first, exact), _group(second, exact)
    left_a: list[dict] = []
    left_b: list[dict] = []
    for k in a.keys() | b.keys():
        xs, ys = a.get(k, []), b.get(k, [])
        for x, y in zip(xs, ys):
            _compare_fields(cmp, f"{what}[{_label(k)}]", x, y, fields)
        left_a += xs[len(ys) :]
        left_b += ys[len(xs) :]
    la, lb = _group(left_a, loose), _group(left_b, loose)
    for k in la.keys() | lb.keys():
        xs, ys = la.get(k, []), lb.get(k, [])
        if len(xs) == 1 and len(ys) == 1:
            name = f"{what}[{_label(k)}]"
            cmp.field(f"{name}.{main}", xs[0].get(main), ys[0].get(main))
            _compare_fields(cmp, name, xs[0], ys[0], fields)
            continue
        for x in xs:
            cmp.only_in("first", f"{what}[{_label(k)}]", x)
        for y in ys:
            cmp.only_in("second", f"{what}[{_label(k)}]", y)


def _label(key: tuple) -> str:
    return ",".join(str(k) for k in key if k is not None)


def _compare_fields(cmp: Comparison, name: str, x: dict, y: dict, fields: tuple[str, ...]) -> None:
    for f in fields:
        cmp.field(f"{name}.{f}", x.get(f), y.get(f))


def compare(first: dict[str, Any], second: dict[str, Any]) -> Comparison:
    """Every comparable field of two extraction documents (as parsed YAML, not yet validated)."""
    cmp = Comparison()
    s1, s2 = first.get("study") or {}, second.get("study") or {}
    for f in STUDY_FIELDS:
        cmp.field(f"study.{f}", s1.get(f), s2.get(f))
    p1, p2 = s1.get("participants") or {}, s2.get("participants") or {}
    for f in PARTICIPANT_FIELDS:
        cmp.field(f"study.participants.{f}", p1.get(f), p2.get(f))

    def described(doc: dict[str, Any], section: str, refs: tuple[str, ...]) -> list[dict]:
        ex = _exercises(doc)
        out = []
        for r in doc.get(section) or []:
            r = dict(r)
            for ref in refs:
                r[f"_{ref}"] = ex.get(r.get(ref), r.get(ref))
            out.append(r)
        return out

    cond1, cond2 = (
        [{**c, "_exercise": desc[c.get("id")]} for c in d.get("conditions") or [] if isinstance(c, dict)]
        for d, desc in ((first, _exercises(first)), (second, _exercises(second)))
    )
    _match(cmp, "conditions", cond1, cond2, ("_exercise",), "exercise", QUALIFIERS)
    m1, m2 = (described(d, "measurements", ("condition",)) for d in (first, second))
    where = ("_condition", "muscle", "muscle_b", "metric", "statistic", "phase", "side")
    _match(cmp, "measurements", m1, m2, where, "value", MEASUREMENT_FIELDS)
    c1, c2 = (described(d, "contrasts", ("a", "b")) for d in (first, second))
    cwhere = ("_a", "_b", "muscle", "statistic", "phase", "estimate_type")
    _match(cmp, "contrasts", c1, c2, cwhere, "estimate", CONTRAST_FIELDS)
    f1, f2 = (described(d, "findings", ("a", "b")) for d in (first, second))
    fwhere = ("_a", "_b", "muscle", "muscle_b", "statistic", "phase")
    _match(cmp, "findings", f1, f2, fwhere, "direction", FINDING_FIELDS)
    return cmp
