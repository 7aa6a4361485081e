"""Made-up studies (test fixtures, never in data/) with enough overlap to pool and to fit networks.

Each study measures two to four exercises of a fixed set on the gluteus maximus and medius
(mean %MVIC, whole repetition, healthy trained people), sometimes at two loads (a technique
contrast of load), with a study effect and condition noise; most values have an SD, some a '±'
without a label, some none; some studies also print the difference of their first two
conditions with its 95% CI (the contrast table).
One pair of studies measures only two exercises no other study does: they are a separate part
of the network (reported apart). The same seed gives the same files.
"""

from __future__ import annotations

import random
from pathlib import Path

import yaml

EXERCISES = {
    "barbell_hip_thrust": 70.0, "back_squat": 45.0, "romanian_deadlift": 50.0,
    "split_squat": 55.0, "clam": 35.0, "side_lying_hip_abduction": 60.0,
}  # fmt: skip
#: Two exercises only the 'apart' studies measure.
APART = {"hip_abduction": 40.0, "hip_external_rotation": 30.0}
MUSCLES = {"gluteus_maximus": 1.0, "gluteus_medius": 0.8}


def _measurement(
    study_id: str, condition: str, muscle: str, value: float, sd: float | None, n: int, label: str = "sd"
) -> dict:
    m = {
        "condition": condition, "muscle": muscle, "metric": "emg_amplitude", "unit": "%MVIC",
        "normalisation_category": "mvc_standardised_isometric", "electrode": "surface",
        "statistic": "mean", "central_tendency": "mean", "phase": "whole", "value": round(value, 2),
        "n": n, "source": f"{study_id}_paper", "locator": "Table 2",
    }  # fmt: skip
    if sd is not None:
        m.update(dispersion=round(sd, 2), dispersion_type=label)
    return m


def study(rng: random.Random, study_id: str, exercises: dict[str, float]) -> dict:
    n = rng.randint(8, 30)
    chosen = rng.sample(sorted(exercises), rng.randint(2, min(4, len(exercises))))
    conditions = []
    for e in chosen:
        conditions.append({"id": e, "exercise": e, "label": e.replace("_", " "), "load_pct_1rm": 70.0})
        if rng.random() < 0.2:
            conditions.append({"id": f"{e}_heavy", "exercise": e, "label": f"{e.replace('_', ' ')} heavy",
                               "load_pct_1rm": 85.0})  # fmt: skip
    effect = rng.gauss(0, 8)
    measurements = []
    for muscle, scale in MUSCLES.items():
        for c in conditions:
            level = scale * exercises[c["exercise"]] + effect + rng.gauss(0, 4)
            level += 6 if c["id"].endswith("_heavy") else 0
            sd = None if rng.random() < 0.15 else max(level, 5) * rng.uniform(0.25, 0.45)
            label = "unlabelled" if rng.random() < 0.1 else "sd"
            measurements.append(_measurement(study_id, c["id"], muscle, max(level, 3), sd, n, label))
    contrasts = []
    if rng.random() < 0.3:
        # The difference of the first two conditions as printed, with its 95% CI (and the arms
        # as well: the printed difference replaces the one computed from them).
        a, b = conditions[0], conditions[1]
        va = next(
            m["value"] for m in measurements if m["condition"] == a["id"] and m["muscle"] == "gluteus_maximus"
        )
        vb = next(
            m["value"] for m in measurements if m["condition"] == b["id"] and m["muscle"] == "gluteus_maximus"
        )
        half = rng.uniform(4, 12)
        contrasts.append({
            "a": a["id"], "b": b["id"], "muscle": "gluteus_maximus", "metric": "emg_amplitude",
            "unit": "%MVIC", "normalisation_category": "mvc_standardised_isometric", "statistic": "mean",
            "phase": "whole", "estimate_type": "mean_difference", "estimate": round(va - vb, 2),
            "ci_low": round(va - vb - half, 2), "ci_high": round(va - vb + half, 2), "ci_level": 0.95,
            "n": n, "source": f"{study_id}_paper", "locator": "Table 3",
        })  # fmt: skip
    return {
        "study": {
            "id": study_id, "authors": ["Fixture T"], "year": 2001, "journal": "Test Fixture",
            "title": f"SYNTHETIC TEST FIXTURE {study_id} (not a real study)", "identification": "unverified",
            "identification_note": "synthetic test fixture, not a real paper",
            "participants": {"n": n, "sex": "mixed", "population": "healthy_trained"},
        },
        "sources": [{"id": f"{study_id}_paper", "kind": "primary", "citation": "Synthetic paper",
                     "url": "https://example.org/synthetic"}],
        "conditions": conditions,
        "measurements": measurements,
        **({"contrasts": contrasts} if contrasts else {}),
    }  # fmt: skip


def write_studies(extractions: Path, studies: int = 30, seed: int = 24) -> list[str]:
    """Write ``studies`` linked studies and two apart into ``extractions``; return their ids."""
    rng = random.Random(seed)
    ids = []
    for i in range(studies + 2):
        study_id = f"synthnet{i:03d}"
        doc = study(rng, study_id, EXERCISES if i < studies else APART)
        (extractions / f"{study_id}.extraction.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
        ids.append(study_id)
    return ids
