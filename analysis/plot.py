"""A forest-style plot of one muscle across exercises and studies (MVC-normalised EMG only).

The points are the rows of the ``meta_single`` extract (see :mod:`emg_evidence.analysis.export`) with
``comparable_mvc = 1``: one value per study, condition, statistic and phase, from its best
source. A whole muscle (gluteus_maximus) includes its regions (upper, lower).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..paths import DB_PATH
from .export import ExportError, connect, single_rows
from .imputation import RuleError, group_cvs, impute_single, parse_rule
from .pooling import METHODS, pool

#: z for a 95% interval of a mean from its SD: mi ± 1.96·sdi/√ni (normal, as metafor's rma uses).
Z95 = 1.959963984540054
FORMATS = (".png", ".svg")
MARKERS = {"mean": "o", "peak": "^", "median": "s", "integrated": "D", "other": "X"}


@dataclass
class PlotResult:
    path: Path
    points: int
    with_interval: int
    #: pools drawn as diamonds (two or more studies with yi and vi)
    pools: int = 0


def muscle_targets(db_path: Path, muscle: str) -> list[str]:
    """The muscles a word covers, by the one scope rule of the muscle_term view (a whole muscle
    covers its regions, a group its muscles; ids, names and synonyms all work); ExportError
    naming the nearest words if it covers none."""
    connection = connect(db_path)
    try:
        term = muscle.strip().lower()
        ids = connection.execute(
            "SELECT DISTINCT muscle_id FROM muscle_term WHERE term = ? ORDER BY muscle_id", (term,)
        ).fetchall()
        if not ids:
            import difflib

            words = [r[0] for r in connection.execute("SELECT DISTINCT term FROM muscle_term")]
            near = difflib.get_close_matches(term, words, n=5, cutoff=0.5)
            hint = f"; nearest: {', '.join(near)}" if near else ""
            raise ExportError(f"--muscle: no muscle is called {muscle!r}{hint}")
    finally:
        connection.close()
    return [r[0] for r in ids]


def plot_rows(db_path: Path, muscle_id: str, impute_sd: str | None = None) -> list[dict[str, Any]]:
    """The values to plot, ordered by exercise, then study, muscle region and statistic."""
    targets = muscle_targets(db_path, muscle_id)
    single = single_rows(db_path)
    if impute_sd is not None:
        try:
            rule = parse_rule(impute_sd)
        except RuleError as e:
            raise ExportError(str(e)) from None
        impute_single(single, rule, group_cvs(single))
    rows = [r for r in single if r["comparable_mvc"] == 1 and r["muscle_id"] in targets]
    rows.sort(
        key=lambda r: (r["exercise"].casefold(), r["study_id"], r["muscle_region"] or "", r["statistic"],
                       r["phase"], r["measurement_id"])
    )  # fmt: skip
    return rows


def _label(row: dict[str, Any]) -> str:
    """'Contreras et al. (2015) · upper · mean · emg_amplitude %MVIC': study, statistic, metric."""
    study = row["citation"].split(")")[0] + ")" if ")" in row["citation"] else row["study_id"]
    parts = [study]
    if row["muscle_region"]:
        parts.append(row["muscle_region"])
    statistic = row["statistic"]
    if row["phase"] not in ("whole", "not_reported"):
        statistic += f", {row['phase']}"
    parts += [statistic, f"{row['metric']} {row['unit'] or ''}".strip()]
    return " · ".join(parts)


def _pools(rows: list[dict[str, Any]], method: str) -> dict[str, tuple[Any, int]]:
    """pool_key -> (the random-effects pool, studies) for the rows with yi and vi, one per study."""
    by_key: dict[str, dict[str, dict[str, Any]]] = {}
    for r in rows:
        if r["pool_key"] and r["yi"] is not None and r["vi"]:
            by_key.setdefault(r["pool_key"], {}).setdefault(r["study_id"], r)
    return {
        key: (
            pool([r["yi"] for r in studies.values()], [r["vi"] for r in studies.values()], method),
            len(studies),
        )
        for key, studies in by_key.items()
    }


def forest_plot(
    muscle_id: str,
    out_path: Path,
    db_path: Path = DB_PATH,
    impute_sd: str | None = None,
    method: str = "REML",
) -> PlotResult:
    """Draw ``muscle_id`` across exercises and studies into ``out_path`` (.png or .svg).

    Each point is one reported value, labelled with study, muscle region, statistic and metric;
    a line shows the 95% interval of the mean where an SD is known (none otherwise). Below each
    exercise, a diamond shows the random-effects pool of each of its pool_keys (k studies), and
    the footnote prints the assumptions (imputed SDs, the estimator).
    """
    out_path = Path(out_path)
    if out_path.suffix.lower() not in FORMATS:
        raise ExportError(f"--out: {out_path}: give a file ending in .png or .svg")
    fig, result = _figure(muscle_id, Path(db_path), impute_sd, method)
    import matplotlib.pyplot as plt

    metadata = {"Date": None} if out_path.suffix.lower() == ".svg" else {"Software": None}
    try:
        fig.savefig(out_path, dpi=120, metadata=metadata)
    except OSError as e:
        raise ExportError(f"--out: {out_path}: cannot write: {e.strerror}") from e
    finally:
        plt.close(fig)
    return PlotResult(out_path, *result)


def forest_svg(muscle: str, db_path: Path, impute_sd: str | None = None, method: str = "REML") -> str:
    """The same plot as SVG text, for the web page (serving/plugins/forest.py)."""
    import io

    import matplotlib.pyplot as plt

    fig, _ = _figure(muscle, Path(db_path), impute_sd, method)
    buffer = io.StringIO()
    try:
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    finally:
        plt.close(fig)
    return buffer.getvalue()


def _figure(
    muscle_id: str, db_path: Path, impute_sd: str | None, method: str
) -> tuple[Any, tuple[int, int, int]]:
    """The forest plot's figure and (points, points with an interval, pools)."""
    # Long on purpose: one figure drawn top to bottom (lines, points, diamonds, axes, legend, notes); the steps share the axes and the line layout.
    if method not in METHODS:
        raise ExportError(f"--method: {method!r} is not one of {', '.join(METHODS)}")
    rows = plot_rows(db_path, muscle_id, impute_sd)
    if not rows:
        raise ExportError(
            f"--muscle: {muscle_id} has no MVC-normalised EMG values (comparable_mvc = 1) to plot"
        )

    import matplotlib

    matplotlib.use("Agg")  # no display; also makes the output independent of the desktop
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    # Same input, same bytes: fixed SVG ids and no creation date in either format.
    matplotlib.rcParams["svg.hashsalt"] = "emg-evidence"

    pools = _pools(rows, method)
    # One line per value, a heading above each exercise's group, a diamond line per pool below.
    lines: list[tuple[str, str, Any]] = []
    exercise = None
    for i, row in enumerate(rows):
        if row["exercise"] != exercise:
            exercise = row["exercise"]
            lines.append(("heading", exercise, None))
        lines.append(("value", _label(row), row))
        last = i + 1 == len(rows) or rows[i + 1]["exercise"] != exercise
        if last:
            # A pool of one study is that study's value: only pools of two or more are drawn.
            keys = sorted(
                {
                    r["pool_key"]
                    for r in rows
                    if r["exercise"] == exercise and pools.get(r["pool_key"], (0, 0))[1] >= 2
                }
            )
            for key in keys:
                pooled, k = pools[key]
                _, _, statistic, tendency, phase, group = key.split("/")[-6:]
                lines.append(
                    (
                        "pool",
                        f"Pooled, {k} stud{'y' if k == 1 else 'ies'} ({statistic}, {tendency}, {group})",
                        pooled,
                    )
                )

    height = 1.6 + 0.32 * len(lines)
    fig, ax = plt.subplots(figsize=(11, height))
    ys = list(range(len(lines), 0, -1))
    with_interval = 0
    seen_statistics: set[str] = set()
    for y, (kind, _text, item) in zip(ys, lines):
        if kind == "pool":
            d = item
            ax.fill([d.ci_lb, d.estimate, d.ci_ub, d.estimate], [y, y + 0.3, y, y - 0.3], color="black")
        elif kind == "value":
            mi, sdi, ni = item["mi"], item["sdi"], item["ni"]
            if sdi is not None and ni:
                half = Z95 * sdi / math.sqrt(ni)
                ax.plot([mi - half, mi + half], [y, y], color="black", linewidth=1.2)
                with_interval += 1
            statistic = item["statistic"]
            ax.plot(
                mi, y, linestyle="none", marker=MARKERS.get(statistic, "o"), markersize=7,
                color="black" if sdi is not None else "white", markeredgecolor="black",
            )  # fmt: skip
            seen_statistics.add(statistic)
    ax.set_yticks(ys)
    ax.set_yticklabels([text for _, text, _ in lines])
    for tick, (kind, _, _) in zip(ax.get_yticklabels(), lines):
        if kind != "value":
            tick.set_fontweight("bold")
    ax.set_ylim(0.3, len(lines) + 0.7)
    ax.axvline(100, color="grey", linewidth=0.6, linestyle=":")
    ax.set_xlim(left=0)
    ax.set_xlabel("EMG amplitude, % of MVC")
    regions = sorted({r["muscle_region"] for r in rows if r["muscle_region"]})
    name = rows[0]["muscle"] + (f" (with regions: {', '.join(regions)})" if regions else "")
    fig.suptitle(f"{name}: MVC-normalised EMG by exercise and study", x=0.01, ha="left")
    # Legend by marker shape only (fill says whether an SD exists, explained in the footnote).
    handles = [
        Line2D([], [], linestyle="none", marker=MARKERS.get(s, "o"), color="black", label=s)
        for s in sorted(seen_statistics)
    ]
    ax.legend(handles=handles, title="statistic", loc="best", fontsize="small")
    imputed = sum(1 for r in rows if r.get("sd_imputed"))
    drawn = sum(1 for kind, _, _ in lines if kind == "pool")
    notes = [
        "Filled: an SD is known, line = 95% interval of the mean (mi ± 1.96·sdi/√ni). Hollow: no SD. "
        "Studies used different MVC tests.",
        f"Diamonds: random-effects pool ({method}) of one exercise's values with the same statistic, "
        "central tendency and phase, one value per study (width: 95% interval); "
        + (f"{drawn} drawn." if drawn else "no exercise here has two such studies yet."),
        f"Assumptions: {imputed} SDs imputed ({impute_sd} rule)."
        if imputed
        else "Assumptions: no SD imputed.",
    ]
    fig.text(0.01, 0.005, "\n".join(notes), fontsize="small")
    fig.tight_layout(rect=(0, 0.02 + 0.015 * len(notes), 1, 1))
    return fig, (len(rows), with_interval, drawn)
