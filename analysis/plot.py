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

#: z for a 95% interval of a mean from its SD: mi ± 1.96·sdi/√ni (normal, as metafor's rma uses).
Z95 = 1.959963984540054
FORMATS = (".png", ".svg")
MARKERS = {"mean": "o", "peak": "^", "median": "s", "integrated": "D", "other": "X"}


@dataclass
class PlotResult:
    path: Path
    points: int
    with_interval: int


def muscle_targets(db_path: Path, muscle_id: str) -> list[str]:
    """``muscle_id`` and, for a whole muscle, its regions; ExportError if it is unknown."""
    connection = connect(db_path)
    try:
        row = connection.execute("SELECT name, region FROM muscle WHERE id = ?", (muscle_id,)).fetchone()
        if row is None:
            known = [r[0] for r in connection.execute("SELECT id FROM muscle ORDER BY id")]
            raise ExportError(f"--muscle: unknown muscle id {muscle_id!r}; known: {', '.join(known)}")
        name, region = row
        if region is not None:
            return [muscle_id]
        ids = connection.execute(
            "SELECT id FROM muscle WHERE id = ? OR (name = ? AND region IS NOT NULL) ORDER BY id",
            (muscle_id, name),
        ).fetchall()
    finally:
        connection.close()
    return [r[0] for r in ids]


def plot_rows(db_path: Path, muscle_id: str) -> list[dict[str, Any]]:
    """The values to plot, ordered by exercise, then study, muscle region and statistic."""
    targets = muscle_targets(db_path, muscle_id)
    rows = [r for r in single_rows(db_path) if r["comparable_mvc"] == 1 and r["muscle_id"] in targets]
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


def forest_plot(muscle_id: str, out_path: Path, db_path: Path = DB_PATH) -> PlotResult:
    """Draw ``muscle_id`` across exercises and studies into ``out_path`` (.png or .svg).

    Each point is one reported value, labelled with study, muscle region, statistic and metric;
    a line shows the 95% interval of the mean where the source gives an SD (none otherwise).
    """
    out_path = Path(out_path)
    if out_path.suffix.lower() not in FORMATS:
        raise ExportError(f"--out: {out_path}: give a file ending in .png or .svg")
    rows = plot_rows(Path(db_path), muscle_id)
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

    # One line per value, with a heading line above each exercise's group.
    lines: list[tuple[str, dict[str, Any] | None]] = []
    exercise = None
    for row in rows:
        if row["exercise"] != exercise:
            exercise = row["exercise"]
            lines.append((exercise, None))
        lines.append((_label(row), row))

    height = 1.2 + 0.32 * len(lines)
    fig, ax = plt.subplots(figsize=(11, height))
    ys = list(range(len(lines), 0, -1))
    with_interval = 0
    seen_statistics: set[str] = set()
    for y, (_text, point) in zip(ys, lines):
        if point is None:
            continue
        mi, sdi, ni = point["mi"], point["sdi"], point["ni"]
        if sdi is not None and ni:
            half = Z95 * sdi / math.sqrt(ni)
            ax.plot([mi - half, mi + half], [y, y], color="black", linewidth=1.2)
            with_interval += 1
        statistic = point["statistic"]
        ax.plot(
            mi, y, linestyle="none", marker=MARKERS.get(statistic, "o"), markersize=7,
            color="black" if sdi is not None else "white", markeredgecolor="black",
        )  # fmt: skip
        seen_statistics.add(statistic)
    ax.set_yticks(ys)
    ax.set_yticklabels([text for text, _ in lines])
    for tick, (_, heading) in zip(ax.get_yticklabels(), lines):
        if heading is None:
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
    fig.text(
        0.01, 0.005,
        "Filled: source gives an SD, line = 95% interval of the mean (mi ± 1.96·sdi/√ni). "
        "Hollow: no SD reported. Studies used different MVC tests.",
        fontsize="small",
    )  # fmt: skip
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    metadata = {"Date": None} if out_path.suffix.lower() == ".svg" else {"Software": None}
    try:
        fig.savefig(out_path, dpi=120, metadata=metadata)
    except OSError as e:
        raise ExportError(f"--out: {out_path}: cannot write: {e.strerror}") from e
    finally:
        plt.close(fig)
    return PlotResult(out_path, len(rows), with_interval)
