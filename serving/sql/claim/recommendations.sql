select r.id, r.advice, r.support
from recommendation_claim rc join recommendation r on r.id = rc.recommendation_id
where rc.claim_id = :id
order by r.position
