# METADATA
# title: Third-party provision consent notice incomplete
# description: >-
#   A provision to a third party that is not made under a statute needs the
#   data subject's consent (PIPA Art. 17(1)1; the contract ground of Art.
#   15(1)4 is not among the Art. 17(1) grounds), and that consent is informed
#   only when the subject was told the five Art. 17(2) items: the recipient,
#   its purpose, the items provided, its retention period, and the right to
#   refuse with the disadvantage of refusing. The rule fires on a flow of type
#   provision whose provision basis is not law when `consent.notice` lacks
#   any of them ("purpose_retention" counts for purpose and retention). A
#   foreign flow on overseas consent is left to PIPA-28-8-NOTICE-ITEMS: its
#   five items include these, and the manifest declares one notice for both
#   consents, so the same gap is reported once.
# custom:
#   id: PIPA-17-NOTICE-ITEMS
#   severity: high
#   articles:
#     - PIPA 17(1)1
#     - PIPA 17(2)
#     - PIPA 22(1)
#   title_ko: 제3자 제공 고지사항 누락
#   remediation: >-
#     Show the recipient, its purpose, the items, its retention period and the
#     right to refuse (with the effect of refusing) on the third-party consent
#     screen; keep versioned copies and collect consent again after a change.
#   remediation_ko: >-
#     제3자 제공 동의 화면에 제공받는 자, 이용 목적, 제공 항목, 보유·이용 기간, 동의 거부 권리 및
#     거부 시 불이익을 고지하고, 버전별 사본을 보관하며 변경 시 다시 동의를 받으십시오.
package xborder.rules.pipa_17_notice_items

import data.xborder.lib

required := lib.ref.notice_items_17

deny contains finding if {
	some name, f in input.flows
	f.type == "provision"
	not f.legalBasis.provision == "law"
	not overseas_consent(f)
	notice := {n | some n in object.get(f, ["consent", "notice"], [])}
	missing := lib.missing_notice(notice, required)
	count(missing) > 0
	finding := {
		"flow": name,
		"field": field(f),
		"key": "notice",
		"message": sprintf(
			"%s provides data to %s, but its third-party consent notice lacks: %s",
			[name, f.recipient, concat(", ", lib.sorted(missing))],
		),
		"evidence": {
			"missing": lib.sorted(missing),
			"notice": lib.sorted(notice),
			"required": required,
			"legalBasis.provision": object.get(f.legalBasis, "provision", ""),
		},
	}
}

field(f) := "spec.consent.notice" if f.consent

else := "spec.consent"

# overseas_consent(f) holds when PIPA-28-8-NOTICE-ITEMS judges the flow's notice.
overseas_consent(f) if {
	f.legalBasis.overseas == "consent"
	lib.foreign(f)
}
