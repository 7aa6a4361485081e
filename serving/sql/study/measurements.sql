select m.id, c.id as condition_id, c.label as condition, m.muscle_id, m.muscle_label, m.metric,
       m.statistic, m.phase, m.value, m.unit, m.dispersion, m.dispersion_type, m.n, m.side, m.approximate,
       m.normalisation_category, s.kind as provenance, s.id as source_id, s.url as source_url,
       m.locator, m.restates_id
from measurement m
join condition c on c.id = m.condition_id
join source s on s.id = m.source_id
where c.study_id = :id
order by c.id, m.muscle_id, m.id
