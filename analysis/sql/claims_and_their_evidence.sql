select c.position, c.id as claim_id, c.section, c.assertion, c.verdict, c.verdict_reason,
       s.citation as cited_study, e.agreement, e.note as evidence,
       e.measurement_id, e.primary_measurement_id, e.finding_id
from claim c
left join study s on s.id = c.study_id
left join claim_evidence e on e.claim_id = c.id
where (:verdict = '' or c.verdict = :verdict)
  and (:text = '' or c.assertion like '%' || :text || '%')
order by c.position, e.id
