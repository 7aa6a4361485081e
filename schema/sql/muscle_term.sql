-- Every word that names a muscle, lower-cased, with each muscle it covers: the canned queries
-- and pages join it to take a muscle as an id, a name or a synonym ('glutes', 'BF', 'hocks').
-- A word is read in one way only: as an id if it is one, else as a synonym, else as a name.
-- The scope rule: a whole muscle covers its regions, and a group (a muscle whose id is its
-- group, e.g. hamstrings) covers every muscle of the group.
CREATE VIEW muscle_term AS
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
