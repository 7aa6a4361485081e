"""Datasette plugin: the pages that answer people's questions in plain words.

- /ranking?muscle=glutes: which exercises activate a muscle most (like with like);
- /compare?a=hip thrust&b=squat&muscle=glutes: two exercises within the studies that did both;
- /article: what the seed article gets right and wrong, claims grouped by verdict;
- /technique?factor=depth: does depth, load, stance or a cue change activation;
- /search?q=deep squat: one search box over studies, claims, conditions and findings.

Words are read through the muscle_term and exercise_term views (ids, names, synonyms, the
article's words); a word that names nothing gets the nearest names. Each page's SQL is here,
once, beside the function that shows it; templates are in serving/templates/.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from emg_evidence.analysis.queries import query_sql
from emg_evidence.analysis.verdicts import fmt_number
from emg_evidence.schema.comparability import population_sql, value_to_use_sql
from emg_evidence.schema.labels import LABELS, label
from emg_evidence.serving.terms import term_words

MAX_WORD = 80
#: Verdict groups of the article page, in the order shown: what holds, what is off, what is open.
VERDICT_GROUPS = [
    ("What holds", ["supported", "numbers_match"]),
    ("Partly right", ["partly_supported"]),
    (
        "What the article gets wrong",
        [
            "numbers_differ",
            "metric_not_mvc",
            "no_difference_reported",
            "contradicted",
            "different_muscle_or_task",
        ],
    ),
    ("What cannot be checked", ["not_verifiable", "study_unidentified"]),
]
FACTORS = ("depth", "load", "stance", "cue")

# The values to show and "healthy" are schema/comparability.py's rules, as the pools take them.
RANKING_SQL = f"""
select e.measurement_id, e.study_id, e.citation, e.exercise_id, e.exercise, e.condition, e.load,
       e.muscle_id, e.muscle, e.muscle_region, e.statistic, e.central_tendency, e.phase,
       e.value, e.sd, e.unit, e.n, e.population, e.population_group, e.provenance, e.locator
from meta_extract e
join study st on st.id = e.study_id
where e.comparable_mvc = 1 and {value_to_use_sql("e.")}
  and e.muscle_id in (select muscle_id from muscle_term where term = :term)
  and (:everyone = 1 or {population_sql("e.population_group", "st.clinical_condition")} = 'healthy')
order by e.statistic, e.value desc, e.study_id
"""

TECHNIQUE_SQL = """
select f.id, f.study_id, s.citation, s.n, s.population_group, f.muscle_id, mu.name as muscle,
       mu.region, f.metric, f.statistic, f.direction, f.p_value, f.p_relation, f.summary,
       ca.label as condition_a, cb.label as condition_b, ca.{factor} as value_a,
       cb.{factor} as value_b, e.name as exercise
from finding f
join condition ca on ca.id = f.condition_a_id
join study s on s.id = f.study_id
join muscle mu on mu.id = f.muscle_id
left join condition cb on cb.id = f.condition_b_id
join exercise e on e.id = ca.exercise_id
where (cb.id is not null and cb.exercise_id = ca.exercise_id
       and coalesce(ca.{factor}, '') <> coalesce(cb.{factor}, ''))
   or (cb.id is null and f.direction in ('increases', 'decreases')
       and exists (select 1 from condition o where o.study_id = f.study_id
                   and coalesce(o.{factor}, '') <> coalesce(ca.{factor}, '')))
