select cm.article_term, cm.muscle_id, m.name, m.region
from claim_muscle cm join muscle m on m.id = cm.muscle_id
where cm.claim_id = :id
order by cm.id
