select s.id as study_id, s.citation, s.n, s.population_group, s.population, s.design,
       s.pedro_score, s.clinical_condition
from study s
where exists (select 1 from condition c where c.study_id = s.id and c.exercise_id in (select value from json_each(:a)))
  and exists (select 1 from condition c where c.study_id = s.id and c.exercise_id in (select value from json_each(:b)))
order by s.year, s.id
