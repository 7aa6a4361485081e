select f.id, ca.label as condition_a, cb.label as condition_b, f.muscle_id, f.muscle_b_id,
       f.metric, f.statistic, f.phase, f.direction, f.size, f.size_type, f.p_value, f.p_relation,
       f.summary, s.kind as provenance, f.locator
from finding f
join condition ca on ca.id = f.condition_a_id
left join condition cb on cb.id = f.condition_b_id
join source s on s.id = f.source_id
where f.study_id = :id
order by f.id
