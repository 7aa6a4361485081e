with wanted as (
  select coalesce(nullif(trim(:muscle), ''), 'gluteus_maximus') as term
)
-- The values a ranking shows: MVC-normalised EMG, the one value to use of several sources'
-- (schema/comparability.py, as the /ranking page and the pools take it). muscle_term_lookup is
-- muscle_term's rows, searched by an index (analysis/derived.py).
select rank() over (partition by muscle_id, statistic, central_tendency order by value desc) as rank,
       exercise, condition, muscle_id, muscle, muscle_region, statistic, central_tendency, phase,
       value, unit, citation, study_id, n, provenance, locator, measurement_id
from meta_extract
where {MVC_COMPARABLE}
  and {VALUE_TO_USE}
  and muscle_id in (select t.muscle_id from muscle_term_lookup t where t.term = (select lower(term) from wanted))
order by muscle_id, statistic, central_tendency, value desc, measurement_id
