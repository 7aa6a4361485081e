with wanted as (
  select coalesce(nullif(trim(:muscle), ''), 'gluteus_maximus') as term
)
-- The WHERE spells out what comparable_mvc = 1 means, with restates_id null, so that
-- SQLite reads measurement's partial index in this ORDER BY and stops at the row cap (the
-- rank streams in that order). muscle_term_lookup is muscle_term's rows, searched by an index
-- (analysis/derived.py).
select rank() over (partition by muscle_id, statistic order by value desc) as rank,
       exercise, condition, muscle_id, muscle, muscle_region, statistic, phase, value, unit,
       citation, study_id, n, provenance, locator, measurement_id
from meta_extract
where {MVC_COMPARABLE}
  and restates_measurement_id is null
  and muscle_id in (select t.muscle_id from muscle_term_lookup t where t.term = (select lower(term) from wanted))
order by muscle_id, statistic, value desc
