"""Generate a synthetic evidence base: a data folder that `evidence build` ingests as it is.

The studies are made up (ids ``syn00001``...), but every file is an extraction file of the real
format, validated with the real pydantic models (``emg_evidence.ingest.records.ExtractionIn``) before it is
written, over the real vocabularies (copied from ``data/``). The same seed gives the same files.

Example:

    python bench/generate.py --studies 10000 --measurements 1000000 --out /tmp/synthetic
    evidence build --data /tmp/synthetic --db /tmp/synthetic.db
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emg_evidence.ingest.claims import ClaimsFileIn  # noqa: E402
from emg_evidence.ingest.records import EXTRACTION_SUFFIX, ExerciseIn, ExtractionIn, MuscleIn  # noqa: E402
from emg_evidence.ingest.yaml_reader import parse, parse_list  # noqa: E402
from emg_evidence.schema.allowed_values import (  # noqa: E402
    CENTRAL_TENDENCIES,
    DIRECTIONS,
    HEALTHY_GROUPS,
    PHASES,
    SEXES,
    STATISTICS,
)
from emg_evidence.schema.comparability import MVC_CATEGORIES  # noqa: E402

DEFAULT_SEED = 20261125
#: Share of measurements that restate another (article values restating a primary one), so the
#: self-referencing foreign key and the insert order are exercised at scale too.
RESTATE_SHARE = 0.02
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def progress(done: int, total: int, started: float, what: str) -> None:
    rate = done / max(time.perf_counter() - started, 1e-9)
    print(f"  {done:,}/{total:,} {what} ({rate:,.0f}/s)", file=sys.stderr, flush=True)


def study_file(rng: random.Random, i: int, n_measurements: int, muscles: list[str],
               exercises: list[str]) -> dict[str, Any]:  # fmt: skip
    """One synthetic study with ``n_measurements`` numbers, as an extraction file's mapping."""
    sid = f"syn{i:05d}"
    source = f"{sid}_pubmed"
    n = rng.randint(8, 40)
    conditions = []
    for k, exercise in enumerate(rng.sample(exercises, rng.randint(3, 6)), start=1):
        load = rng.choice([None, 60.0, 70.0, 80.0, 85.0])
        conditions.append(
            {
                "id": f"c{k}",
                "exercise": exercise,
                "label": f"{exercise.replace('_', ' ')} variant {k}",
                "load": f"{load:g}% 1RM" if load else None,
                "load_pct_1rm": load,
                "stance": rng.choice([None, "feet shoulder-width", "wide stance"]),
            }
        )
    measurements: list[dict[str, Any]] = []
    n_restating = int(n_measurements * RESTATE_SHARE)
    for _ in range(n_measurements - n_restating):
        emg = rng.random() < 0.85
        m: dict[str, Any] = {
            "condition": rng.choice(conditions)["id"],
            "muscle": rng.choice(muscles),
            "metric": "emg_amplitude" if emg else "relative_muscular_effort",
            "unit": "%MVIC" if emg else "%",
            "normalisation_category": rng.choice(MVC_CATEGORIES + ("task_peak_or_mean",))
            if emg
            else "not_applicable",
            "electrode": "surface" if emg else "not_reported",
            "statistic": rng.choice(STATISTICS[:2]),
            "central_tendency": rng.choice(CENTRAL_TENDENCIES),
            "phase": rng.choice(PHASES[:3]),
            "value": round(rng.uniform(1, 250), 1),
            "n": n,
            "source": source,
            "locator": f"Table {rng.randint(1, 4)}",
        }
        if rng.random() < 0.6:
            # Plausible for non-negative values (the build warns or refuses otherwise): an SE at
            # most the mean, an SD at most sqrt(n) times it; here at most half the value.
            m["dispersion"] = max(0.1, round(m["value"] * rng.uniform(0.05, 0.5), 1))
            m["dispersion_type"] = rng.choice(["sd", "se"])
        measurements.append(m)
    primaries = list(measurements)
    for j in range(n_restating):
        target = primaries[j]
        target["key"] = f"m{j + 1}"
        restating = {k: v for k, v in target.items() if k not in ("key", "dispersion",
                                                                  "dispersion_type")}  # fmt: skip
        restating.update(source="article", locator="section 2", restates=target["key"])
        # The seed article lists values before the study's own tables: a restating value may come
        # first in the file, which the build must cope with.
        measurements.insert(rng.randint(0, len(measurements)), restating)
    direction, p = rng.choice(DIRECTIONS[:3]), round(rng.uniform(0.001, 0.2), 3)
    # A finding agrees with its own p (the build refuses one that does not).
    if p > 0.05:
        direction = "no_difference"
    elif direction == "no_difference":
        direction = "a_greater"
    findings = [
        {
            "a": "c1",
            "b": "c2",
            "muscle": rng.choice(muscles),
            "metric": "emg_amplitude",
            "statistic": "mean",
            "phase": "whole",
            "direction": direction,
            "p_value": p,
            "p_relation": "=",
            "summary": "Synthetic comparison of the first two conditions",
            "source": source,
            "locator": "results text",
        }
    ]
    return {
        "study": {
            "id": sid,
            "authors": [f"Synth{i} A", f"Sample{rng.randint(1, 999)} B", "Example C"],
            "year": rng.randint(1995, 2025),
            "title": f"Synthetic study {i} of hip extensor activity in {conditions[0]['label']}",
            "journal": rng.choice(["J Synth Biomech", "Synth Sports Sci", "Simul Strength J"]),
            "volume": str(rng.randint(1, 60)),
            "issue": str(rng.randint(1, 12)),
            "pages": f"{100 + i % 800}-{110 + i % 800}",
            "doi": f"10.5555/synth.{i:05d}",
            "pmid": str(90_000_000 + i),
            "design": "within-subject crossover (synthetic)",
            "identification": "unverified",
            "identification_note": "Synthetic study made by bench/generate.py; not a real paper",
            "participants": {
                "n": n,
                "sex": rng.choice(SEXES),
                "training_status": rng.choice(["trained", "untrained", "recreationally active"]),
                "population": rng.choice(HEALTHY_GROUPS),
            },
        },
        "sources": [
            {
                "id": source,
                "kind": "primary",
                "citation": f"Synthetic abstract of study {i}",
                "url": f"https://example.org/synthetic/{i}",
            }
        ],
        "conditions": conditions,
        "measurements": measurements,
        "findings": findings,
    }


