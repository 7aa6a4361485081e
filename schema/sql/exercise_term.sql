-- Every word for an exercise, lower-cased, with the exercise it names: its id, a word people
-- use for it (vocab/exercises.yaml, e.g. 'hip thrust', 'RDL'), its name, or its id with spaces.
-- A word is read in one way only, in that order, but may name several exercises ('lunge').
CREATE VIEW exercise_term AS
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
