select f.id, f.study_id, s.citation, s.n, s.population_group, s.clinical_condition, s.pedro_score,
       f.muscle_id, mu.name as muscle,
       mu.region as muscle_region, f.metric, f.statistic, f.direction, f.p_value, f.p_relation,
       f.summary, src.kind as provenance,
       ca.label as condition_a, cb.label as condition_b, ea.name as exercise_a, eb.name as exercise_b,
       ca.exercise_id as exercise_a_id, cb.exercise_id as exercise_b_id,
       ca.depth as depth_a, cb.depth as depth_b, ca.load as load_a, cb.load as load_b,
       f.muscle_b_id, mb.name as muscle_b, ca.stance as stance_a, cb.stance as stance_b, ca.cue as cue_a, cb.cue as cue_b
from finding f
join study s on s.id = f.study_id
join source src on src.id = f.source_id
join muscle mu on mu.id = f.muscle_id
left join muscle mb on mb.id = f.muscle_b_id
join condition ca on ca.id = f.condition_a_id
join exercise ea on ea.id = ca.exercise_id
left join condition cb on cb.id = f.condition_b_id
left join exercise eb on eb.id = cb.exercise_id
where (f.muscle_b_id is null or :exercises is not null)
  and (:muscles is null or f.muscle_id in (select value from json_each(:muscles))
       or f.muscle_b_id in (select value from json_each(:muscles)))
  and (:exercises is null or ca.exercise_id in (select value from json_each(:exercises)))
order by s.year, f.study_id, f.muscle_id, f.id
