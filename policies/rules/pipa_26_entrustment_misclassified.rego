# METADATA
# title: Entrustment that is really a provision to a third party
# description: |
#   Calling a flow entrustment does not make it one. A processor (trustee) works
#   only for the controller's business, has no interest of its own beyond its
#   fee, and is supervised by the controller (the test FSS applied in the Kakao
#   Pay case). When the recipient uses the data for its own purposes, or
#   returns outputs to parties other than the controller (Alipay computing NSF
#   scores for Apple), the transfer is a provision: it needs an Art. 17 basis
#   and, abroad, separate overseas consent. This rule fires when a flow declared
#   as entrustment goes to a recipient with ownPurposes or beneficiaries.
# custom:
#   id: PIPA-26-ENTRUSTMENT-MISCLASSIFIED
#   severity: critical
#   articles: ["PIPA 26", "PIPA 17(1)", "PIPA 28-8(1)"]
#   title_ko: 위탁을 가장한 제3자 제공
#   remediation: >-
#     Reclassify the flow as a provision and obtain the bases a provision needs
#     (Art. 17 consent, separate overseas consent, Credit Information Act consent
#     for credit data), or restructure it into a genuine processor arrangement in
#     which the recipient works only for you; have anything built from the data
#     for other parties (models, scores) destroyed.
#   remediation_ko: >-
#     흐름을 제3자 제공으로 재분류하고 제공에 필요한 근거(제17조 동의, 별도 국외이전 동의, 신용정보는
#     신용정보법상 동의)를 갖추거나, 수령자가 오직 귀사를 위해서만 처리하는 진정한 위탁 구조로 바꾸십시오.
#     다른 자를 위해 만든 산출물(모델, 점수)은 파기하게 하십시오.
package xborder.rules.pipa_26_entrustment_misclassified

import data.xborder.lib

deny contains finding if {
	some name, f in input.flows
	f.type == "entrustment"
	r := object.get(input.recipients, f.recipient, {})
	own_set := {p | some p in object.get(r, "ownPurposes", [])}
	beneficiary_set := {b | some b in object.get(r, "beneficiaries", [])}
	count(own_set) + count(beneficiary_set) > 0
	own := lib.sorted(own_set)
	beneficiaries := lib.sorted(beneficiary_set)
	finding := {
		"flow": name,
		"field": "spec.type",
		"message": sprintf(
			"%s is declared as entrustment, but recipient %s %s: a processor that works for itself or for someone else receives a provision",
			[name, f.recipient, concat(" and ", [s | some s in [own_text(own), beneficiaries_text(beneficiaries)]; s != ""])],
		),
		"evidence": {
			"type": f.type,
			"recipient": f.recipient,
			"recipientCountry": object.get(r, "country", ""),
			"ownPurposes": own,
			"beneficiaries": beneficiaries,
			"flowPurposes": lib.sorted({p | some p in f.purposes}),
		},
	}
}

own_text(own) := sprintf("uses the data for its own purposes (%s)", [concat(", ", own)]) if count(own) > 0

else := ""

beneficiaries_text(b) := sprintf("returns outputs to parties other than the controller (%s)", [concat(", ", b)]) if count(b) > 0

else := ""
