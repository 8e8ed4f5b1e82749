# METADATA
# title: Personal credit information provided without Credit Information Act consent
# description: >-
#   Credit Information Act Art. 32(1) requires the subject's consent, in
#   advance and for each provision, before personal credit information
#   (balances, payment and transaction history, card and account numbers,
#   scores, loans, income) is provided to another party; entrusting its
#   processing is exempt (Art. 32(6)) only when the entrustment is genuine.
#   FSC fined Kakao Pay KRW 12.976 bn because its "entrustment" to Alipay
#   served Apple. The rule fires on a flow carrying credit_info items, declared
#   or observed, that is a provision, or an entrustment or storage whose
#   recipient has purposes or beneficiaries of its own, unless
#   `legalBasis.credit` is consent.
# custom:
#   id: CIA-32-CREDIT-CONSENT
#   severity: critical
#   articles:
#     - CIA 32(1)
#     - CIA 32(6)
#     - CIA 17
#     - PIPA 17(1)
#   title_ko: 개인신용정보 제공 동의 부재
#   remediation: >-
#     Obtain the subject's Credit Information Act consent before each
#     provision (separating mandatory from optional items), or make the
#     arrangement a genuine entrustment in which the recipient works only for
#     you, with identifiers encrypted; involve the credit-information manager.
#   remediation_ko: >-
#     제공 시마다 사전에 신용정보법상 동의(필수·선택 구분)를 받거나, 수령자가 귀사만을 위해 처리하는
#     진정한 위탁으로 구조를 바꾸고 식별정보를 암호화하며, 신용정보관리·보호인이 이를 점검하게 하십시오.
package xborder.rules.cia_32_credit_consent

import data.xborder.lib

deny contains finding if {
	some name, f in input.flows
	basis := object.get(f.legalBasis, "credit", "")
	basis != "consent"
	items := lib.in_category(lib.all_items(f), "credit_info")
	count(items) > 0
	lib.third_party(f)
	r := object.get(input.recipients, f.recipient, {})
	finding := {
		"flow": name,
		"field": "spec.legalBasis.credit",
		"key": "credit",
		"message": sprintf(
			"%s provides credit information (%s) to %s%s without Credit Information Act consent (legalBasis.credit: %s)",
			[name, lib.join(items), f.recipient, disguise(f), text(basis)],
		),
		"evidence": {
			"items": lib.sorted(items),
			"type": f.type,
			"legalBasis.credit": basis,
			"recipient": f.recipient,
			"ownPurposes": lib.sorted({p | some p in object.get(r, "ownPurposes", [])}),
			"beneficiaries": lib.sorted(lib.beneficiaries(r)),
		},
	}
}

disguise(f) := "" if f.type == "provision"

else := sprintf(" (declared %s, but the recipient serves its own purposes or others)", [f.type])

text("") := "undeclared"

text(s) := s if s != ""
