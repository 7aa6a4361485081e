with wanted as (
  select coalesce(nullif(trim(:muscle), ''), 'gluteus_maximus') as term
)
select study_id, citation, year, doi, pmid, n, population, exercise_id, exercise,
       condition, load, muscle_id, muscle, muscle_region, phase, statistic, value,
       dispersion, dispersion_type, unit, normalisation_category, electrode,
       provenance, source_url, locator, measurement_id
-- As in muscle_activation, the WHERE matches a partial index of measurement, which
-- holds the rows in this order (condition ids follow the studies' loading order), and the
-- muscle's words are looked up in muscle_term_lookup (muscle_term's rows, analysis/derived.py).
from meta_extract
where {MVC_COMPARABLE}
  and restates_measurement_id is null
  and muscle_id in (select t.muscle_id from muscle_term_lookup t where t.term = (select lower(term) from wanted))
order by muscle_id, condition_id, statistic, measurement_id
