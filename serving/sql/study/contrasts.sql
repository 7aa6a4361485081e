select k.id, ca.label as condition_a, cb.label as condition_b, k.muscle_id, k.metric, k.unit,
       k.statistic, k.phase, k.estimate_type, k.estimate, k.ci_low, k.ci_high, k.ci_level, k.se,
       k.p_value, k.p_relation, k.n, s.kind as provenance, s.url as source_url, k.locator, k.notes
from contrast k
join condition ca on ca.id = k.condition_a_id
join condition cb on cb.id = k.condition_b_id
join source s on s.id = k.source_id
where k.study_id = :id
order by k.id
