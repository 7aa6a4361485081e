"""A study's row page shows what the study did and found: its conditions, measurements and findings.

Datasette's own row page lists only counts of linking rows; templates/row-evidence-study.html calls
``study_evidence(study_id)``, provided here, to show the rows themselves.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl

CONDITIONS_SQL = """
select c.id, c.key, c.label, c.exercise_id, e.name as exercise, c.load, c.depth, c.stance, c.cue
from condition c join exercise e on e.id = c.exercise_id
where c.study_id = :study_id
order by c.id
"""

MEASUREMENTS_SQL = """
select m.id, c.id as condition_id, c.label as condition, m.muscle_id, m.muscle_label, m.metric,
       m.statistic, m.phase, m.value, m.unit, m.dispersion, m.dispersion_type, m.n,
       m.normalisation_category, s.kind as provenance, s.id as source_id, s.url as source_url,
       m.locator, m.restates_id
from measurement m
join condition c on c.id = m.condition_id
join source s on s.id = m.source_id
where c.study_id = :study_id
order by c.id, m.muscle_id, m.id
"""

FINDINGS_SQL = """
select f.id, ca.label as condition_a, cb.label as condition_b, f.muscle_id, f.muscle_b_id,
       f.metric, f.statistic, f.phase, f.direction, f.size, f.size_type, f.p_value, f.p_relation,
       f.summary, s.kind as provenance, f.locator
from finding f
join condition ca on ca.id = f.condition_a_id
left join condition cb on cb.id = f.condition_b_id
join source s on s.id = f.source_id
where f.study_id = :study_id
order by f.id
"""


@hookimpl
def extra_template_vars(view_name: str, database: str | None, table: str | None, datasette):
    if view_name != "row" or table != "study" or database is None:
        return {}

    async def study_evidence(study_id: str) -> dict[str, list[dict[str, Any]]]:
        db = datasette.get_database(database)
        params = {"study_id": study_id}
        return {
            name: [dict(row) for row in (await db.execute(sql, params)).rows]
            for name, sql in (
                ("conditions", CONDITIONS_SQL),
                ("measurements", MEASUREMENTS_SQL),
                ("findings", FINDINGS_SQL),
            )
        }

    return {"study_evidence": study_evidence}
