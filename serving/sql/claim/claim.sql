select c.*, s.citation, s.identification, s.doi, s.pmid
from claim c left join study s on s.id = c.study_id
where c.id = :id
