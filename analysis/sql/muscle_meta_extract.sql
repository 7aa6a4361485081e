with wanted as (
  select coalesce(nullif(trim(:muscle), ''), 'gluteus_maximus') as term
)
-- The columns metafor's escalc(measure = "MN", mi = value, sdi = sd, ni = n) needs, with the
-- central tendency (mean or median: medians are not means) and where the SD came from. The
-- values are the ones to use (schema/comparability.py); the muscle's words are looked up in
-- muscle_term_lookup (muscle_term's rows, analysis/derived.py).
select study_id, citation, year, doi, pmid, n, population, population_group, exercise_id,
       exercise, condition, load, muscle_id, muscle, muscle_region, phase, statistic,
       central_tendency, value, sd, sd_source, dispersion, dispersion_type, unit,
       normalisation_category, electrode, provenance, source_url, locator, measurement_id
from meta_extract
where {MVC_COMPARABLE}
  and {VALUE_TO_USE}
  and muscle_id in (select t.muscle_id from muscle_term_lookup t where t.term = (select lower(term) from wanted))
order by muscle_id, condition_id, statistic, measurement_id
