select c.id, c.position, c.assertion, c.verdict, c.verdict_reason, c.study_id, s.citation
from recommendation_claim rc
join claim c on c.id = rc.claim_id
left join study s on s.id = c.study_id
where rc.recommendation_id = :id
order by c.position
