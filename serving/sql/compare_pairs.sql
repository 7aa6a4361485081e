select x.study_id, x.muscle_id, x.muscle, x.muscle_region, x.metric, x.statistic, x.phase, x.unit,
       x.normalisation_category,
       x.condition as condition_a, y.condition as condition_b, x.value as value_a, y.value as value_b,
       x.locator
from contrast_pair p
join meta_extract x on x.measurement_id = case when p.exercise1_id in (select value from json_each(:a))
                                               then p.measurement1_id else p.measurement2_id end
join meta_extract y on y.measurement_id = case when p.exercise1_id in (select value from json_each(:a))
                                               then p.measurement2_id else p.measurement1_id end
where p.study_id = :study
  and x.exercise_id in (select value from json_each(:a)) and y.exercise_id in (select value from json_each(:b))
  and (:muscles is null or p.muscle_id in (select value from json_each(:muscles)))
order by x.muscle_id, x.statistic, x.phase
