# METADATA
# title: Contract-necessity basis used for a provision or for purposes beyond the data subject
# description: |
#   The contract basis of PIPA Art. 28-8(1)3 covers only entrusted processing or
#   storage abroad that is needed to conclude and perform a contract with the
#   data subject. It cannot carry a provision to a third party (which needs an
#   Art. 17 basis and, abroad, separate consent), nor a transfer whose recipient
#   uses the data for its own purposes or for other beneficiaries, nor purposes
#   that do not serve the subject (scoring, analytics, marketing, model
#   training). This rule fires when spec.legalBasis.overseas is contract and
#   any of those holds; the evidence lists which.
# custom:
#   id: PIPA-28-8-CONTRACT-BASIS-MISUSE
#   severity: high
#   articles: ["PIPA 28-8(1)3", "PIPA 17(1)"]
#   title_ko: 계약이행 국외이전 근거 오용
#   remediation: >-
#     Keep the contract basis only for entrusted processing or storage that the
#     data subject's own contract needs. For a provision, or when the recipient or
#     another party uses the data for itself, obtain Art. 17 third-party consent and
#     separate overseas consent (Art. 28-8(1)1), or drop the non-necessary purposes.
#   remediation_ko: >-
#     계약 근거는 정보주체와의 계약 이행에 필요한 처리위탁·보관에만 쓰십시오. 제3자 제공이거나
#     수령자 또는 다른 자가 자신의 목적으로 이용하는 경우에는 제17조 제3자 제공 동의와 제28조의8
#     제1항제1호의 별도 국외이전 동의를 받거나, 필요하지 않은 목적을 없애십시오.
package xborder.rules.pipa_28_8_contract_basis_misuse

import data.xborder.lib

deny contains finding if {
	some name, f in input.flows
	f.legalBasis.overseas == "contract"
	r := object.get(input.recipients, f.recipient, {})

	# Any reason at all? (Most contract flows have none: decide before
	# writing the reasons.)
	any_reason(f, r)
	own_set := {p | some p in object.get(r, "ownPurposes", [])}
	beneficiary_set := {b | some b in object.get(r, "beneficiaries", [])}
	beyond_set := lib.beyond_subject(f)
	own := lib.sorted(own_set)
	beneficiaries := lib.sorted(beneficiary_set)
	beyond := lib.sorted(beyond_set)
	checks := [
		[f.type == "provision", "the transfer is a provision to a third party"],
		[count(own) > 0, sprintf("recipient %s uses the data for its own purposes (%s)", [f.recipient, concat(", ", own)])],
		[count(beneficiaries) > 0, sprintf("recipient %s serves other beneficiaries (%s)", [f.recipient, concat(", ", beneficiaries)])],
		[count(beyond) > 0, sprintf("purposes go beyond serving the data subject (%s)", [concat(", ", beyond)])],
	]
	reasons := [reason | some c in checks; c[0]; reason := c[1]]
	count(reasons) > 0
	finding := {
		"flow": name,
		"field": "spec.legalBasis.overseas",
		"message": sprintf(
			"%s relies on the contract-necessity basis (Art. 28-8(1)3), which covers only entrusted processing or storage for the subject's own contract, but %s",
			[name, concat("; ", reasons)],
		),
		"evidence": {
			"basis": "contract",
			"type": f.type,
			"recipient": f.recipient,
			"ownPurposes": own,
			"beneficiaries": beneficiaries,
			"purposesBeyondSubject": beyond,
			"reasons": reasons,
		},
	}
}

# any_reason(f, r) holds when one of the checks above would give a reason: a
# few cheap tests, so that the reasons are written only for the flows that
# have one.
any_reason(f, _) if f.type == "provision"

any_reason(_, r) if count(r.ownPurposes) > 0

any_reason(_, r) if count(r.beneficiaries) > 0

any_reason(f, _) if {
	some p in f.purposes
	lib.purpose(p).beyondSubject
}