CLAIMS_HEADER = """\
# Synthetic claims (bench/generate.py), in the format of data/claims.yaml (see its header): a
# claim on the first synthetic study, quoting one of its article values and resting on its
# finding, and a claim that cites no study; one recommendation over both.
"""


def claims_file(first: ExtractionIn, names: dict[str, str]) -> dict[str, Any]:
    """claims.yaml's mapping for a synthetic base whose first study is ``first``.

    :param names: muscle id -> name (a muscle's name is one of its known words)
    """
    finding = first.findings[0]
    conditions = {c.id: c.exercise for c in first.conditions}
    article = [m for m in first.measurements if m.source == "article"]
    # A quoted number must pick out exactly one article value of the study.
    triples = [(m.condition, m.muscle, m.value) for m in article]
    numbers = [
        {"condition": m.condition, "muscle": m.muscle, "value": m.value}
        for m in article
        if triples.count((m.condition, m.muscle, m.value)) == 1
    ][:1]
    claim: dict[str, Any] = {
        "id": f"{first.study.id}_first_comparison",
        "section": "Synthetic section",
        "paragraph": 1,
        "study": first.study.id,
        "asserts": "Synthetic claim: the first condition gives more activity than the second.",
        "terms": [{"term": names[finding.muscle], "muscle": finding.muscle}],
        "exercises": sorted({conditions[finding.a], conditions[finding.b or finding.a]}),
        "numbers": numbers,
        "findings": [{"a": finding.a, "b": finding.b, "muscle": finding.muscle, "asserts": "a_greater"}],
    }
    uncited = {
        "id": "synthetic_uncited_claim",
        "section": "Synthetic section",
        "paragraph": 2,
        "study": None,
        "asserts": "Synthetic claim that cites no study.",
        "gaps": "No study is cited (synthetic).",
    }
    return {
        "claims": [claim, uncited],
        "recommendations": [
            {"id": "synthetic_advice", "advice": "Synthetic advice.", "claims": [claim["id"], uncited["id"]]}
        ],
    }


def generate(out: Path, studies: int, measurements: int, seed: int = DEFAULT_SEED,
             quiet: bool = False) -> None:  # fmt: skip
    """Write a data folder with ``studies`` extraction files holding ``measurements`` numbers.

    :param out: the folder to (re)create; vocab/ and sources.yaml are copied from data/, and
        claims.yaml holds synthetic claims on the first study, so `evidence build` takes it as is
    :param seed: the random seed; the same seed gives byte-identical files
    """
    if studies < 1:
        raise ValueError("studies must be at least 1")
    if out.exists():
        shutil.rmtree(out)
    (out / "extractions").mkdir(parents=True)
    shutil.copytree(ROOT / "data" / "vocab", out / "vocab")
    shutil.copy(ROOT / "data" / "sources.yaml", out / "sources.yaml")
    muscle_records = parse_list(out / "vocab" / "muscles.yaml", MuscleIn)
    muscles = sorted(m.id for m in muscle_records)
    exercises = sorted(e.id for e in parse_list(out / "vocab" / "exercises.yaml", ExerciseIn))
    rng = random.Random(seed)
    per_study, extra = divmod(measurements, studies)
    started = time.perf_counter()
    step = max(studies // 20, 1)
    first: ExtractionIn | None = None
    for i in range(1, studies + 1):
        data = study_file(rng, i, per_study + (1 if i <= extra else 0), muscles, exercises)
        # Only what the real validator accepts is written; exclude_none keeps the files small
        # (central_tendency is required, so it is always given).
        record = ExtractionIn.model_validate(data)
        first = first or record
        text = yaml.dump(record.model_dump(exclude_none=True, exclude_defaults=True),
                         Dumper=DUMPER, sort_keys=False, allow_unicode=True)  # fmt: skip
        (out / "extractions" / f"{record.study.id}{EXTRACTION_SUFFIX}").write_text(text)
        if not quiet and (i % step == 0 or i == studies):
            progress(i, studies, started, "studies written")
    assert first is not None
    claims = claims_file(first, {m.id: m.name for m in muscle_records})
    # The claims file's own model; its links to the evidence are resolved by the build.
    parse(out / "claims.yaml", ClaimsFileIn, claims)
    text = yaml.dump(claims, Dumper=DUMPER, sort_keys=False, allow_unicode=True)
    (out / "claims.yaml").write_text(CLAIMS_HEADER + text)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--studies", type=int, default=10_000)
    parser.add_argument("--measurements", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, required=True, help="data folder to (re)create")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    generate(args.out, args.studies, args.measurements, args.seed)
    print(f"generated {args.studies:,} studies, {args.measurements:,} measurements in {args.out} "
          f"in {time.perf_counter() - started:.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()