order by e.name, f.study_id, f.id
"""

SEARCH_SQL = {
    "studies": """select s.id, s.citation, s.title, s.population from study_fts
                  join study s on s.rowid = study_fts.rowid where study_fts match :q
                  order by rank limit 50""",
    "claims": """select c.id, c.assertion, c.verdict from claim_fts
                 join claim c on c.rowid = claim_fts.rowid where claim_fts match :q
                 order by rank limit 50""",
    "conditions": """select c.id, c.study_id, c.label, c.depth, c.stance, c.cue, c.load
                     from condition_fts join condition c on c.rowid = condition_fts.rowid
                     where condition_fts match :q order by rank limit 50""",
    "findings": """select f.id, f.study_id, f.summary from finding_fts
                   join finding f on f.rowid = finding_fts.rowid where finding_fts match :q
                   order by rank limit 50""",
}


async def _resolve(db: Any, view: str, word: str) -> tuple[list[str], list[str]]:
    """(ids the word names, nearest words if it names none)."""
    column = "muscle_id" if view == "muscle_term" else "exercise_id"
    term = word.strip().lower()
    ids = [r[0] for r in await db.execute(f"select distinct {column} from {view} where term = ?", [term])]
    if ids:
        return ids, []
    # Suggest words people write, not ids with underscores.
    words = [w for w in await term_words(db, view) if "_" not in w]
    near = difflib.get_close_matches(term, words, n=6, cutoff=0.5)
    near += [w for w in words if term and term in w and w not in near][:6]
    return [], near[:8]


def _arg(request: Any, name: str, default: str = "") -> str:
    value = (request.args.get(name) or default).strip()
    return value[:MAX_WORD]


async def _page(datasette: Any, request: Any, template: str, context: dict[str, Any]) -> Response:
    db = datasette.get_database("evidence")
    context.setdefault("muscle_words", await term_words(db, "muscle_term"))
    context.setdefault("exercise_words", await term_words(db, "exercise_term"))
    html = await datasette.render_template(template, {"label": label, **context}, request=request)
    return Response.html(html)


def _summary(rows: list[dict[str, Any]]) -> dict[str, int]:
    studies = {r["study_id"]: r["n"] for r in rows}
    return {"studies": len(studies), "people": sum(n for n in studies.values() if n)}


async def ranking(request: Any, datasette: Any) -> Response:
    db = datasette.get_database("evidence")
    word = _arg(request, "muscle", "gluteus maximus")
    everyone = request.args.get("everyone") == "1"
    ids, near = await _resolve(db, "muscle_term", word)
    rows = []
    if ids:
        result = await db.execute(RANKING_SQL, {"term": word.lower(), "everyone": int(everyone)})
        rows = [dict(r) for r in result]
    # One list per muscle (a word such as 'glutes' covers several) and per summary of the
    # signal: mean, RMS and peak are never on one axis.
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    order = {k: i for i, k in enumerate(LABELS["statistic"])}
    for r in sorted(rows, key=lambda r: (r["muscle"], order.get(r["statistic"], 99), -r["value"])):
        groups.setdefault((r["muscle"], r["statistic"]), []).append(r)
    for group in groups.values():
        top = max(r["value"] for r in group)
        for rank, r in enumerate(group, start=1):
            r["rank"], r["width"] = rank, 100 * r["value"] / top if top else 0
    return await _page(datasette, request, "ranking.html", {
        "word": word, "muscle_ids": ids, "near": near, "groups": groups, "everyone": everyone,
        "summary": _summary(rows), "over_100": any(r["value"] > 100 for r in rows),
    })  # fmt: skip


async def compare(request: Any, datasette: Any) -> Response:
    db = datasette.get_database("evidence")
    a, b = _arg(request, "a", "hip thrust"), _arg(request, "b", "squat")
    muscle = _arg(request, "muscle")
    problems = []
    for name, view, word in (("first exercise", "exercise_term", a), ("second exercise", "exercise_term", b),
                             ("muscle", "muscle_term", muscle)):  # fmt: skip
        if name == "muscle" and not word:
            continue
        ids, near = await _resolve(db, view, word)
        if not ids:
            problems.append({"what": name, "word": word, "near": near})
    rows: list[dict[str, Any]] = []
    if not problems:
        result = await db.execute(
            query_sql("exercises_compared"), {"exercise_a": a, "exercise_b": b, "muscle": muscle}
        )
        rows = [dict(r) for r in result]
    by_study: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_study.setdefault(r["study_id"], []).append(r)
    return await _page(datasette, request, "compare.html", {
        "a": a, "b": b, "muscle": muscle, "problems": problems, "by_study": by_study,
        "summary": _summary(rows),
    })  # fmt: skip


async def article(request: Any, datasette: Any) -> Response:
    db = datasette.get_database("evidence")
    claims = [dict(r) for r in await db.execute(
        "select c.*, s.citation from claim c left join study s on s.id = c.study_id order by c.position"
    )]  # fmt: skip
    recommendations = [dict(r) for r in await db.execute("select * from recommendation order by position")]
    groups = [(title, [c for c in claims if c["verdict"] in verdicts]) for title, verdicts in VERDICT_GROUPS]
    return await _page(datasette, request, "article.html", {
        "groups": [(t, cs) for t, cs in groups if cs], "recommendations": recommendations,
        "count": len(claims),
    })  # fmt: skip


async def technique(request: Any, datasette: Any) -> Response:
    db = datasette.get_database("evidence")
    factor = _arg(request, "factor", "depth")
    rows: list[dict[str, Any]] = []
    if factor in FACTORS:
        # The factor is one of FACTORS, a column name chosen from a fixed list, never user text.
        rows = [dict(r) for r in await db.execute(TECHNIQUE_SQL.format(factor=factor))]
    return await _page(datasette, request, "technique.html", {
        "factor": factor, "factors": FACTORS, "rows": rows, "summary": _summary(rows),
        "unknown": factor not in FACTORS,
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


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/ranking$", ranking),
        (r"^/compare$", compare),
        (r"^/article$", article),
        (r"^/technique$", technique),
        (r"^/search$", search),
    ]


#: Columns whose codes Datasette's own tables show in plain words (the title keeps the code).
LABELLED_COLUMNS = set(LABELS)


@hookimpl
def render_cell(value: Any, column: str, table: str | None, database: str) -> Any:
    if database != "evidence" or column not in LABELLED_COLUMNS or not isinstance(value, str):
        return None
    words = label(column, value)
    if words == value:
        return None
    return Markup(f'<span title="{escape(value)}">{escape(words)}</span>')


@hookimpl
def prepare_jinja2_environment(env: Any) -> None:
    env.filters["label"] = lambda value, column: label(column, value)
    # A value as the source prints it: 81.0 -> '81', 16.90 -> '16.9'.
    env.filters["num"] = lambda value: "" if value is None else fmt_number(value)


@hookimpl
def extra_template_vars(template: str, datasette: Any) -> Any:
    if template != "index.html":
        return None

    async def home() -> dict[str, Any]:
        db = datasette.get_database("evidence")
        studies = (await db.execute("select count(*) from study")).first()[0]
        exercise_words = [w for w in await term_words(db, "exercise_term") if "_" not in w]
        return {"home": {"studies": studies, "muscle_words": await term_words(db, "muscle_term"),
                         "exercise_words": exercise_words}}  # fmt: skip

    return home
