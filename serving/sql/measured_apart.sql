-- An exercise's %MVC values in any study, for /compare when no study did both.
select e.exercise, e.muscle, e.muscle_region, e.value, e.unit, e.statistic, e.study_id, e.citation, e.n
from meta_extract e
where e.comparable_mvc = 1 and {VALUE_TO_USE}
  and e.exercise_id in (select value from json_each(:exercises))
  and (:muscles is null or e.muscle_id in (select value from json_each(:muscles)))
order by e.value desc
