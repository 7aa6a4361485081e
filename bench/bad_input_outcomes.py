"""How a build meets one bad value at a time: refused with the field named, refused otherwise,
accepted in silence, or a crash. For the hardening issue's before/after figures.

Each case changes one field of a real extraction file (or a vocabulary) in a copy of a data
folder and runs ``evidence build`` on it, with this checkout's command or another's
(``--evidence /path/to/other/.venv/bin/evidence --data /path/to/other/data``).

    python bench/bad_input_outcomes.py
    python bench/bad_input_outcomes.py --evidence ../old/.venv/bin/evidence --data ../old/data
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BASE = "mccurdy2018"  # a study with MVC-normalised values and a two-condition finding, then and now


def _m(**c):
    return lambda d: d["measurements"][0].update(c)


def _f(**c):
    return lambda d: d["findings"][0].update(c)


def _p(**c):
    def change(d):
        src = d["study"]["participants"].get("source") or d["sources"][0]["id"]
        d["study"]["participants"].update(source=src, locator="abstract", **c)

    return change


def _s(**c):
    return lambda d: d["study"].update(c)


def _src_url(url):
    return lambda d: d["sources"][0].update(url=url)


#: (case, change, the field a good refusal names)
CASES = [
    ("%MVIC not normalised", _m(normalisation_category="not_normalised"), "normalisation_category"),
    ("mV with an MVC category", _m(unit="mV"), "normalisation_category"),
    (
        "an IQR with a mean",
        _m(dispersion=3.0, dispersion_type="iqr", central_tendency="mean"),
        "dispersion_type",
    ),
    ("n of 10^12", _m(n=10**12), "n"),
    ("a fraction among percents", _m(value=0.695), "value"),
    ("a load of 5,000 kg", lambda d: d["conditions"][0].update(load_kg=5000.0), "load_kg"),
    ("a load of .inf", lambda d: d["conditions"][0].update(load_kg=float("inf")), "load_kg"),
    ("an angle of .nan", lambda d: d["conditions"][0].update(knee_angle_deg=float("nan")), "knee_angle_deg"),
    ("no_difference at p < 0.001", _f(direction="no_difference", p_value=0.001, p_relation="<"), "direction"),
    ("a_greater at p = 0.3", _f(direction="a_greater", p_value=0.3, p_relation="="), "direction"),
    ("a_greater with nothing to compare", _f(b=None, muscle_b=None, direction="a_greater"), "b"),
    ("a trend with a second condition", _f(direction="increases"), "direction"),
    ("a negative ratio", _f(size=-2.0, size_type="ratio", direction="mixed"), "size"),
    (
        "a percent difference below -100",
        _f(size=-150.0, size_type="percent_difference", direction="mixed"),
        "size",
    ),
    ("an age of 250", _p(age_mean=250.0), "age_mean"),
    ("an age SD above the age", _p(age_mean=22.0, age_sd=30.0), "age_sd"),
    ("40 training years at 22", _p(age_mean=22.0, training_years_mean=40.0), "training_years_mean"),
    ("n = 5,000 participants", _p(n=5000), "participants.n"),
    ("a zero-width space in the title", _s(title="Gluteus\u200b maximus"), "title"),
    ("a word joiner in a label", lambda d: d["conditions"][0].update(label="hip\u2060thrust"), "label"),
    ("a BOM in an author", _s(authors=["\ufeffSmith J"]), "authors"),
    ("a Hangul filler as the title", _s(title="\u3164"), "title"),
    ("full-width digits in a DOI", _s(doi="10.\uff11\uff12\uff13\uff14/abc"), "doi"),
    ("Arabic-Indic digits in a PMID", _s(pmid="\u0661\u0662\u0663"), "pmid"),
    ("a URL with user@host", _src_url("https://pubmed.ncbi.nlm.nih.gov@evil.example/1"), "url"),
    ("a URL with a look-alike host", _src_url("https://pubm\u0435d.ncbi.nlm.nih.gov/1"), "url"),
    ("a URL with markup", _src_url('https://example.org/"><script>'), "url"),
    ("a boolean given as 'no'", _m(approximate="no"), "approximate"),
]


def outcome(evidence: str, data: Path, field: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [evidence, "build", "--strict", "--data", str(data), "--db", str(Path(tmp) / "x.db")],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    text = done.stdout + done.stderr
    if "Traceback" in text:
        return "crash"
    if done.returncode == 0:
        return "accepted in silence"
    errors = [line for line in text.splitlines() if line.startswith(("error:", "Error"))]
    return "refused, field named" if any(field in line for line in errors) else "refused, field not named"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--evidence", default=str(ROOT / ".venv" / "bin" / "evidence"))
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    args = parser.parse_args()
    tally: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        for name, change, field in CASES:
            data = Path(tmp) / "data"
            shutil.rmtree(data, ignore_errors=True)
            shutil.copytree(args.data, data)
            path = data / "extractions" / f"{BASE}.extraction.yaml"
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
            change(doc)
            path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
            result = outcome(args.evidence, data, field)
            tally[result] += 1
            print(f"{result:28} {name}")
    print("; ".join(f"{n} {k}" for k, n in tally.most_common()), f"(of {len(CASES)} cases)")


if __name__ == "__main__":
    main()
