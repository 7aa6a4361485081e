"""Forest plots (one muscle across exercises, with the network model's estimates; one pair of
exercises, with the pooled diamond) and the network plot (exercises as nodes, studies as edges).

One muscle per plot, one panel per level key (mean, RMS and peak never share an axis). A point's
symbol says its statistic; a value whose SD is an unlabelled '±' or imputed is drawn hollow-grey
and named so; a diamond is the 95% CI, the line through it the prediction interval. The
footnote is wrapped to the figure's width, and a phone's plot is drawn narrow, not shrunk.
"""

from __future__ import annotations

import difflib
import io
import math
import textwrap
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

from ..paths import DB_PATH
from ..schema.comparability import key_parts
from ..schema.labels import label
from .contrasts import direction_words
from .network import Network
from .pooling import PairPool
from .queries import ExportError, connect
from .reml import Z975
from .synthesis import Options, Synthesis, cached, pools_of

FORMATS = (".png", ".svg")
#: Each statistic's marker, and the same shape as a character for the footnote's key (a legend
#: would cover rows).
MARKERS = {
    "mean": ("o", "●"),
    "rms": ("s", "■"),
    "peak": ("^", "▲"),
    "median": ("D", "◆"),
    "integrated": ("P", "✚"),
    "other": ("X", "✖"),
    "not_reported": ("v", "▼"),
}
#: Inches of figure width, and characters of footnote per line at that width; inches per row.
WIDTH_IN, FOOTNOTE_CHARS, LINE_IN = 10.0, 120, 0.42
#: The figure widths of `evidence plot --width`.
WIDTHS = {"desktop": WIDTH_IN, "phone": 5.0}


@dataclass
class PlotResult:
    path: Path
    points: int
    with_interval: int
    #: diamonds drawn (network estimates or a pooled difference)
    pools: int = 0


def muscle_targets(db_path: Path, muscle: str) -> list[str]:
    """The muscles a word covers, by the muscle_term view's rule (a whole muscle covers its
    regions, a group its muscles); ExportError naming the nearest words if it covers none."""
    term = muscle.strip().lower()
    with connect(db_path) as connection:
        sql = "SELECT DISTINCT muscle_id FROM muscle_term WHERE term = ? ORDER BY muscle_id"
        ids = [r[0] for r in connection.execute(sql, (term,))]
        words = [] if ids else [r[0] for r in connection.execute("SELECT DISTINCT term FROM muscle_term")]
    if not ids:
        near = difflib.get_close_matches(term, words, n=5, cutoff=0.5)
        hint = f"; nearest: {', '.join(near)}" if near else ""
        raise ExportError(f"--muscle: no muscle is called {muscle!r}{hint}")
    return ids


def _synthesis(
    db_path: Path, impute_sd: str | None, method: str, unlabelled_as_sd: bool = False
) -> Synthesis:
    options = Options(impute_sd=impute_sd, method=method, unlabelled_as_sd=unlabelled_as_sd)
    options.check()  # an --impute-sd that is no rule: ExportError
    return cached(Path(db_path), options)


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matplotlib.rcParams["svg.hashsalt"] = "emg-evidence"
    return plt


def _label(ax: Any, y: float, kind: str, text: str) -> None:
    """A row's words above its line, inside the plot, so the axis keeps the figure's width."""
    # About 13 characters of x-small text per inch of axis.
    text = textwrap.shorten(text, int(13 * ax.get_figure().get_figwidth()), placeholder=" …")
    ax.text(0.005, y + 0.22, text, transform=ax.get_yaxis_transform(), fontsize="x-small",
            fontweight="normal" if kind == "value" else "bold", va="bottom", ha="left", clip_on=False)  # fmt: skip


def _point(ax: Any, y: float, x: float, half: float | None, marker: str, no_sd: bool, assumed: bool) -> None:
    colour = "grey" if assumed else "black"
    if half is not None:
        ax.plot([x - half, x + half], [y, y], color=colour, linewidth=1.2)
    ax.plot(x, y, linestyle="none", marker=marker, markersize=6,
            color="white" if no_sd or assumed else "black", markeredgecolor=colour)  # fmt: skip


def _diamond(ax: Any, y: float, lb: float, estimate: float, ub: float, pi_lb: float, pi_ub: float) -> None:
    ax.plot([pi_lb, pi_ub], [y, y], color="black", linewidth=0.8)
    ax.fill([lb, estimate, ub, estimate], [y, y + 0.2, y, y - 0.2], color="black")


