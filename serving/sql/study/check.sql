select fields_compared, fields_differed, resolved, method, note
from extraction_check where study_id = :id
