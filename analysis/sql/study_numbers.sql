select measurement_id, condition, muscle, muscle_region, metric, statistic, phase,
       value, dispersion, dispersion_type, unit, provenance, locator
from meta_extract
where study_id = :study_id
order by condition_id, muscle_id, measurement_id