def _frame(ax: Any, n: int) -> None:
    ax.set_yticks([])
    ax.set_ylim(0.5, n + 0.8)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)


def plot_rows(s: Synthesis, muscle_id: str) -> list[dict[str, Any]]:
    """One muscle's MVC-normalised EMG values, by exercise, study and condition."""
    rows = [r for r in s.single if r["comparable_mvc"] == 1 and r["muscle_id"] == muscle_id]
    return sorted(rows, key=lambda r: (r["exercise"].casefold(), r["study_id"], r["statistic"], r["phase"],
                                       r["measurement_id"]))  # fmt: skip


def _study(row: dict[str, Any]) -> str:
    citation = row.get("citation") or row["study_id"]
    return citation.split(")")[0] + ")" if ")" in citation else row["study_id"]


def _assumed(row: dict[str, Any]) -> str:
    if row.get("sd_imputed"):
        return " [SD imputed]"
    return " [± read as SD]" if row.get("sd_unlabelled") else ""


def _title(key: str) -> str:
    if key.startswith("not pooled"):
        return "Not pooled: the amplitude statistic or the mean/median is not stated, or the value is the seed article's"
    p = key_parts(key)
    return ", ".join((label("statistic", p["statistic"]), label("central_tendency", p["central_tendency"]),
                      label("phase", p["phase"]), label("normalisation_category", p["normalisation_category"]),
                      f"{p['population']} samples"))  # fmt: skip


def _studies(k: int) -> str:
    return f"{k} stud{'y' if k == 1 else 'ies'}"


def _figure_muscle(s: Synthesis, muscle_id: str, width_in: float) -> tuple[Any, tuple[int, int, int]]:
    rows = plot_rows(s, muscle_id)
    if not rows:
        raise ExportError(
            f"--muscle: {muscle_id} has no MVC-normalised EMG values (comparable_mvc = 1) to plot"
        )
    networks = {n.key: n for n in s.networks}
    panels: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        key = r.get("network_key") or "not pooled: " + "/".join(
            str(r[c]) for c in ("statistic", "central_tendency", "phase") if r.get(c)
        )
        panels.setdefault(key, []).append(r)
    layouts = []
    for key, prow in sorted(panels.items(), key=lambda kv: (kv[0].startswith("not pooled"), kv[0])):
        lines: list[tuple[str, str, Any]] = []
        net = networks.get(key)
        levels = {lv.exercise_id: lv for lv in net.levels} if net else {}
        # Highest network estimate first, then those without one; ties by id (a set's order varies
        # with PYTHONHASHSEED, and the SVG must not).
        for exercise_id in sorted(
            {r["exercise_id"] for r in prow},
            key=lambda e: (-(levels[e].estimate if e in levels else -1e9), e),
        ):
            mine = [r for r in prow if r["exercise_id"] == exercise_id]
            lines.append(("heading", mine[0]["exercise"], None))
            lines += [("value", f"{_study(r)} · {r['condition']}{_assumed(r)}", r) for r in mine]
            if exercise_id in levels:
                lv = levels[exercise_id]
                g = s.grades[("level", key, exercise_id)]
                lines.append(("pool", f"Network estimate: {_studies(lv.studies)}, {lv.people} people, "
                                      f"rank {lv.rank or '-'}, certainty {g.level}", lv))  # fmt: skip
        layouts.append((key, net, lines))
    heights = [0.9 + LINE_IN * len(lines) for _, _, lines in layouts]
    fig, axes = _pyplot().subplots(len(layouts), 1, figsize=(width_in, sum(heights) + 1.0),
                                   gridspec_kw={"height_ratios": heights}, squeeze=False)  # fmt: skip
    points = with_interval = drawn = 0
    seen: set[str] = set()
    for ax, (key, net, lines) in zip(axes[:, 0], layouts):
        for y, (kind, text, item) in zip(range(len(lines), 0, -1), lines):
            _label(ax, y, kind, text)
            if kind == "pool":
                _diamond(ax, y, item.ci_lb, item.estimate, item.ci_ub, item.pi_lb, item.pi_ub)
                drawn += 1
            elif kind == "value":
                points += 1
                mi, sdi, ni = item["mi"], item["sdi"], item["ni"]
                half = Z975 * sdi / math.sqrt(ni) if sdi is not None and ni else None
                with_interval += half is not None
                marker = MARKERS.get(item["statistic"], ("o",))[0]
                _point(ax, y, mi, half, marker, sdi is None, bool(_assumed(item)))
                seen.add(item["statistic"])
        _frame(ax, len(lines))
        ax.axvline(100, color="grey", linewidth=0.6, linestyle=":")
        ax.set_xlim(left=0, right=max(110, max((r["mi"] for r in panels[key]), default=0) * 1.15))
        head = _title(key)
        if net and net.fit is not None:
            s2 = net.fit.sigma2
            head += (f". k = {_studies(net.studies)}, {net.people} people; I² = {net.i2:.0f}%; "
                     f"σ² study = {s2[0]:.1f}, condition = {s2[1]:.1f}")  # fmt: skip
        elif net:
            head += f". No network model: {net.note}"
        ax.set_title(textwrap.fill(head, int(100 * width_in / WIDTH_IN)), loc="left", fontsize="small")
    axes[-1, 0].set_xlabel("EMG amplitude, % of MVC")
    name = rows[0]["muscle"] + (f" ({rows[0]['muscle_region']})" if rows[0]["muscle_region"] else "")
    fig.suptitle(textwrap.fill(f"{name}: MVC-normalised EMG by exercise and study", int(7 * width_in)),
                 x=0.01, ha="left")  # fmt: skip
    notes = [
        "Symbols: " + ", ".join(f"{MARKERS[m][1]} {label('statistic', m)}" for m in sorted(seen)) + ".",
        "Filled: an SD is known, line = 95% interval of the mean (mi ± 1.96·sdi/√ni). Hollow: no SD. Grey: "
        "the SD is a '±' without a label read as SD, or imputed (said in the label). Studies used different MVC tests.",
        "Diamond: the network model's estimate (rma.mv with random study and condition effects), width its 95% CI; "
        "the line through it, the 95% prediction interval. Grade and reasons: network.csv.",
        f"SDs: {s.options.basis}" + (f" (rule {s.options.impute_sd})" if s.options.impute_sd else "") + ".",
    ]
    _finish(fig, notes, width_in, top_in=0.5)
    return fig, (points, with_interval, drawn)


