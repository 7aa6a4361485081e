select e.agreement, e.asserted_direction, f.id as finding_id, f.study_id, f.direction,
       ca.label as condition_a, cb.label as condition_b, f.muscle_id, f.muscle_b_id, f.metric,
       f.p_value, f.p_relation, f.size, f.size_type, f.summary, s.kind as provenance, s.url,
       f.locator
from claim_evidence e
join finding f on f.id = e.finding_id
join condition ca on ca.id = f.condition_a_id
left join condition cb on cb.id = f.condition_b_id
join source s on s.id = f.source_id
where e.claim_id = :id
order by e.id
