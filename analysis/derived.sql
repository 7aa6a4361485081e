-- The derived tables (analysis/derived.py fills them at every build). First the temporary table
-- both pairings read; then, after each `-- table: <name>` line, a table's CREATE TABLE, the INSERT
-- that fills it (contrast_pair has none: Python fills it, as the direction of a technique contrast
-- reads the conditions' levels) and its indexes. A statement ends with ';' at a line's end.

-- meta_extract's preferred rows, with the side (a left leg pairs with a left leg), made once per
-- derive(): the view joins five tables for every value, and both pairings read it.
CREATE TEMP TABLE preferred_value AS
    SELECT e.measurement_id, e.study_id, e.exercise_id, e.muscle_id, e.condition_id, e.metric, e.unit, e.normalisation_category, e.statistic, e.phase, e.n, e.central_tendency, e.provenance, e.restates_measurement_id, e.population_group, m.side, s.clinical_condition
    FROM meta_extract e
    JOIN measurement m ON m.id = e.measurement_id
    JOIN study s ON s.id = e.study_id
    WHERE e.preferred = 1;

-- table: contrast_pair
CREATE TABLE contrast_pair (
    id INTEGER PRIMARY KEY,
    measurement1_id INTEGER NOT NULL REFERENCES measurement (id),
    measurement2_id INTEGER NOT NULL REFERENCES measurement (id),
    study_id TEXT NOT NULL REFERENCES study (id),
    muscle_id TEXT NOT NULL REFERENCES muscle (id),
    exercise1_id TEXT NOT NULL REFERENCES exercise (id),
    exercise2_id TEXT NOT NULL REFERENCES exercise (id),
    -- 'a-vs-b' (two exercises, alphabetical) or 'exercise:factor' (technique)
    pair TEXT NOT NULL,
    factor TEXT,
    -- 1: in the pair's common direction; 0: a technique contrast without ordered levels
    ordered INTEGER NOT NULL,
    -- the pool its difference enters (schema/comparability.py's contrast key), or NULL
    contrast_key TEXT
);
CREATE INDEX ix_contrast_pair_exercises ON contrast_pair (exercise1_id, exercise2_id);
CREATE INDEX ix_contrast_pair_study_id ON contrast_pair (study_id);

-- table: single_value
CREATE TABLE single_value (
    id INTEGER PRIMARY KEY,
    measurement_id INTEGER NOT NULL UNIQUE REFERENCES measurement (id),
    study_id TEXT NOT NULL REFERENCES study (id),
    exercise_id TEXT NOT NULL REFERENCES exercise (id),
    muscle_id TEXT NOT NULL REFERENCES muscle (id)
);
-- Numbered in meta_single's order.
INSERT INTO single_value (measurement_id, study_id, exercise_id, muscle_id)
SELECT x.measurement_id, x.study_id, x.exercise_id, x.muscle_id
FROM temp.preferred_value x
ORDER BY x.muscle_id, x.exercise_id, x.study_id, x.statistic, x.phase, x.measurement_id;
CREATE INDEX ix_single_value_muscle_id ON single_value (muscle_id);

-- A copy of the views muscle_term and exercise_term (schema/sql/ holds the rule), searched
-- through an index: a query joining a view reads every word's rows before it looks one up.
-- table: muscle_term_lookup
CREATE TABLE muscle_term_lookup (
    id INTEGER PRIMARY KEY,
    term TEXT NOT NULL,
    muscle_id TEXT NOT NULL REFERENCES muscle (id),
    named_muscle_id TEXT NOT NULL REFERENCES muscle (id)
);
INSERT INTO muscle_term_lookup (term, muscle_id, named_muscle_id)
SELECT term, muscle_id, named_muscle_id FROM muscle_term ORDER BY term, muscle_id, named_muscle_id;
CREATE INDEX ix_muscle_term_lookup_term ON muscle_term_lookup (term, muscle_id);

-- table: exercise_term_lookup
CREATE TABLE exercise_term_lookup (
    id INTEGER PRIMARY KEY,
    term TEXT NOT NULL,
    exercise_id TEXT NOT NULL REFERENCES exercise (id)
);
INSERT INTO exercise_term_lookup (term, exercise_id)
SELECT term, exercise_id FROM exercise_term ORDER BY term, exercise_id;
CREATE INDEX ix_exercise_term_lookup_term ON exercise_term_lookup (term, exercise_id);
