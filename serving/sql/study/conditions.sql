select c.id, c.key, c.label, c.exercise_id, e.name as exercise, c.load, c.depth, c.stance, c.cue
from condition c join exercise e on e.id = c.exercise_id
where c.study_id = :id
order by c.id
