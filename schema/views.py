"""The views of the current schema, in one readable place.

Migrations freeze each view as it was at their revision (a migration never imports this
module); ``tests/test_schema.py`` checks that a database migrated to head holds exactly these
definitions, so this file is always the current one.
"""

from .comparability import mvc_comparable_sql

#: One row per measurement with everything a meta-analysis needs beside it. The CASTs give the
#: computed columns INTEGER affinity, so Datasette's ?comparable_mvc=1 and ?n=13 filters match
#: (migration 0007); comparable_mvc is the rule of schema/comparability.py.
META_EXTRACT = f"""CREATE VIEW meta_extract AS
SELECT
    m.id AS measurement_id,
    c.study_id AS study_id,
    s.citation AS citation,
    s.year AS year,
    s.doi AS doi,
    s.pmid AS pmid,
    CAST(COALESCE(m.n, s.n) AS INTEGER) AS n,
    s.population AS population,
    s.population_group AS population_group,
    c.exercise_id AS exercise_id,
    e.name AS exercise,
    m.condition_id AS condition_id,
    c.label AS condition,
    c.load AS load,
    m.muscle_id AS muscle_id,
    mu.name AS muscle,
    mu.region AS muscle_region,
    mu.muscle_group AS muscle_group,
    m.muscle_b_id AS muscle_b_id,
    m.phase AS phase,
    m.statistic AS statistic,
    m.central_tendency AS central_tendency,
    m.value AS value,
    m.dispersion AS dispersion,
    m.dispersion_type AS dispersion_type,
    m.sd AS sd,
    m.sd_source AS sd_source,
    m.preferred AS preferred,
    m.metric AS metric,
    m.unit AS unit,
    m.normalisation_category AS normalisation_category,
    CAST(CASE
        WHEN {mvc_comparable_sql("m.", chr(10) + "            AND ")}
        THEN 1 ELSE 0
    END AS INTEGER) AS comparable_mvc,
    m.electrode AS electrode,
    src.kind AS provenance,
    src.url AS source_url,
    m.locator AS locator,
    m.restates_id AS restates_measurement_id,
    m.side AS side,
    CAST(m.approximate AS INTEGER) AS approximate

FROM measurement m
JOIN condition c ON c.id = m.condition_id
JOIN study s ON s.id = c.study_id
JOIN exercise e ON e.id = c.exercise_id
JOIN muscle mu ON mu.id = m.muscle_id
JOIN source src ON src.id = m.source_id
"""

#: Every word that names a muscle, lower-cased, with each muscle it covers: the canned queries
#: and pages join it to take a muscle as an id, a name or a synonym ('glutes', 'BF', 'hocks').
#: A word is read in one way only: as an id if it is one, else as a synonym, else as a name.
#: The scope rule: a whole muscle covers its regions, and a group (a muscle whose id is its
#: group, e.g. hamstrings) covers every muscle of the group.
MUSCLE_TERM = """CREATE VIEW muscle_term AS
WITH named (term, muscle_id, priority) AS (
    SELECT id, id, 1 FROM muscle
    UNION ALL
    SELECT lower(term), muscle_id, 2 FROM muscle_synonym
    UNION ALL
    SELECT lower(name), id, 3 FROM muscle WHERE region IS NULL
),
best AS (
    SELECT DISTINCT n.term, n.muscle_id FROM named n
    WHERE n.priority = (SELECT min(o.priority) FROM named o WHERE o.term = n.term)
)
SELECT b.term AS term, mu.id AS muscle_id, b.muscle_id AS named_muscle_id
FROM best b
JOIN muscle c ON c.id = b.muscle_id
JOIN muscle mu
  ON mu.id = c.id
  OR (c.region IS NULL AND mu.name = c.name)
  OR (c.id = c.muscle_group AND mu.muscle_group = c.id)
"""

#: Every word for an exercise, lower-cased, with the exercise it names: its id, a word people
#: use for it (vocab/exercises.yaml, e.g. 'hip thrust', 'RDL'), its name, or its id with spaces.
#: A word is read in one way only, in that order, but may name several exercises ('lunge').
EXERCISE_TERM = """CREATE VIEW exercise_term AS
WITH named (term, exercise_id, priority) AS (
    SELECT id, id, 1 FROM exercise
    UNION ALL
    SELECT lower(term), exercise_id, 2 FROM exercise_synonym
    UNION ALL
    SELECT lower(name), id, 3 FROM exercise
    UNION ALL
    SELECT replace(id, '_', ' '), id, 4 FROM exercise
)
SELECT DISTINCT n.term AS term, n.exercise_id AS exercise_id FROM named n
WHERE n.priority = (SELECT min(o.priority) FROM named o WHERE o.term = n.term)
"""

#: Name -> CREATE VIEW statement, in the order a fresh database creates them.
VIEWS = {"meta_extract": META_EXTRACT, "muscle_term": MUSCLE_TERM, "exercise_term": EXERCISE_TERM}