def _figure_pair(s: Synthesis, p: PairPool, width_in: float) -> tuple[Any, tuple[int, int, int]]:
    rows = sorted(p.rows, key=lambda r: (r["study_id"], r["condition1_id"], r["condition2_id"]))
    lines = [(f"{_study(r)} · {r['condition1']} vs {r['condition2']}{' (printed)' if r['origin'] == 'printed' else ''}"
              f"{_assumed(r)}", r) for r in rows]  # fmt: skip
    fig, ax = _pyplot().subplots(figsize=(width_in, 1.6 + LINE_IN * (len(lines) + 1)))
    for y, (text, r) in zip(range(len(lines) + 1, 1, -1), lines):
        _label(ax, y, "value", text)
        _point(ax, y, r["yi"], Z975 * math.sqrt(r["vi"]), "D" if r["origin"] == "printed" else "s", False,
               bool(_assumed(r)))  # fmt: skip
    q = p.pooled
    assert q is not None
    lb, ub = p.interval
    g = s.grades[("pool", p.key)]
    _label(ax, 1, "pool", f"Pooled: {p.studies} studies, {p.people} people, {g.level}")
    _diamond(ax, 1, lb, q.estimate, ub, q.pi_lb, q.pi_ub)
    _frame(ax, len(lines) + 1)
    ax.axvline(0, color="grey", linewidth=0.6, linestyle=":")
    parts = p.parts
    words = direction_words(p.pair, s.raw.names)
    ax.set_xlabel(f"Difference, %MVIC ({words})")
    head = (f"{parts['muscle_id'].replace('_', ' ')}, {label('statistic', parts['statistic'])}: {words}. "
            f"k = {_studies(p.studies)}, {len(p.rows)} differences; I² = {q.i2:.0f}%; τ² = {q.tau2:.1f}; "
            f"estimate {q.estimate:.1f} (95% CI {lb:.1f} to {ub:.1f})")  # fmt: skip
    ax.set_title(textwrap.fill(head, int(95 * width_in / WIDTH_IN)), loc="left", fontsize="small")
    notes = [
        f"Squares: differences from two arms (MC, ri = {s.options.ri:g}); diamonds: printed differences. Grey: an "
        "SD read from an unlabelled '±' or imputed. Diamond at the bottom: the pool's 95% CI"
        + (" (cluster-robust, several differences per study)" if p.robust else "")
        + "; the line, its prediction interval.",
        f"Grade {g.level}: {g.words}.",
    ]
    _finish(fig, notes, width_in, top_in=0.1)
    return fig, (len(rows), len(rows), 1)


