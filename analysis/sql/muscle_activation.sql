with wanted as (
  select coalesce(nullif(trim(:muscle), ''), 'gluteus_maximus') as term
)
-- The WHERE spells out what comparable_mvc = 1 means, with restates_id null, so that
-- SQLite reads measurement's partial index in this ORDER BY and stops at the row cap. Each
-- value's rank within its muscle and statistic is computed once per build (activation_rank,
-- analysis/derived.py); muscle_term_lookup is muscle_term's rows, searched by an index.
select r.rank,
       exercise, condition, muscle_id, muscle, muscle_region, statistic, phase, value, unit,
       citation, study_id, n, provenance, locator, meta_extract.measurement_id
from meta_extract
join activation_rank r on r.measurement_id = meta_extract.measurement_id
where {MVC_COMPARABLE}
  and restates_measurement_id is null
  and muscle_id in (select t.muscle_id from muscle_term_lookup t where t.term = (select lower(term) from wanted))
order by muscle_id, statistic, value desc
