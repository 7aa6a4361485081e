"""The pages that answer people's questions in plain words: /ranking, /compare, /article,
/technique and /search (README.md). Each answer page opens with its bottom line (answer_lines.py),
then the evidence study by study (answer_evidence.py), and offers its rows as CSV
(``&format=csv``) and its studies as BibTeX and RIS; words are read by answer_words.py.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from emg_evidence.analysis.csv_cells import safe_cell
from emg_evidence.analysis.verdicts import fmt_number
from emg_evidence.schema.labels import LABELS, label
from emg_evidence.serving import answer_evidence as evidence
from emg_evidence.serving import answer_lines as lines
from emg_evidence.serving.answer_words import exercise_words, muscle_words, name_exercise, name_muscle

MAX_WORD = 80
#: Verdict groups of the article page, in the order shown: what holds, what is off, what is open.
VERDICT_GROUPS = {
    "What holds": ("supported", "numbers_match"),
    "Partly right": ("partly_supported",),
    "What the article gets wrong": ("numbers_differ", "metric_not_mvc", "no_difference_reported",
                                    "contradicted", "different_muscle_or_task"),
    "What cannot be checked": ("not_verifiable", "study_unidentified"),
}  # fmt: skip

#: What /search looks in: each kind's table (with its FTS5 index, {table}_fts) and the columns shown.
SEARCH = {
    "studies": ("study", "x.id, x.citation, x.title, x.population"),
    "claims": ("claim", "x.id, x.assertion, x.verdict"),
    "conditions": ("condition", "x.id, x.study_id, x.label, x.depth, x.stance, x.cue, x.load"),
    "findings": ("finding", "x.id, x.study_id, x.summary"),
}
SEARCH_SQL = {
    kind: f"select {columns} from {table}_fts join {table} x on x.rowid = {table}_fts.rowid"
    f" where {table}_fts match :q order by rank limit 50"
    for kind, (table, columns) in SEARCH.items()
}


def _arg(request: Any, name: str, default: str = "") -> str:
    value = (request.args.get(name) or default).strip()
    return value[:MAX_WORD]


def _downloads(request: Any, study_ids: list[str]) -> dict[str, str]:
    """This page's rows as CSV, its studies as BibTeX and RIS."""
    args = {k: request.args.get(k) for k in request.args.keys() if k != "format"}
    studies = urlencode({"id__in": ",".join(dict.fromkeys(study_ids)), "_size": "max"})
    return {
        "csv": f"{request.path}?{urlencode({**args, 'format': 'csv'})}",
        "bib": f"/evidence/study.bib?{studies}",
        "ris": f"/evidence/study.ris?{studies}",
    }


