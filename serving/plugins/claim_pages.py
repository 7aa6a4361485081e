"""Pages for the citation explorer. A recommendation's row page lists the claims it rests on;
a claim's row page shows the claim, its verdict and reason, the cited study and the linked
numbers (the article's value beside the paper's) and findings.

templates/row-evidence-claim.html calls ``claim_evidence(claim_id)`` and
templates/row-evidence-recommendation.html calls ``recommendation_claims(id)``, provided here.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl

CLAIM_SQL = """
select c.*, s.citation, s.identification, s.doi, s.pmid
from claim c left join study s on s.id = c.study_id
where c.id = :claim_id
"""

NUMBERS_SQL = """
select e.agreement, e.note, a.id as article_measurement_id, a.value as article_value,
       p.id as primary_measurement_id, p.value as primary_value, p.metric, p.unit,
       p.normalisation_category, p.statistic, p.locator, ps.url as source_url,
       co.label as condition, a.muscle_id
from claim_evidence e
join measurement a on a.id = e.measurement_id
join condition co on co.id = a.condition_id
left join measurement p on p.id = e.primary_measurement_id
left join source ps on ps.id = p.source_id
where e.claim_id = :claim_id
order by e.id
"""

FINDINGS_SQL = """
select e.agreement, e.asserted_direction, f.id as finding_id, f.study_id, f.direction,
       ca.label as condition_a, cb.label as condition_b, f.muscle_id, f.muscle_b_id, f.metric,
       f.p_value, f.p_relation, f.size, f.size_type, f.summary, s.kind as provenance, s.url,
       f.locator
from claim_evidence e
join finding f on f.id = e.finding_id
join condition ca on ca.id = f.condition_a_id
left join condition cb on cb.id = f.condition_b_id
join source s on s.id = f.source_id
where e.claim_id = :claim_id
order by e.id
"""

RECOMMENDATIONS_SQL = """
select r.id, r.advice, r.support
from recommendation_claim rc join recommendation r on r.id = rc.recommendation_id
where rc.claim_id = :claim_id
order by r.position
"""

MUSCLES_SQL = """
select cm.article_term, cm.muscle_id, m.name, m.region
from claim_muscle cm join muscle m on m.id = cm.muscle_id
where cm.claim_id = :claim_id
order by cm.id
"""


RECOMMENDATION_CLAIMS_SQL = """
select c.id, c.position, c.assertion, c.verdict, c.verdict_reason, c.study_id, s.citation
from recommendation_claim rc
join claim c on c.id = rc.claim_id
left join study s on s.id = c.study_id
where rc.recommendation_id = :recommendation_id
order by c.position
"""


@hookimpl
def extra_template_vars(view_name: str, database: str | None, table: str | None, datasette):
    if view_name != "row" or database is None:
        return {}
    if table == "recommendation":

        async def recommendation_claims(recommendation_id: str) -> list[dict[str, Any]]:
            db = datasette.get_database(database)
            result = await db.execute(RECOMMENDATION_CLAIMS_SQL, {"recommendation_id": recommendation_id})
            return [dict(row) for row in result.rows]

        return {"recommendation_claims": recommendation_claims}
    if table != "claim":
        return {}

    async def claim_evidence(claim_id: str) -> dict[str, Any]:
        db = datasette.get_database(database)
        params = {"claim_id": claim_id}
        out: dict[str, Any] = {}
        for name, sql in (
            ("claim", CLAIM_SQL),
            ("numbers", NUMBERS_SQL),
            ("findings", FINDINGS_SQL),
            ("recommendations", RECOMMENDATIONS_SQL),
            ("muscles", MUSCLES_SQL),
        ):
            out[name] = [dict(row) for row in (await db.execute(sql, params)).rows]
        out["claim"] = out["claim"][0] if out["claim"] else None
        return out

    return {"claim_evidence": claim_evidence}
