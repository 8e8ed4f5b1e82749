# METADATA
# title: Overseas-transfer consent notice incomplete
# description: >-
#   A consent under PIPA Art. 28-8(1)1 is valid only when the data subject was
#   told the five Art. 28-8(2) items: the items transferred; the destination
#   country with the date, time and method of transfer; the recipient's name
#   and contact; its purpose and retention period; and how to refuse and what
#   refusing means. AliExpress was fined for a notice that lacked the country
#   and the recipients' names and contacts. The rule fires on a foreign flow
#   whose overseas basis is consent when `consent.notice` lacks any item, and
#   when its recipient declares no contact to put in the notice.
# custom:
#   id: PIPA-28-8-NOTICE-ITEMS
#   severity: high
#   articles:
#     - PIPA 28-8(1)1
#     - PIPA 28-8(2)
#     - PIPA 28-8(3)
#   title_ko: 국외이전 동의 고지사항 누락
#   remediation: >-
#     Show all five Art. 28-8(2) items on the overseas-transfer consent screen
#     (items; country, date, time and method; recipient name and contact;
#     purpose and retention; how to refuse and its effect), record the
#     recipient's contact in its manifest, and collect consent again after any
#     change.
#   remediation_ko: >-
#     국외이전 동의 화면에 제28조의8제2항의 5개 사항(이전 항목, 이전 국가·일시·방법, 이전받는 자의
#     성명·연락처, 이용목적·보유기간, 거부 방법·절차 및 효과)을 모두 고지하고, 수령자 매니페스트에
#     연락처를 기재하며, 변경 시 다시 동의를 받으십시오.
package xborder.rules.pipa_28_8_notice_items

import data.xborder.lib

required := lib.ref.notice_items_28_8

deny contains finding if {
	some name, f in input.flows
	f.legalBasis.overseas == "consent"
	lib.foreign(f)
	notice := {n | some n in object.get(f, ["consent", "notice"], [])}
	missing := lib.missing_notice(notice, required)
	count(missing) > 0
	finding := {
		"flow": name,
		"field": "spec.consent.notice",
		"key": "notice",
		"message": sprintf(
			"%s relies on overseas consent but its notice lacks: %s",
			[name, concat(", ", lib.sorted(missing))],
		),
		"evidence": {
			"missing": lib.sorted(missing),
			"notice": lib.sorted(notice),
			"required": required,
		},
	}
}

deny contains finding if {
	some name, f in input.flows
	f.legalBasis.overseas == "consent"
	lib.foreign(f)
	r := input.recipients[f.recipient]
	object.get(r, "contact", "") == ""
	finding := {
		"flow": name,
		"field": "spec.recipient",
		"key": "contact",
		"message": sprintf(
			"%s relies on overseas consent but recipient %s declares no contact, a mandatory notice item (28-8(2)3)",
			[name, f.recipient],
		),
		"evidence": {"recipient": f.recipient, "legalName": object.get(r, "legalName", ""), "contact": ""},
	}
}