def _network_panel(ax: Any, s: Synthesis, n: Network, width_in: float) -> None:
    """Exercises on a circle (the networks here have tens of nodes at most), those no study
    links to the rest grey, beside it; a node's area grows with its people, an edge's width
    with the studies that measured both exercises (the number on it)."""
    names = [lv.exercise_id for lv in sorted(n.levels, key=lambda lv: lv.exercise_id)]
    where = {e: (math.cos(2 * math.pi * i / len(names) + math.pi / 2), math.sin(2 * math.pi * i / len(names) + math.pi / 2))
             for i, e in enumerate(names)}  # fmt: skip
    for i, apart in enumerate(n.apart):
        where[apart.exercise_id] = (1.55, 1.1 - 0.45 * i)
    by_study: dict[str, set[str]] = {}
    for r in n.rows:
        by_study.setdefault(r["study_id"], set()).add(r["exercise_id"])
    edges: dict[tuple[str, str], int] = {}
    for exercises in by_study.values():
        for a, b in combinations(sorted(exercises), 2):
            edges[(a, b)] = edges.get((a, b), 0) + 1
    for (a, b), k in edges.items():
        (x1, y1), (x2, y2) = where[a], where[b]
        thick = max(width_in / WIDTH_IN, 0.5)
        ax.plot([x1, x2], [y1, y2], color="#555555", linewidth=thick * (0.8 + 1.2 * k), zorder=1,
                solid_capstyle="round")  # fmt: skip
        ax.text((x1 + x2) / 2, (y1 + y2) / 2, str(k), fontsize="xx-small", ha="center", va="center",
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"}, zorder=2)  # fmt: skip
    people = {lv.exercise_id: (lv.people, "black") for lv in n.levels}
    people.update({a.exercise_id: (a.people, "#aaaaaa") for a in n.apart})
    chars = max(int(2.2 * width_in), 14)
    scale = (width_in / WIDTH_IN) ** 2
    for e, (x, y) in where.items():
        size, colour = people[e]
        ax.scatter([x], [y], s=scale * (40 + 1.5 * max(size, 1)), color=colour, zorder=3)
        words = textwrap.fill(s.raw.names.get(e, e), chars, break_long_words=False)
        side = "left" if x > 0.2 else "right" if x < -0.2 else "center"
        ax.text(x + (0.15 if side == "left" else -0.15 if side == "right" else 0),
                y + (0.15 if side == "center" and y > 0 else -0.15 if side == "center" else 0), words,
                fontsize="x-small", ha=side, va="center" if side != "center" else "bottom" if y > 0 else "top",
                zorder=4)  # fmt: skip
    ax.set_xlim(-2.1, 2.3)
    ax.set_ylim(-1.6, 2.0)
    ax.set_aspect("equal")
    ax.axis("off")
    head = f"{_title(n.key)}. {_studies(n.studies)}, {n.people} people"
    if n.apart:
        head += f"; {len(n.apart)} exercise(s) not linked (grey)"
    ax.set_title(textwrap.fill(head, int(9 * width_in)), loc="left", fontsize="small")


def _finish(fig: Any, notes: list[str], width_in: float, top_in: float) -> None:
    """The footnote, wrapped to the figure's width, in a strip added below the plots for it."""
    chars = int(FOOTNOTE_CHARS * width_in / WIDTH_IN)
    text = "\n".join(textwrap.fill(line, chars) for line in notes)
    bottom_in = 0.25 + 0.15 * (text.count("\n") + 1)
    height = fig.get_figheight() + bottom_in
    fig.set_figheight(height)
    fig.text(0.01, 0.1 / height, text, fontsize="x-small", va="bottom")
    fig.tight_layout(rect=(0, bottom_in / height, 1, 1 - top_in / height))


def _save(fig: Any, out: Path | io.StringIO) -> None:
    out = out if isinstance(out, io.StringIO) else Path(out)
    svg = isinstance(out, io.StringIO) or out.suffix.lower() == ".svg"
    try:
        if isinstance(out, Path) and out.suffix.lower() not in FORMATS:
            raise ExportError(f"--out: {out}: give a file ending in .png or .svg")
        fig.savefig(out, format="svg" if svg else "png", dpi=130,
                    metadata={"Date": None} if svg else {"Software": None})  # fmt: skip
    except OSError as e:
        raise ExportError(f"--out: {out}: cannot write: {e.strerror}") from e
    finally:
        _pyplot().close(fig)


def forest_plot(muscle_id: str, out_path: Path, db_path: Path = DB_PATH, impute_sd: str | None = None,
                method: str = "REML", width_in: float = WIDTH_IN, unlabelled_as_sd: bool = False) -> PlotResult:  # fmt: skip
    """Draw one muscle (an id; see :func:`muscle_targets` for a word) into ``out_path``."""
    fig, counts = _figure_muscle(
        _synthesis(db_path, impute_sd, method, unlabelled_as_sd), muscle_id, width_in
    )
    _save(fig, out_path)
    return PlotResult(Path(out_path), *counts)


def pair_plot(a: str, b: str, muscle_id: str, out_path: Path, db_path: Path = DB_PATH, impute_sd: str | None = None,
              method: str = "REML", width_in: float = WIDTH_IN, unlabelled_as_sd: bool = False) -> list[PlotResult]:  # fmt: skip
    """Draw every pool of exercises ``a`` and ``b`` for one muscle: one file per pool (statistic,
    phase...), ``out_path`` itself where there is one, else numbered."""
    s = _synthesis(db_path, impute_sd, method, unlabelled_as_sd)
    pools = [p for p in pools_of(s, a, b, muscle_id) if p.pooled]
    if not pools:
        raise ExportError(f"--pair: no study gives a difference with an SD of {a} and {b} for {muscle_id}")
    results = []
    for i, p in enumerate(pools, start=1):
        path = Path(out_path) if len(pools) == 1 else Path(out_path).with_stem(f"{Path(out_path).stem}-{i}")
        fig, counts = _figure_pair(s, p, width_in)
        _save(fig, path)
        results.append(PlotResult(path, *counts))
    return results


def network_plot(muscle_id: str, out_path: Path, db_path: Path = DB_PATH, impute_sd: str | None = None,
                 width_in: float = WIDTH_IN, unlabelled_as_sd: bool = False) -> int:  # fmt: skip
    s = _synthesis(db_path, impute_sd, "REML", unlabelled_as_sd)
    nets = [n for n in s.networks
            if key_parts(n.key)["muscle_id"] == muscle_id and len(n.levels) + len(n.apart) > 1]  # fmt: skip
    if not nets:
        raise ExportError(f"--muscle: {muscle_id} has no network of two or more exercises with SDs to draw")
    panel_in = min(width_in * 0.75, 7.0)
    fig, axes = _pyplot().subplots(len(nets), 1, figsize=(width_in, panel_in * len(nets)), squeeze=False)
    for ax, n in zip(axes[:, 0], nets):
        _network_panel(ax, s, n, width_in)
    fig.suptitle(textwrap.fill(f"{muscle_id.replace('_', ' ')}: which exercises the studies compared", int(7 * width_in)),
                 x=0.01, ha="left")  # fmt: skip
    notes = [
        "Node: an exercise (area grows with the people measured in it). Edge: studies that measured both "
        "exercises in the same people (the number on it). Only values with an SD enter the network.",
    ]
    _finish(fig, notes, width_in, top_in=0.6)
    _save(fig, out_path)
    return len(nets)


def forest_svg(
    muscle: str, db_path: Path, impute_sd: str | None = None, method: str = "REML", width_in: float = WIDTH_IN
) -> str:
    """The plot of the muscle a word names, as SVG text, for the web page (the muscle itself,
    or of those the word covers, the one with most values)."""
    s = _synthesis(db_path, impute_sd, method)
    targets = muscle_targets(Path(db_path), muscle)
    muscle_id = max(targets, key=lambda m: (len(plot_rows(s, m)), m == muscle.strip().lower()))
    fig, _ = _figure_muscle(s, muscle_id, width_in)
    buffer = io.StringIO()
    _save(fig, buffer)
    return buffer.getvalue()
