-- Which value is the one to use is decided once per build (measurement.preferred, the
-- derived table single_value, analysis/derived.py), which also fixes the order. sdi is the SD
-- the build derived from the reported dispersion; sd_source says how.
select v.measurement_id, e.study_id, e.citation, e.year, e.doi, e.pmid,
       e.population_group, st.clinical_condition,
       e.exercise_id, e.exercise, e.condition_id, e.condition, e.load,
       e.muscle_id, e.muscle, e.muscle_region, e.muscle_group,
       e.metric, e.unit, e.normalisation_category, e.comparable_mvc, e.statistic,
       e.central_tendency, e.phase, e.side, e.approximate, e.provenance, e.preferred,
       -- The network model a row enters (schema/comparability.py's level key: MVC-normalised
       -- EMG, one muscle, stated statistic and central tendency, phase, normalisation and unit
       -- kind, population); rows with an SD enter it.
       {LEVEL_KEY} as network_key,
       'MN' as measure, e.value as mi,
       e.sd as sdi, e.sd_source, 0 as sd_imputed, 0 as sd_unlabelled, e.n as ni,
       e.value as yi,
       mn_vi(e.sd, e.n) as vi,
       nullif(trim(
         case when e.sd is null and e.dispersion is null then 'sdi no dispersion reported; '
              when e.sd is null
              then 'sdi dispersion reported as ' || e.dispersion_type || ', not convertible to an SD; '
              else '' end
         || case when e.n is null then 'ni not reported; ' else '' end
         || case when e.central_tendency = 'median' then 'mi is a median, not a mean; ' else '' end,
         '; '), '') as reason,
       e.dispersion, e.dispersion_type, e.locator, e.source_url
from single_value v
join meta_extract e on e.measurement_id = v.measurement_id
join study st on st.id = e.study_id
order by v.id
