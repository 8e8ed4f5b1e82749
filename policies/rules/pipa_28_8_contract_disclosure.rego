# METADATA
# title: Contract-necessity transfer neither disclosed nor notified
# description: >-
#   PIPA Art. 28-8(1)3 lets a controller entrust or store data abroad without
#   consent when that is needed to perform a contract with the data subject,
#   but only if the Art. 28-8(2) items are either disclosed in the Art. 30
#   privacy policy (a) or notified to each subject individually (b). Temu and
#   Apple were sanctioned for overseas entrustment that appeared nowhere. The
#   rule fires on a foreign flow whose overseas basis is contract when the
#   flow is not listed in `privacyPolicy.discloses` and `notice.individual` is
#   not true. PIPA-30-POLICY-DISCLOSURE leaves contract-based flows to this
#   rule, so the same omission is reported once.
# custom:
#   id: PIPA-28-8-CONTRACT-DISCLOSURE
#   severity: high
#   articles:
#     - PIPA 28-8(1)3
#     - PIPA 28-8(2)
#     - PIPA 30(1)
#   title_ko: 계약이행 국외이전 미공개
#   remediation: >-
#     Add the flow to the privacy policy's overseas-transfer table (recipient
#     and contact, country, date, time and method, items, purpose, retention,
#     how to refuse) and list it in `privacyPolicy.discloses`, or notify every
#     subject individually and set `notice.individual`.
#   remediation_ko: >-
#     개인정보 처리방침의 국외이전 항목에 해당 이전(이전받는 자와 연락처, 국가, 일시·방법, 항목, 목적,
#     보유기간, 거부 방법)을 기재하고 privacyPolicy.discloses에 추가하거나, 정보주체 각각에게 개별
#     통지하고 notice.individual을 설정하십시오.
package xborder.rules.pipa_28_8_contract_disclosure

import data.xborder.lib

# disclosed is the privacy policy's list of disclosed flows as a set: one
# lookup per flow, not a scan of the list.
disclosed := {n | some n in object.get(input.organization, ["privacyPolicy", "discloses"], [])}

deny contains finding if {
	some name, f in input.flows
	f.legalBasis.overseas == "contract"
	not name in disclosed
	not f.notice.individual == true
	lib.foreign(f)
	finding := {
		"flow": name,
		"field": "spec.legalBasis.overseas",
		"key": "undisclosed",
		"message": sprintf(
			"%s sends data to %s on the contract basis, but neither the privacy policy nor an individual notice discloses it",
			[name, concat(", ", lib.sorted(lib.all_countries(f) - {"KR"}))],
		),
		"evidence": {
			"legalBasis.overseas": "contract",
			"privacyPolicy.url": object.get(input.organization, ["privacyPolicy", "url"], ""),
			"privacyPolicy.discloses": object.get(input.organization, ["privacyPolicy", "discloses"], []),
			"notice.individual": object.get(f, ["notice", "individual"], false),
		},
	}
}
