"""Row pages that show the rows behind a row, not only Datasette's counts of linking rows: a study's
page (templates/row-evidence-study.html) its conditions, measurements, findings, contrasts, the
copies read and its double extraction; a claim's page its verdict, the cited study, the article's
numbers beside the paper's and the findings; a recommendation's page the claims it rests on.
"""

from __future__ import annotations

from typing import Any

#: What each row template calls: the function's name, the SQL parameter the row id fills, and the
#: queries whose rows it returns, by name.
PAGES: dict[str, tuple[str, str, dict[str, str]]] = {
    "study": (
        "study_evidence",
        "study_id",
        {
            "conditions": """select c.id, c.key, c.label, c.exercise_id, e.name as exercise, c.load, c.depth, c.stance, c.cue
from condition c join exercise e on e.id = c.exercise_id
where c.study_id = :study_id
order by c.id""",
            "measurements": """select m.id, c.id as condition_id, c.label as condition, m.muscle_id, m.muscle_label, m.metric,
       m.statistic, m.phase, m.value, m.unit, m.dispersion, m.dispersion_type, m.n, m.side, m.approximate,
       m.normalisation_category, s.kind as provenance, s.id as source_id, s.url as source_url,
       m.locator, m.restates_id
from measurement m
join condition c on c.id = m.condition_id
join source s on s.id = m.source_id
where c.study_id = :study_id
order by c.id, m.muscle_id, m.id""",
            "findings": """select f.id, ca.label as condition_a, cb.label as condition_b, f.muscle_id, f.muscle_b_id,
       f.metric, f.statistic, f.phase, f.direction, f.size, f.size_type, f.p_value, f.p_relation,
       f.summary, s.kind as provenance, f.locator
from finding f
join condition ca on ca.id = f.condition_a_id
left join condition cb on cb.id = f.condition_b_id
join source s on s.id = f.source_id
where f.study_id = :study_id
order by f.id""",
            "contrasts": """select k.id, ca.label as condition_a, cb.label as condition_b, k.muscle_id, k.metric, k.unit,
       k.statistic, k.phase, k.estimate_type, k.estimate, k.ci_low, k.ci_high, k.ci_level, k.se,
       k.p_value, k.p_relation, k.n, s.kind as provenance, s.url as source_url, k.locator, k.notes
from contrast k
join condition ca on ca.id = k.condition_a_id
join condition cb on cb.id = k.condition_b_id
join source s on s.id = k.source_id
where k.study_id = :study_id
order by k.id""",
            "reading": """select url, showed, note from reading_log where study_id = :study_id order by id""",
            "check": """select fields_compared, fields_differed, resolved, method, note
from extraction_check where study_id = :study_id""",
            "differences": """select field, first, second, resolved, how from extraction_difference
where study_id = :study_id order by id""",
        },
    ),
    "claim": (
        "claim_evidence",
        "claim_id",
        {
            "claim": """select c.*, s.citation, s.identification, s.doi, s.pmid
from claim c left join study s on s.id = c.study_id
where c.id = :claim_id""",
            "numbers": """select e.agreement, e.note, a.id as article_measurement_id, a.value as article_value,
       p.id as primary_measurement_id, p.value as primary_value, p.metric, p.unit,
       p.normalisation_category, p.statistic, p.locator, ps.url as source_url,
       co.label as condition, a.muscle_id
from claim_evidence e
join measurement a on a.id = e.measurement_id
join condition co on co.id = a.condition_id
left join measurement p on p.id = e.primary_measurement_id
left join source ps on ps.id = p.source_id
where e.claim_id = :claim_id
order by e.id""",
            "findings": """select e.agreement, e.asserted_direction, f.id as finding_id, f.study_id, f.direction,
       ca.label as condition_a, cb.label as condition_b, f.muscle_id, f.muscle_b_id, f.metric,
       f.p_value, f.p_relation, f.size, f.size_type, f.summary, s.kind as provenance, s.url,
       f.locator
from claim_evidence e
join finding f on f.id = e.finding_id
join condition ca on ca.id = f.condition_a_id
left join condition cb on cb.id = f.condition_b_id
join source s on s.id = f.source_id
where e.claim_id = :claim_id
order by e.id""",
            "recommendations": """select r.id, r.advice, r.support
from recommendation_claim rc join recommendation r on r.id = rc.recommendation_id
where rc.claim_id = :claim_id
order by r.position""",
            "muscles": """select cm.article_term, cm.muscle_id, m.name, m.region
from claim_muscle cm join muscle m on m.id = cm.muscle_id
where cm.claim_id = :claim_id
order by cm.id""",
        },
    ),
    "recommendation": (
        "recommendation_claims",
        "recommendation_id",
        {
            "claims": """select c.id, c.position, c.assertion, c.verdict, c.verdict_reason, c.study_id, s.citation
from recommendation_claim rc
join claim c on c.id = rc.claim_id
left join study s on s.id = c.study_id
where rc.recommendation_id = :recommendation_id
order by c.position""",
        },
    ),
}


def row_vars(datasette: Any, database: str, table: str) -> dict[str, Any]:
    """The function the row template of ``table`` calls (none for most tables)."""
    if table not in PAGES:
        return {}
    name, key, queries = PAGES[table]

    async def evidence(row_id: str) -> Any:
        db = datasette.get_database(database)
        out: dict[str, Any] = {
            part: [dict(row) for row in (await db.execute(sql, {key: row_id})).rows]
            for part, sql in queries.items()
        }
        if table == "recommendation":
            return out["claims"]
        if table == "claim":
            out["claim"] = out["claim"][0] if out["claim"] else None
        return out

    return {name: evidence}
