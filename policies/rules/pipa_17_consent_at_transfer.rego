# METADATA
# title: Records sent without consent, or after withdrawal, at transfer time
# description: >-
#   A flow that relies on consent (PIPA Art. 17(1)1 for provision, Art.
#   28-8(1)1 for the overseas transfer, CIA Art. 32(1) for credit information,
#   EFTA Art. 26) may carry only the data of subjects who had consented when
#   the data left and had not withdrawn. The rule fires on a consent-based
#   flow whose observations count records sent with no consent recorded
#   (`withoutConsent`) or sent after the subject withdrew
#   (`withdrawnConsent`), one finding for each kind, with the days and counts.
#   With a consent ledger (`xborder audit --consents`) the counts come from
#   joining each record with the ledger, and the evidence names the first
#   records with their subject keys redacted (`subjectExamples`).
# custom:
#   id: PIPA-17-CONSENT-AT-TRANSFER
#   severity: critical
#   articles:
#     - PIPA 17(1)1
#     - PIPA 28-8(1)1
#     - PIPA 22
#     - CIA 32(1)
#   title_ko: 전송 시점 동의 부재
#   remediation: >-
#     Gate the egress on a live consent check per subject (grant covering the
#     time, no withdrawal), ask the recipient to delete what was sent without
#     consent, and propagate withdrawals to the sender.
#   remediation_ko: >-
#     전송 시점에 정보주체별 동의(유효한 동의, 철회 없음)를 확인한 뒤에만 전송하도록 하고, 동의 없이
#     전송된 정보는 수령자에게 파기를 요청하며, 동의 철회가 전송 시스템에 반영되도록 하십시오.
#   needs:
#     - observations
package xborder.rules.pipa_17_consent_at_transfer

import data.xborder.lib

kinds := {
	"withoutConsent": "with no consent recorded",
	"withdrawnConsent": "after the subject had withdrawn consent",
}

deny contains finding if {
	some name, f in input.flows
	lib.is_consent_based(f)
	some kind, phrase in kinds
	hits := [o | some o in lib.observed[name]; object.get(o, kind, 0) > 0]
	count(hits) > 0
	span := lib.day_span({o.day | some o in hits})
	total := sum([o[kind] | some o in hits])
	finding := {
		"flow": name,
		"field": "spec.legalBasis",
		"key": kind,
		"message": sprintf(
			"%s relies on consent but sent %d record(s) %s on %d day(s) (%s to %s)",
			[name, total, phrase, span.days, span.first, span.last],
		),
		"evidence": object.union(span, {
			kind: total,
			"records": sum([o.records | some o in hits]),
			"bases": lib.sorted({k | some k, v in f.legalBasis; v == "consent"}),
			"examples": array.slice([{"day": o.day, kind: o[kind]} | some o in sort_by_day(hits)], 0, 5),
			"subjectExamples": [{"time": x.time, "subject": x.subject} |
				some x in object.get(input, ["consentExamples", name], [])
				x.kind == kind
			],
		}),
	}
}

sort_by_day(obs) := [o | some d in lib.sorted({x.day | some x in obs}); some o in obs; o.day == d]
