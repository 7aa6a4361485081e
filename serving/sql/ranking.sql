-- /ranking's rows. The value to use of several sources' (a paper's before a review's, never the
-- article's) and who took part are schema/comparability.py's rules, as the pools take them.
select e.measurement_id, e.study_id, e.citation, e.year, e.exercise_id, e.exercise, e.condition,
       e.muscle_id, e.muscle, e.muscle_region, e.statistic, e.phase, e.value, e.sd, e.unit, e.n,
       e.population, e.population_group, e.locator, s.pedro_score, s.clinical_condition
from meta_extract e
join study s on s.id = e.study_id
where e.comparable_mvc = 1 and {VALUE_TO_USE}
  and e.muscle_id in (select value from json_each(:muscles))
  and {POPULATION} in (select value from json_each(:groups))
order by e.muscle_id, e.statistic, e.study_id, e.exercise_id
