-- The pairs (which values may be contrasted, in which direction) are built once per build in
-- contrast_pair (analysis/derived.py); here they get their values and metafor's yi and vi.
-- m1i is always the pair's first exercise: alphabetical, or the higher level of a technique.
with params as (
  select ri_param(:ri) as ri
),
measures (measure) as (
  values ('MC'), ('SMCC')
),
contrasts as (
  select p.id as pair_id, a.study_id, a.citation, a.year, a.doi, a.pmid,
         a.muscle_id, a.muscle, a.muscle_region, a.muscle_group,
         a.metric, a.unit, a.normalisation_category, a.comparable_mvc,
         a.statistic, a.central_tendency, a.phase, a.provenance, a.population_group,
         st.clinical_condition, p.pair, p.factor,
         p.contrast_key,
         a.exercise_id as exercise1_id, a.exercise as exercise1,
         a.condition_id as condition1_id, a.condition as condition1, a.load as load1,
         b.exercise_id as exercise2_id, b.exercise as exercise2,
         b.condition_id as condition2_id, b.condition as condition2, b.load as load2,
         a.measurement_id as measurement1_id, b.measurement_id as measurement2_id,
         m.measure, a.value as m1i, b.value as m2i,
         a.sd as sd1i, b.sd as sd2i, a.sd_source as sd1_source, b.sd_source as sd2_source,
         0 as sd_imputed, 0 as sd_unlabelled,
         a.n as ni, params.ri, 1 as ri_imputed,
         case when a.sd is not null then null
              when a.dispersion is null then 'no dispersion reported'
              else 'dispersion reported as ' || a.dispersion_type || ', not convertible to an SD'
         end as sd1_missing,
         case when b.sd is not null then null
              when b.dispersion is null then 'no dispersion reported'
              else 'dispersion reported as ' || b.dispersion_type || ', not convertible to an SD'
         end as sd2_missing,
         a.dispersion as dispersion1, a.dispersion_type as dispersion_type1,
         b.dispersion as dispersion2, b.dispersion_type as dispersion_type2,
         a.locator as locator1, b.locator as locator2,
         a.source_url as source_url1, b.source_url as source_url2
  from contrast_pair p
  join meta_extract a on a.measurement_id = p.measurement1_id
  join meta_extract b on b.measurement_id = p.measurement2_id
  join study st on st.id = a.study_id
  cross join measures m
  cross join params
),
effects as (
  select *,
         case measure
           when 'MC' then mc_yi(m1i, m2i)
           else smcc_yi(m1i, m2i, sd1i, sd2i, ri, ni)
         end as yi
  from contrasts
)
select study_id, citation, year, doi, pmid, muscle_id, muscle, muscle_region, muscle_group,
       metric, unit, normalisation_category, comparable_mvc, statistic, central_tendency, phase,
       provenance, population_group, clinical_condition,
       -- Contrasts with one contrast_key may be pooled (schema/comparability.py): the same pair
       -- in the same direction (analysis/contrasts.py), muscle, statistic, central tendency,
       -- phase, normalisation and unit kind, population. Empty: pooled with nothing.
       pair, factor, contrast_key,
       exercise1_id, exercise1, condition1_id, condition1, load1,
       exercise2_id, exercise2, condition2_id, condition2, load2,
       measurement1_id, measurement2_id,
       measure, m1i, m2i, sd1i, sd2i, sd1_source, sd2_source, sd_imputed, sd_unlabelled, ni, ri,
       ri_imputed, yi,
       case measure when 'MC' then mc_vi(sd1i, sd2i, ri, ni) else smcc_vi(yi, ni) end as vi,
       nullif(trim(
         coalesce('sd1i ' || sd1_missing || '; ', '')
         || coalesce('sd2i ' || sd2_missing || '; ', '')
         || case when ni is null then 'ni not reported; '
                 when measure = 'SMCC' and ni < 2 then 'ni below 2; ' else '' end
         || case when ri is null then 'ri is not a number from -1 to 1; ' else '' end
         || case when measure = 'SMCC' and sd1i is not null and sd2i is not null
                      and ri is not null
                      and sd1i * sd1i + sd2i * sd2i - 2 * ri * sd1i * sd2i <= 0
                 then 'the SD of the difference is 0; ' else '' end,
         '; '), '') as reason,
       dispersion1, dispersion_type1, dispersion2, dispersion_type2,
       locator1, locator2, source_url1, source_url2
from effects
order by pair_id, measure
