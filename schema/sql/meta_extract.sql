-- One row per measurement with everything a meta-analysis needs beside it. The CASTs give the
-- computed columns INTEGER affinity, so Datasette's ?comparable_mvc=1 and ?n=13 filters match
-- (migration 0007); comparable_mvc is the rule of schema/comparability.py, filled in at {mvc_comparable}.
CREATE VIEW meta_extract AS
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
        WHEN {mvc_comparable}
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
