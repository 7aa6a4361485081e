select e.agreement, e.note, a.id as article_measurement_id, a.value as article_value,
       p.id as primary_measurement_id, p.value as primary_value, p.metric, p.unit,
       p.normalisation_category, p.statistic, p.locator, ps.url as source_url,
       co.label as condition, a.muscle_id
from claim_evidence e
join measurement a on a.id = e.measurement_id
join condition co on co.id = a.condition_id
left join measurement p on p.id = e.primary_measurement_id
left join source ps on ps.id = p.source_id
where e.claim_id = :id
order by e.id
