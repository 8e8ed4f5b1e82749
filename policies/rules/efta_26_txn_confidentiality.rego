# METADATA
# title: Electronic financial transaction data given to a third party without consent
# description: >-
#   Electronic Financial Transactions Act Art. 26 forbids anyone doing
#   electronic-financial-transaction work to give others a user's identity,
#   account, access-media or transaction information without the user's
#   consent, except as a statute allows; FSC applied it to Kakao Pay's
#   pay-money history sent to Alipay. The rule fires on a flow carrying
#   efta_txn items, declared or observed, to a third party (a provision, or an
#   entrustment or storage whose recipient has purposes or beneficiaries of
#   its own) unless `legalBasis.transactions` is consent or exempt (the data
#   a payment counterparty needs to execute the transaction).
# custom:
#   id: EFTA-26-TXN-CONFIDENTIALITY
#   severity: high
#   articles:
#     - EFTA 26
#   title_ko: 전자금융거래정보 제3자 제공
#   remediation: >-
#     Limit the flow to the data needed to execute the payment and record that
#     exemption, or obtain the user's consent for the provision; review the
#     data-location constraints on electronic financial business.
#   remediation_ko: >-
#     거래 수행에 필요한 정보로 제한하고 그 예외 근거를 기록하거나 이용자의 동의를 받으십시오.
#     전자금융업무의 정보 처리 위치 제한도 검토하십시오.
package xborder.rules.efta_26_txn_confidentiality

import data.xborder.lib

deny contains finding if {
	some name, f in input.flows
	basis := object.get(f.legalBasis, "transactions", "")
	not basis in {"consent", "exempt"}
	items := lib.in_category(lib.all_items(f), "efta_txn")
	count(items) > 0
	lib.third_party(f)
	finding := {
		"flow": name,
		"field": "spec.legalBasis.transactions",
		"key": "transactions",
		"message": sprintf(
			"%s gives e-financial transaction data (%s) to third party %s without consent (legalBasis.transactions: %s)",
			[name, lib.join(items), f.recipient, text(basis)],
		),
		"evidence": {
			"items": lib.sorted(items),
			"type": f.type,
			"legalBasis.transactions": basis,
			"recipient": f.recipient,
			"thirdParty": third_party_reason(f),
		},
	}
}

third_party_reason(f) := "provision" if f.type == "provision"

else := "recipient serves its own purposes or others"

text("") := "undeclared"

text(s) := s if s != ""
