select field, first, second, resolved, how from extraction_difference
where study_id = :id order by id
