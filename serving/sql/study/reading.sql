select url, showed, note from reading_log where study_id = :id order by id
