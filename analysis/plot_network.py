"""The network plot of one muscle: exercises as nodes, studies as edges.

One panel per level key of the muscle (mean, RMS and peak apart). A node's area grows with the
people measured in that exercise, an edge's width with the studies that measured both of its
exercises (the number is written on it); exercises no study links to the rest are drawn grey,
outside the circle. Drawn with matplotlib alone, on a circle: the networks here have tens of
nodes at most.
"""

from __future__ import annotations

import math
import textwrap
from itertools import combinations
from pathlib import Path
from typing import Any

from ..paths import DB_PATH
from ..schema.comparability import key_parts
from .extracts import ExportError
from .network import Network
from .plot import WIDTH_IN, _finish, _save, _studies, _title, options_for
from .synthesis import Synthesis, cached


def _edges(n: Network) -> dict[tuple[str, str], int]:
    by_study: dict[str, set[str]] = {}
    for r in n.rows:
        by_study.setdefault(r["study_id"], set()).add(r["exercise_id"])
    edges: dict[tuple[str, str], int] = {}
    for exercises in by_study.values():
        for a, b in combinations(sorted(exercises), 2):
            edges[(a, b)] = edges.get((a, b), 0) + 1
    return edges


def _panel(ax: Any, s: Synthesis, n: Network, width_in: float) -> None:
    names = [lv.exercise_id for lv in sorted(n.levels, key=lambda lv: lv.exercise_id)]
    where = {e: (math.cos(2 * math.pi * i / len(names) + math.pi / 2), math.sin(2 * math.pi * i / len(names) + math.pi / 2))
             for i, e in enumerate(names)}  # fmt: skip
    for i, apart in enumerate(n.apart):
        where[apart.exercise_id] = (1.55, 1.1 - 0.45 * i)
    for (a, b), k in _edges(n).items():
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


def network_plot(muscle_id: str, out_path: Path, db_path: Path = DB_PATH, impute_sd: str | None = None,
                 width_in: float = WIDTH_IN, unlabelled_as_sd: bool = False) -> int:  # fmt: skip
    """Draw the networks of one muscle into ``out_path``; return the number of panels."""
    s = cached(Path(db_path), options_for(impute_sd, "REML", unlabelled_as_sd))
    nets = [
        n
        for n in s.networks
        if key_parts(n.key)["muscle_id"] == muscle_id and len(n.levels) + len(n.apart) > 1
    ]
    if not nets:
        raise ExportError(f"--muscle: {muscle_id} has no network of two or more exercises with SDs to draw")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matplotlib.rcParams["svg.hashsalt"] = "emg-evidence"
    panel_in = min(width_in * 0.75, 7.0)
    fig, axes = plt.subplots(len(nets), 1, figsize=(width_in, panel_in * len(nets)), squeeze=False)
    for ax, n in zip(axes[:, 0], nets):
        _panel(ax, s, n, width_in)
    fig.suptitle(textwrap.fill(f"{muscle_id.replace('_', ' ')}: which exercises the studies compared", int(7 * width_in)),
                 x=0.01, ha="left")  # fmt: skip
    notes = [
        "Node: an exercise (area grows with the people measured in it). Edge: studies that measured both "
        "exercises in the same people (the number on it). Only values with an SD enter the network.",
    ]
    _finish(fig, notes, width_in, top_in=0.6)
    _save(fig, out_path)
    return len(nets)
