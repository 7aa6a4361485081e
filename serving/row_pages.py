"""Row pages that show the rows behind a row, not only Datasette's counts of linking rows: a study's
page (templates/row-evidence-study.html) its conditions, measurements, findings, contrasts, the
copies read and its double extraction; a claim's page its verdict, the cited study, the article's
numbers beside the paper's and the findings; a recommendation's page the claims it rests on.
"""

from __future__ import annotations

from typing import Any

from emg_evidence.serving.settings import SERVING_DIR, sql

#: The function each row template calls, by table: its parts are the queries sql/<table>/*.sql,
#: each over the row id ``:id``.
PAGES = {"study": "study_evidence", "claim": "claim_evidence", "recommendation": "recommendation_claims"}


def row_vars(datasette: Any, database: str, table: str) -> dict[str, Any]:
    """The function the row template of ``table`` calls (none for most tables)."""
    if table not in PAGES:
        return {}
    parts = [p.stem for p in (SERVING_DIR / "sql" / table).glob("*.sql")]

    async def evidence(row_id: str) -> Any:
        db = datasette.get_database(database)
        out: dict[str, Any] = {
            part: [dict(row) for row in (await db.execute(sql(f"{table}/{part}"), {"id": row_id})).rows]
            for part in parts
        }
        if table == "recommendation":
            return out["claims"]
        if table == "claim":
            out["claim"] = out["claim"][0] if out["claim"] else None
        return out

    return {PAGES[table]: evidence}
