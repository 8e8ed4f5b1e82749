# METADATA
# title: Overseas transfer without a lawful basis
# description: |
#   PIPA Art. 28-8(1) prohibits transferring personal data abroad (provision,
#   entrusted processing or storage) unless one of five bases applies: separate
#   consent, a statute or treaty, necessity for a contract with the data
#   subject, a PIPC-notified certification of the recipient, or a PIPC
#   recognition of the destination. This rule fires when a foreign flow (any
#   declared or observed country, or the recipient's country, is not KR)
#   declares no overseas basis at all. Whether a declared basis holds is judged
#   by the other PIPA-28-8 rules.
# custom:
#   id: PIPA-28-8-BASIS
#   severity: critical
#   articles: ["PIPA 28-8(1)", "PIPA 28-9"]
#   title_ko: 국외이전 적법근거 부재
#   remediation: >-
#     Choose and document one Art. 28-8(1) basis in spec.legalBasis.overseas
#     (consent, law, contract, certification or adequacy) and put its conditions
#     in place; until then stop the transfer, since the PIPC may order an
#     unlawful transfer suspended (Art. 28-9).
#   remediation_ko: >-
#     spec.legalBasis.overseas에 제28조의8 제1항의 근거(동의, 법률, 계약, 인증, 인정) 중 하나를
#     정하고 그 요건을 갖추십시오. 갖추기 전까지는 이전을 중단하십시오(제28조의9 중지명령 대상).
package xborder.rules.pipa_28_8_basis

import data.xborder.lib

bases := {"consent", "law", "contract", "certification", "adequacy"}

deny contains finding if {
	some name, f in input.flows
	not declared(f)
	lib.foreign(f)
	foreign := lib.sorted(lib.all_countries(f) - {"KR"})
	obs := [o | some o in lib.observed[name]; some c in o.countries; c != "KR"]
	finding := {
		"flow": name,
		"field": "spec.legalBasis.overseas",
		"message": sprintf(
			"%s transfers personal data to %s (recipient %s, %s) without an overseas legal basis: spec.legalBasis.overseas is %s",
			[name, concat(", ", foreign), f.recipient, f.type, shown(f)],
		),
		"evidence": {
			"declaredBasis": object.get(f, ["legalBasis", "overseas"], ""),
			"foreignCountries": foreign,
			"declaredCountries": lib.sorted({c | some c in f.countries}),
			"observedCountries": lib.sorted(lib.observed_countries(name)),
			"recipient": f.recipient,
			"recipientCountry": object.get(input.recipients, [f.recipient, "country"], ""),
			"type": f.type,
			"observedDaysAbroad": count({o.day | some o in obs}),
			"observedRecordsAbroad": sum([o.records | some o in obs]),
		},
	}
}

declared(f) if f.legalBasis.overseas in bases

shown(f) := sprintf("%q, not one of %s", [f.legalBasis.overseas, lib.join(bases)]) if f.legalBasis.overseas != ""

else := "not declared"
