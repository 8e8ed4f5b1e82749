# METADATA
# title: Overseas-transfer contract lacks the Decree 29-10 protective clauses
# description: >-
#   Whatever the Art. 28-8(1) basis, PIPA Art. 28-8(4) requires the controller
#   to take the protective measures of Enforcement Decree Art. 29-10 (safety
#   measures, grievance handling and dispute resolution, and other measures
#   protecting data subjects), agreed with the recipient in advance and
#   written into the contract. AliExpress was sanctioned because its seller
#   terms carried none of them. The rule fires on a foreign flow whose
#   `contract.clauses` lack any of safety, grievance or protection, or that
#   declares no contract at all.
# custom:
#   id: PIPA-28-8-4-SAFEGUARDS
#   severity: high
#   articles:
#     - PIPA 28-8(4)
#     - PIPA 28-8(5)
#     - PIPA Decree 29-10
#   title_ko: 국외이전 보호조치 계약 미반영
#   remediation: >-
#     Consult the recipient and amend the contract, DPA or seller terms to
#     include safety measures, grievance handling and dispute resolution, and
#     other measures protecting data subjects; record them in
#     `contract.clauses`.
#   remediation_ko: >-
#     이전받는 자와 사전 협의하여 계약서·위탁계약·판매자 약관에 안전조치, 고충처리 및 분쟁해결,
#     그 밖의 정보주체 보호조치를 반영하고 contract.clauses에 기록하십시오.
package xborder.rules.pipa_28_8_4_safeguards

import data.xborder.lib

required := {c | some c in lib.ref.clauses_28_8_4}

deny contains finding if {
	some name, f in input.flows
	clauses := lib.clauses(f)
	missing := required - clauses
	count(missing) > 0
	lib.foreign(f)
	finding := {
		"flow": name,
		"field": field(f),
		"key": concat(",", lib.sorted(missing)),
		"message": message(name, f, missing),
		"evidence": {
			"missing": lib.sorted(missing),
			"clauses": lib.sorted(clauses),
			"required": lib.sorted(required),
			"contract": object.get(f, "contract", null) != null,
			"countries": lib.sorted(lib.all_countries(f) - {"KR"}),
		},
	}
}

field(f) := "spec.contract.clauses" if f.contract

else := "spec.contract"

message(name, f, missing) := sprintf(
	"%s sends data to %s, but its contract lacks the Decree 29-10 clauses: %s",
	[name, f.recipient, concat(", ", lib.sorted(missing))],
) if {
	f.contract
} else := sprintf(
	"%s sends data to %s abroad without a contract carrying the Decree 29-10 safeguards",
	[name, f.recipient],
)
