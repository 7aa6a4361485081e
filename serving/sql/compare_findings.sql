select f.id, f.muscle_id, mu.name as muscle, mu.region as muscle_region, f.metric, f.statistic,
       f.phase, f.direction, f.p_value, f.p_relation, f.summary, src.kind as provenance,
       ca.label as label_a, ca.exercise_id as exercise_a, cb.label as label_b, cb.exercise_id as exercise_b
from finding f
join condition ca on ca.id = f.condition_a_id
left join condition cb on cb.id = f.condition_b_id
join muscle mu on mu.id = f.muscle_id
join source src on src.id = f.source_id
where f.study_id = :study and f.muscle_b_id is null
  and (:muscles is null or f.muscle_id in (select value from json_each(:muscles)))
  and ca.exercise_id in (select value from json_each(:both))
  and (cb.id is null or cb.exercise_id in (select value from json_each(:both)))
order by f.muscle_id, f.id
