-- Exercises and muscle may be ids, names or words people use ('hip thrust', 'squat', 'glutes'):
-- exercise_term and muscle_term resolve them (a whole muscle covers its regions), through their
-- copies exercise_term_lookup and muscle_term_lookup (analysis/derived.py), searched by an index.
with wanted as (
  select lower(coalesce(nullif(trim(:exercise_a), ''), 'barbell_hip_thrust')) as a,
         lower(coalesce(nullif(trim(:exercise_b), ''), 'back_squat')) as b,
         lower(nullif(trim(:muscle), '')) as muscle
),
side_a as (select t.exercise_id from exercise_term_lookup t where t.term = (select a from wanted)),
side_b as (select t.exercise_id from exercise_term_lookup t where t.term = (select b from wanted)),
muscles as (select t.muscle_id from muscle_term_lookup t where t.term = (select muscle from wanted)),
-- Values side by side: the within-study pairs of meta_contrasts (contrast_pair, built
-- by analysis/derived.py), turned so that exercise_a is on the left.
turned as (
  select p.id as pair_id, p.study_id, p.muscle_id,
         case when p.exercise1_id in (select exercise_id from side_a) then p.measurement1_id
              else p.measurement2_id end as id_a,
         case when p.exercise1_id in (select exercise_id from side_a) then p.measurement2_id
              else p.measurement1_id end as id_b
  from contrast_pair p, wanted
  where ((p.exercise1_id in (select exercise_id from side_a) and p.exercise2_id in (select exercise_id from side_b))
      or (p.exercise1_id in (select exercise_id from side_b) and p.exercise2_id in (select exercise_id from side_a)))
    and (wanted.muscle is null or p.muscle_id in (select muscle_id from muscles))
),
pairs as (
  select t.study_id, x.citation, t.muscle_id, x.metric, x.statistic, x.phase,
         x.condition as condition_a, y.condition as condition_b,
         x.value as value_a, y.value as value_b, x.unit,
         case when x.value > y.value then 'a_greater' when x.value < y.value then 'b_greater'
              when x.value = y.value then 'equal' end as direction,
         null as p_value, null as p_relation,
         'values: ' || x.locator as evidence, x.provenance, x.n, x.population_group
  from turned t
  join meta_extract x on x.measurement_id = t.id_a
  join meta_extract y on y.measurement_id = t.id_b
),
reported as (
  select f.study_id, s.citation, f.muscle_id, f.metric, f.statistic, f.phase,
         case when ca.exercise_id in (select exercise_id from side_a) then ca.label else cb.label end as condition_a,
         case when ca.exercise_id in (select exercise_id from side_a) then cb.label else ca.label end as condition_b,
         null as value_a, null as value_b, null as unit,
         case when ca.exercise_id in (select exercise_id from side_a) then f.direction
              when f.direction = 'a_greater' then 'b_greater'
              when f.direction = 'b_greater' then 'a_greater'
              else f.direction end as direction,
         f.p_value, f.p_relation,
         'finding: ' || f.summary as evidence, src.kind as provenance, s.n, s.population_group
  from finding f
  join condition ca on ca.id = f.condition_a_id
  join condition cb on cb.id = f.condition_b_id
  join study s on s.id = f.study_id
  join source src on src.id = f.source_id, wanted
  where ((ca.exercise_id in (select exercise_id from side_a) and cb.exercise_id in (select exercise_id from side_b))
      or (ca.exercise_id in (select exercise_id from side_b) and cb.exercise_id in (select exercise_id from side_a)))
    and (wanted.muscle is null or f.muscle_id in (select muscle_id from muscles))
)
select * from pairs
union all
select * from reported
order by study_id, muscle_id, metric, statistic, phase, evidence