def _csv(name: str, rows: list[dict[str, Any]]) -> Response:
    out = io.StringIO()
    columns = list(dict.fromkeys(k for r in rows for k in r))
    writer = csv.DictWriter(out, columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: safe_cell(v) for k, v in r.items()} for r in rows)
    return Response(out.getvalue(), content_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{name}.csv"'})  # fmt: skip


async def _page(datasette: Any, request: Any, template: str, context: dict[str, Any]) -> Response:
    db = datasette.get_database("evidence")
    context.setdefault("muscle_words", await muscle_words(db))
    context.setdefault("exercise_words", await exercise_words(db))
    html = await datasette.render_template(template, {"label": label, **context}, request=request)
    return Response.html(html)


def _population(request: Any) -> str:
    who = _arg(request, "who", "healthy")
    if request.args.get("everyone") == "1":  # the old checkbox's links keep working
        who = "all"
    return who if who in evidence.POPULATIONS else "healthy"


async def ranking(request: Any, datasette: Any) -> Response:
    db = datasette.get_database("evidence")
    word = _arg(request, "muscle", "gluteus maximus")
    who = _population(request)
    named = await name_muscle(db, word)
    rankings = await evidence.ranking_evidence(db, named.ids, who) if named.ids else []
    found = [
        (r, t, ex, s)
        for r in rankings
        for t in [r["main"], *r["others"]]
        for ex in t["exercises"]
        for s in ex["studies"]
    ]
    if request.args.get("format") == "csv":
        return _csv("ranking", [
            {"muscle": r["muscle"], "statistic": t["statistic"], "rank": ex["rank"], "exercise": ex["exercise"],
             "study_id": s["study_id"], "citation": s["citation"], "n": s["n"], "value": s["value"], "unit": s["unit"],
             "phase": s["phase"], "versions": "; ".join(s["versions"])}
            for r, t, ex, s in found
        ])  # fmt: skip
    return await _page(datasette, request, "ranking.html", {
        "word": word, "named": named, "rankings": rankings, "who": who, "populations": evidence.POPULATIONS,
        "bottom": lines.ranking_bottom(Path(db.path), rankings, who),
        "downloads": _downloads(request, [s["study_id"] for *_, s in found]),
        "over_100": any(s["value"] > 100 for *_, s in found),
    })  # fmt: skip


async def compare(request: Any, datasette: Any) -> Response:
    db = datasette.get_database("evidence")
    a, b, muscle = _arg(request, "a", "hip thrust"), _arg(request, "b", "squat"), _arg(request, "muscle")
    side_a, side_b = await name_exercise(db, a), await name_exercise(db, b)
    named_muscle = await name_muscle(db, muscle) if muscle else None
    muscle_ids = named_muscle.ids if named_muscle else None
    named = (("first exercise", side_a), ("second exercise", side_b), ("muscle", named_muscle))
    problems = [{"what": w, "named": n} for w, n in named if n and not n.ids]
    studies: list[dict[str, Any]] = []
    pooled: list[dict[str, str]] = []
    apart = {}
    if not problems:
        studies = await evidence.compare_evidence(db, side_a.ids, side_b.ids, muscle_ids)
    if studies:
        pooled = lines.pooled_compare_lines(Path(db.path), side_a.ids, side_b.ids, studies, muscle_ids)
    elif not problems:
        apart = {
            a: await evidence.measured_apart(db, side_a.ids, muscle_ids),
            b: await evidence.measured_apart(db, side_b.ids, muscle_ids),
        }
    if request.args.get("format") == "csv":
        return _csv("compare", [
            {"study_id": st["study_id"], "citation": st["citation"], "n": st["n"], **row}
            for st in studies for row in st["pairs"] + st["findings"] + st["across"]
        ])  # fmt: skip
    return await _page(datasette, request, "compare.html", {
        "a": a, "b": b, "muscle": muscle, "side_a": side_a, "side_b": side_b, "named_muscle": named_muscle,
        "problems": problems, "studies": studies, "apart": apart,
        "bottom": lines.compare_bottom(pooled, studies, lines.compare_lines(a, b, studies)),
        "found_words": lines.found_words,
        "downloads": _downloads(request, [st["study_id"] for st in studies]),
    })  # fmt: skip


async def article(request: Any, datasette: Any) -> Response:
    db = datasette.get_database("evidence")
    claims = [dict(r) for r in await db.execute(
        "select c.*, s.citation from claim c left join study s on s.id = c.study_id order by c.position"
    )]  # fmt: skip
    if request.args.get("format") == "csv":
        return _csv("article_claims", claims)
    recommendations = [dict(r) for r in await db.execute("select * from recommendation order by position")]
    groups = [
        (title, [c for c in claims if c["verdict"] in verdicts]) for title, verdicts in VERDICT_GROUPS.items()
    ]
    groups = [(t, cs) for t, cs in groups if cs]
    return await _page(datasette, request, "article.html", {
        "groups": groups, "recommendations": recommendations, "count": len(claims),
        "bottom": lines.article_line(groups, len(claims)),
        "downloads": _downloads(request, [c["study_id"] for c in claims if c["study_id"]]),
    })  # fmt: skip


async def technique(request: Any, datasette: Any) -> Response:
    db = datasette.get_database("evidence")
    factor = _arg(request, "factor", "depth")
    muscle, exercise = _arg(request, "muscle"), _arg(request, "exercise")
    named_muscle = await name_muscle(db, muscle) if muscle else None
    named_exercise = await name_exercise(db, exercise) if exercise else None
    problems = [
        {"what": w, "named": n}
        for w, n in (("muscle", named_muscle), ("exercise", named_exercise))
        if n and not n.ids
    ]
    rows: list[dict[str, Any]] = []
    if (factor in evidence.FACTORS or factor == "all") and not problems:
        ids = [n.ids if n else None for n in (named_muscle, named_exercise)]
        rows = await evidence.technique_evidence(db, factor, *ids)
    if request.args.get("format") == "csv":  # "factors" last, as a list in words
        return _csv("technique", [{k: v for k, v in r.items() if k != "factors"} | {"factors": "; ".join(r["factors"])}
                                  for r in rows])  # fmt: skip
    words = evidence.FACTORS.get(factor, "technique")
    return await _page(datasette, request, "technique.html", {
        "factor": factor, "factors": evidence.FACTORS, "rows": rows, "muscle": muscle, "exercise": exercise,
        "named_muscle": named_muscle, "named_exercise": named_exercise, "problems": problems,
        "unknown": factor not in evidence.FACTORS and factor != "all", "factor_words": words,
        "bottom": lines.technique_line(words, rows), "studies": len({r["study_id"] for r in rows}),
        "downloads": _downloads(request, [r["study_id"] for r in rows]),
    })  # fmt: skip


def fts_query(text: str) -> str:
    """Each word as a quoted prefix ('deep squat' -> '"deep"* "squat"*'): porter stems and
    prefixes find depth, deep, deeper and squats; quoting keeps FTS syntax out of user text."""
    # \w+ words hold no quote, so wrapping each in quotes is enough to keep it a plain term.
    words = re.findall(r"\w+", text)[:10]
    return " ".join(f'"{w}"*' for w in words)


async def search(request: Any, datasette: Any) -> Response:
    db = datasette.get_database("evidence")
    q = _arg(request, "q")
    results: dict[str, list[dict[str, Any]]] = {}
    if q and fts_query(q):
        for kind, sql in SEARCH_SQL.items():
            results[kind] = [dict(r) for r in await db.execute(sql, {"q": fts_query(q)})]
    return await _page(datasette, request, "search.html", {
        "q": q, "results": results, "total": sum(len(v) for v in results.values()),
    })  # fmt: skip


#: The question pages' routes (serving/plugin.py registers them).
ROUTES: list[tuple[str, Any]] = [
    (r"^/ranking$", ranking),
    (r"^/compare$", compare),
    (r"^/article$", article),
    (r"^/technique$", technique),
    (r"^/search$", search),
]


#: Codes that stored prose may quote ('1 no_difference'): every coded value with an underscore.
CODES = {code: words for column in LABELS.values() for code, words in column.items() if "_" in code}
CODE = re.compile(r"\b(" + "|".join(sorted(map(re.escape, CODES), key=len, reverse=True)) + r")\b")


def human(text: Any) -> str:
    """Prose with any coded value it quotes in plain words."""
    return "" if text is None else CODE.sub(lambda m: CODES[m.group(1)].lower(), str(text))


#: Columns whose codes Datasette's own tables show in plain words (the title keeps the code).
LABELLED_COLUMNS = set(LABELS)


def render_cell(value: Any, column: str, table: str | None, database: str) -> Any:
    if database != "evidence" or column not in LABELLED_COLUMNS or not isinstance(value, str):
        return None
    words = label(column, value)
    if words == value:
        return None
    return Markup(f'<span title="{escape(value)}">{escape(words)}</span>')


def prepare_jinja2_environment(env: Any) -> None:
    env.filters["label"] = lambda value, column: label(column, value)
    env.filters["human"] = human
    env.filters["cite"] = lines.short_citation
    env.filters["citation"] = lines.human_citation
    # A value as the source prints it: 81.0 -> '81', 16.90 -> '16.9'.
    env.filters["num"] = lambda value: "" if value is None else fmt_number(value)


async def home(datasette: Any) -> dict[str, Any]:
    """The home page's figures and words (index.html's ``home``)."""
    db = datasette.get_database("evidence")
    studies = (await db.execute("select count(*) from study")).first()[0]
    return {"studies": studies, "muscle_words": await muscle_words(db),
            "exercise_words": await exercise_words(db), "factors": evidence.FACTORS}  # fmt: skip
