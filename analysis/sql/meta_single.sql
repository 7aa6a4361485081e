-- Which value is the best source's is decided once per build in single_value
-- (analysis/derived.py), which also fixes the order.
select v.measurement_id, e.study_id, e.citation, e.year, e.doi, e.pmid,
       e.exercise_id, e.exercise, e.condition_id, e.condition, e.load,
       e.muscle_id, e.muscle, e.muscle_region, e.muscle_group,
       e.metric, e.unit, e.normalisation_category, e.comparable_mvc, e.statistic,
       e.phase, e.provenance,
       case when e.comparable_mvc = 1
                 and e.statistic in ('mean', 'peak', 'median', 'integrated')
            then e.exercise_id || '/' || e.muscle_id || '/' || e.statistic || '/' || e.phase
       end as pool_key,
       'MN' as measure, e.value as mi,
       case when e.dispersion_type = 'sd' then e.dispersion end as sdi, e.n as ni,
       e.value as yi,
       mn_vi(case when e.dispersion_type = 'sd' then e.dispersion end, e.n) as vi,
       nullif(trim(
         case when e.dispersion is null then 'sdi no dispersion reported; '
              when e.dispersion_type <> 'sd'
              then 'sdi dispersion reported as ' || e.dispersion_type || ', not SD; '
              else '' end
         || case when e.n is null then 'ni not reported; ' else '' end,
         '; '), '') as reason,
       e.dispersion, e.dispersion_type, e.locator, e.source_url
from single_value v
join meta_extract e on e.measurement_id = v.measurement_id
order by v.id
